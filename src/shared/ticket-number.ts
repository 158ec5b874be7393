/*
 * Ticket numbers are `<desk letter><3 digits>`, e.g. A012. Each reception desk owns a letter (assigned by the centre
 * once, kept forever) and numbers its own tickets 001..999 per clinic day. Because no two desks share a letter, two
 * desks that are offline at the same time still cannot issue the same number, and no round trip to the centre is
 * needed to hand a patient a ticket. The centre's UNIQUE(clinic_id, service_date, ticket_number) is only the backstop.
 */

export const MAX_DESK_SEQ = 999;

export interface TicketNumber {
  letter: string;
  seq: number;
}

export function formatTicketNumber(letter: string, seq: number): string {
  if (!/^[A-Z]$/.test(letter)) {
    throw new RangeError(`A desk letter must be one capital letter A-Z, got "${letter}"`);
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_DESK_SEQ) {
    throw new RangeError(`A ticket sequence must be a whole number from 1 to ${MAX_DESK_SEQ}, got ${seq}`);
  }
  return `${letter}${String(seq).padStart(3, '0')}`;
}

export function parseTicketNumber(s: string): TicketNumber | null {
  const m = /^([A-Z])(\d{3})$/.exec(s);
  if (!m) return null;
  const seq = Number(m[2]);
  if (seq < 1) return null;
  return { letter: m[1]!, seq };
}

/**
 * The sequence a desk issues next. On start the desk resumes after the highest number it knows of: its own SQLite
 * (tickets not yet pushed) or the centre (tickets issued before a reinstall or a lost local database).
 */
export function nextDeskSeq(localMax: number, centralMax: number): number {
  for (const [name, v] of [['localMax', localMax], ['centralMax', centralMax]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a whole number of 0 or more, got ${v}`);
  }
  const next = Math.max(localMax, centralMax) + 1;
  if (next > MAX_DESK_SEQ) {
    throw new RangeError(`This desk has already issued all ${MAX_DESK_SEQ} ticket numbers for today.`);
  }
  return next;
}
