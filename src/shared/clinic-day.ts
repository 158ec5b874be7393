/** The clinic day and ages are Singapore-local, whatever time zone the station PC is set to. */
export const CLINIC_TIME_ZONE = 'Asia/Singapore';

const dayFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: CLINIC_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** YYYY-MM-DD of the given instant in Singapore, matching `(now() AT TIME ZONE 'Asia/Singapore')::date`. */
export function clinicDay(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('clinicDay needs a valid date');
  const parts: Record<string, string> = {};
  for (const p of dayFormat.formatToParts(date)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

function parseDay(s: string, name: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d) return [y, mo, d];
  }
  throw new RangeError(`${name} must be a calendar date YYYY-MM-DD, got "${s}"`);
}

/** True for a YYYY-MM-DD that names a day on the calendar (no 31 April, no 29 February in common years). */
export function isCalendarDate(s: string): boolean {
  try {
    parseDay(s, 'Day');
    return true;
  } catch {
    return false;
  }
}

/**
 * Whole years completed on `day`. Someone born on 29 February completes a year on 1 March in common years,
 * because (month, day) of 28 February still comes before their birthday.
 */
export function ageOn(dob: string, day: string): number {
  const [by, bm, bd] = parseDay(dob, 'Date of birth');
  const [y, m, d] = parseDay(day, 'Day');
  const beforeBirthday = m < bm || (m === bm && d < bd);
  const age = y - by - (beforeBirthday ? 1 : 0);
  if (age < 0) throw new RangeError(`Date of birth ${dob} is after ${day}`);
  return age;
}

/** The calendar day `days` after (or before, when negative) `day`. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = parseDay(day, 'Day');
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The instant a Singapore clinic day begins (Singapore has kept UTC+8 without daylight saving since 1982). */
export function clinicDayStart(day: string): Date {
  parseDay(day, 'Day');
  return new Date(`${day}T00:00:00+08:00`);
}
