import { ageOn, isCalendarDate } from './clinic-day';

/*
 * Calendar dates as Singapore writes them: day first, dd/mm/yyyy. Stored and sent as ISO (YYYY-MM-DD); this is only
 * how a person reads and types them, written here rather than left to the PC's locale, which on an en-US Windows
 * shows and parses 07/03/1958 as 3 July.
 */

/** Day and month of one or two digits, a four-digit year: "7/3/1958" is as clear as "07/03/1958", "58" is not. */
const DAY_MONTH_YEAR = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/;

export const DATE_EXAMPLE = '07/03/1958';

export type DateParse = { ok: true; iso: string } | { ok: false; problem: string };

/**
 * `label` names the field in the sentence ("Date of birth: use dd/mm/yyyy, …"). Never guesses: no two-digit years,
 * no month names, no month-first reading of an impossible day-first date.
 */
export function parseDayMonthYear(text: string, label: string): DateParse {
  const m = DAY_MONTH_YEAR.exec(text.trim());
  if (!m) return { ok: false, problem: `${label}: use dd/mm/yyyy, e.g. ${DATE_EXAMPLE}.` };
  const iso = `${m[4]}-${m[3]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  if (!isCalendarDate(iso)) {
    return { ok: false, problem: `${label}: ${formatDayMonthYear(iso)} is not a date on the calendar: check the day and the month.` };
  }
  return { ok: true, iso };
}

/** "1958-03-07" as "07/03/1958". Only re-orders the digits, so a time zone can never move the day. */
export function formatDayMonthYear(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`A calendar date must be YYYY-MM-DD, got "${iso}"`);
  return `${m[3]}/${m[2]}/${m[1]}`;
}

const DAY_MS = 86_400_000;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * Age on `day` the way a clinic says it: days in the first month, months until two (doses and growth charts go by
 * months at that age), whole years after. A month is completed on the same day-of-month, as `ageOn` completes years.
 */
export function ageLabel(dateOfBirth: string, day: string): string {
  const years = ageOn(dateOfBirth, day);
  if (years >= 2) return plural(years, 'year');
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const months = (y - by) * 12 + (m - bm) - (d < bd ? 1 : 0);
  if (months >= 1) return plural(months, 'month');
  return plural(Math.round((Date.UTC(y, m - 1, d) - Date.UTC(by, bm - 1, bd)) / DAY_MS), 'day');
}
