import { RECENT_CALLS, type DisplayCall, type DisplayRoom, type QueueStatus } from './contract';

/*
 * What the waiting room is shown of today's calls. The station core and the renderer's fake both
 * build the board with these rules, so the screenshots show what a clinic would see.
 */

/** One of today's calls with what the cache knows of its ticket now. */
export interface BoardCall {
  call: DisplayCall;
  ticketId: string;
  roomId: string | null;
  /** Null while the ticket's own row has not reached this station: the call is the newest news of it. */
  ticket: { status: QueueStatus; roomId: string | null } | null;
}

export interface BoardRoom {
  id: string;
  code: string;
  name: string;
  active: boolean;
}

/** Done with: the patient has nothing more to go to, so the board stops naming the number. */
const FINISHED: ReadonlySet<QueueStatus> = new Set(['completed', 'no_show', 'cancelled']);

function newestFirst(a: BoardCall, b: BoardCall): number {
  return b.call.calledAt.localeCompare(a.call.calledAt);
}

/** Each room's current number and the recent calls, from today's calls in any order. */
export function displayBoard(calls: readonly BoardCall[], rooms: readonly BoardRoom[]): { rooms: DisplayRoom[]; recent: DisplayCall[] } {
  const byTime = [...calls].sort(newestFirst);

  // A recall is a new call of the same ticket: the ticket is listed once, at its latest call.
  const seen = new Set<string>();
  const latestPerTicket = byTime.filter((c) => {
    if (seen.has(c.ticketId)) return false;
    seen.add(c.ticketId);
    return true;
  });
  const recent = latestPerTicket
    .filter((c) => !(c.ticket && FINISHED.has(c.ticket.status)))
    .slice(0, RECENT_CALLS)
    .map((c) => c.call);

  // An inactive room still shows while it has called someone today, so no current number vanishes.
  const used = new Set(calls.map((c) => c.roomId));
  const shown = rooms
    .filter((r) => r.active || used.has(r.id))
    .sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));

  return {
    rooms: shown.map((room) => {
      const newest = byTime.find((c) => c.roomId === room.id);
      // The room's newest call is who it serves, until that ticket is finished or has gone back to the queue or elsewhere.
      const serving = newest && (!newest.ticket || (newest.ticket.status === 'called' && newest.ticket.roomId === room.id)) ? newest.call : null;
      return { roomName: room.name, serving };
    }),
    recent,
  };
}
