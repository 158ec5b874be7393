import { describe, expect, it } from 'vitest';
import { RECENT_CALLS, type QueueStatus } from '../../src/shared/contract';
import { displayBoard, type BoardCall, type BoardRoom } from '../../src/shared/display-board';

/* The waiting-room board (issue 11, item 9): one current number per room, and recent calls without repeats or finished tickets. */

const ROOM_1 = '00000000-0000-4000-8000-000000000001';
const ROOM_2 = '00000000-0000-4000-8000-000000000002';
const ROOM_3 = '00000000-0000-4000-8000-000000000003';
const rooms: BoardRoom[] = [
  { id: ROOM_2, code: 'R2', name: 'Room 2', active: true },
  { id: ROOM_1, code: 'R1', name: 'Room 1', active: true },
  { id: ROOM_3, code: 'R10', name: 'Room 10', active: false },
];
const roomName = (id: string) => rooms.find((r) => r.id === id)!.name;

let n = 0;
/** A call at 10:mm today; `ticket` is the ticket's status now and the room it is with, as the cache has it. */
function call(ticketNumber: string, roomId: string, minute: number, ticket: { status: QueueStatus; roomId?: string | null } | null, kind: 'call' | 'recall' = 'call'): BoardCall {
  n += 1;
  return {
    call: { callId: `call-${n}`, ticketNumber, roomName: roomName(roomId), kind, calledAt: `2025-03-03T02:${String(minute).padStart(2, '0')}:00.000Z` },
    ticketId: `ticket-${ticketNumber}`,
    roomId,
    ticket: ticket && { status: ticket.status, roomId: ticket.roomId === undefined ? roomId : ticket.roomId },
  };
}

const serving = (board: ReturnType<typeof displayBoard>) => board.rooms.map((r) => [r.roomName, r.serving?.ticketNumber ?? null]);
const recentNumbers = (board: ReturnType<typeof displayBoard>) => board.recent.map((c) => c.ticketNumber);

describe('the display board', () => {
  it('shows each room its own current number, in room order, when two rooms call close together', () => {
    const board = displayBoard([call('A009', ROOM_1, 11, { status: 'called' }), call('A004', ROOM_2, 10, { status: 'called' })], rooms);
    expect(serving(board)).toEqual([
      ['Room 1', 'A009'],
      ['Room 2', 'A004'],
    ]);
  });

  it('serves the newest call of a room, not an older call of the same room', () => {
    const board = displayBoard([call('A003', ROOM_1, 5, { status: 'completed' }), call('A006', ROOM_1, 9, { status: 'called' })], rooms);
    expect(board.rooms[0]!.serving?.ticketNumber).toBe('A006');
  });

  it('frees a room whose patient is finished or sent back to the queue, and keeps a call whose ticket has not arrived yet', () => {
    const completed = displayBoard([call('A003', ROOM_1, 5, { status: 'completed' }), call('A004', ROOM_2, 6, { status: 'no_show' })], rooms);
    expect(serving(completed)).toEqual([
      ['Room 1', null],
      ['Room 2', null],
    ]);
    const skipped = displayBoard([call('A003', ROOM_1, 5, { status: 'waiting', roomId: null })], rooms);
    expect(skipped.rooms[0]!.serving).toBeNull();
    const calledElsewhere = displayBoard([call('A003', ROOM_1, 5, { status: 'called', roomId: ROOM_2 })], rooms);
    expect(calledElsewhere.rooms[0]!.serving).toBeNull();
    const notYetSynced = displayBoard([call('A003', ROOM_1, 5, null)], rooms);
    expect(notYetSynced.rooms[0]!.serving?.ticketNumber).toBe('A003');
  });

  it('lists a recalled ticket once, at its recall', () => {
    const board = displayBoard(
      [call('A004', ROOM_2, 1, { status: 'called' }), call('A005', ROOM_1, 2, { status: 'called' }), call('A004', ROOM_2, 3, { status: 'called' }, 'recall')],
      rooms,
    );
    expect(recentNumbers(board)).toEqual(['A004', 'A005']);
    expect(board.recent[0]!.kind).toBe('recall');
  });

  it('leaves completed, no-show and cancelled tickets out of the recent calls', () => {
    const board = displayBoard(
      [
        call('A001', ROOM_1, 1, { status: 'completed' }),
        call('A002', ROOM_2, 2, { status: 'no_show' }),
        call('A003', ROOM_1, 3, { status: 'cancelled' }),
        call('A004', ROOM_2, 4, { status: 'called' }),
        call('A005', ROOM_1, 5, { status: 'called' }),
      ],
      rooms,
    );
    expect(recentNumbers(board)).toEqual(['A005', 'A004']);
  });

  it('keeps the recent calls to what fits, newest first', () => {
    const many = Array.from({ length: 8 }, (_, i) => call(`B00${i}`, i % 2 ? ROOM_1 : ROOM_2, i, { status: 'waiting', roomId: null }));
    expect(recentNumbers(displayBoard(many, rooms))).toEqual(['B007', 'B006', 'B005', 'B004', 'B003'].slice(0, RECENT_CALLS));
  });

  it('shows the active rooms even before they call, and an inactive room only once it has called today', () => {
    expect(displayBoard([], rooms).rooms.map((r) => r.roomName)).toEqual(['Room 1', 'Room 2']);
    const board = displayBoard([call('C001', ROOM_3, 4, { status: 'called' })], rooms);
    expect(serving(board)).toEqual([
      ['Room 1', null],
      ['Room 2', null],
      ['Room 10', 'C001'],
    ]);
  });
});
