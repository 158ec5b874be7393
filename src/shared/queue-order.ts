import type { QueueStatus } from './contract';
import { ageOn } from './clinic-day';

/*
 * "Call next" order, which clinic.call_next in SQL must reproduce exactly:
 *   priority DESC (2 urgent, 1 elderly 80+, 0 normal),
 *   then appointments already due (due_at <= now) before everyone else, earliest due_at first,
 *   then queued_at ASC (first come; reset when a skipped ticket is re-queued, which sends it to the back),
 *   then ticket_number, compared by code unit (SQL: COLLATE "C").
 * A not-yet-due appointment is an ordinary arrival until its time comes: it waits its turn by queued_at.
 * A skipped ticket counts as priority 0 and not due: the patient who did not answer goes behind everyone
 * already waiting, whatever their band, instead of being called straight back.
 */

export type QueuePriority = 0 | 1 | 2;

export interface QueueCandidate {
  ticketNumber: string;
  priority: QueuePriority;
  status: QueueStatus;
  /** Null: any doctor may call the ticket. */
  doctorId: string | null;
  /** ISO instant the appointment starts; null for walk-ins. */
  dueAt: string | null;
  /** ISO instant the ticket joined (or re-joined) the queue. */
  queuedAt: string;
  /** Sent to the back by a skip (until reception sets its priority again). */
  skipped: boolean;
}

export interface CallerContext {
  doctorId: string;
  now: Date;
}

function instant(iso: string, field: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`${field} is not an ISO date-time: "${iso}"`);
  return t;
}

function band(c: QueueCandidate): QueuePriority {
  return c.skipped ? 0 : c.priority;
}

function dueTime(c: QueueCandidate, now: number): number | null {
  if (c.dueAt === null || c.skipped) return null;
  const t = instant(c.dueAt, 'dueAt');
  return t <= now ? t : null;
}

function compareAt(a: QueueCandidate, b: QueueCandidate, now: number): number {
  if (band(a) !== band(b)) return band(b) - band(a);
  const aDue = dueTime(a, now);
  const bDue = dueTime(b, now);
  if (aDue !== null && bDue === null) return -1;
  if (aDue === null && bDue !== null) return 1;
  if (aDue !== null && bDue !== null && aDue !== bDue) return aDue - bDue;
  const byQueued = instant(a.queuedAt, 'queuedAt') - instant(b.queuedAt, 'queuedAt');
  if (byQueued !== 0) return byQueued;
  if (a.ticketNumber === b.ticketNumber) return 0;
  return a.ticketNumber < b.ticketNumber ? -1 : 1;
}

/** Negative when `a` is called before `b` at `nowIso`. */
export function compareForCall(a: QueueCandidate, b: QueueCandidate, nowIso: string): number {
  return compareAt(a, b, instant(nowIso, 'now'));
}

function isCallableBy(c: QueueCandidate, doctorId: string): boolean {
  return c.status === 'waiting' && (c.doctorId === null || c.doctorId === doctorId);
}

/** The waiting tickets this doctor may call, in the order they will be called. */
export function orderQueue<T extends QueueCandidate>(candidates: readonly T[], ctx: CallerContext): T[] {
  const now = ctx.now.getTime();
  if (Number.isNaN(now)) throw new RangeError('now must be a valid date');
  return candidates.filter((c) => isCallableBy(c, ctx.doctorId)).sort((a, b) => compareAt(a, b, now));
}

/** Reception's order: who is with a doctor now (latest call first), then who waits in call order, then the finished. */
export function orderForReception<T extends QueueCandidate & { calledAt: string | null; issuedAt: string }>(tickets: readonly T[], nowIso: string): T[] {
  const now = instant(nowIso, 'now');
  const rank = (t: T) => (t.status === 'called' ? 0 : t.status === 'waiting' ? 1 : 2);
  return [...tickets].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    if (a.status === 'called') return (b.calledAt ?? '').localeCompare(a.calledAt ?? '');
    if (a.status === 'waiting') return compareAt(a, b, now);
    return a.issuedAt.localeCompare(b.issuedAt) || (a.ticketNumber < b.ticketNumber ? -1 : 1);
  });
}

export function pickNext<T extends QueueCandidate>(candidates: readonly T[], ctx: CallerContext): T | null {
  return orderQueue(candidates, ctx)[0] ?? null;
}

export function priorityFor(p: { urgent: boolean; dateOfBirth: string; serviceDate: string }): QueuePriority {
  if (p.urgent) return 2;
  return ageOn(p.dateOfBirth, p.serviceDate) >= 80 ? 1 : 0;
}
