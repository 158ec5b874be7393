import { randomUUID } from 'node:crypto';
import { ApiError, type DisplayCall } from '../../shared/contract';
import type { addBoardInputSchema, BoardInfo } from '../../shared/devices-contract';
import type { Cache } from '../cache/cache';
import type { StationSchema } from '../schema';
import { QueueBoard } from './boards/board';
import { boardDriver, boardDrivers } from './boards/index';
import type { Transport } from './transport';
import type { z } from 'zod';

type BoardRow = StationSchema['boards'];

export interface BoardDeps {
  cache: Cache;
  now: () => Date;
  transportFor: (kind: string, address: string, baudRate: number | null) => Transport;
}

/** The LED queue boards and pole displays this station drives: every call is shown on each. */
export class BoardService {
  private readonly boards = new Map<string, { row: BoardRow; board: QueueBoard }>();

  constructor(private readonly deps: BoardDeps) {}

  private get q() {
    return this.deps.cache.q;
  }

  start(): void {
    for (const row of this.deps.cache.all(this.q.selectFrom('boards').selectAll())) this.attachBoard(row);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.boards.values()].map((b) => b.board.stop()));
    this.boards.clear();
  }

  private attachBoard(row: BoardRow): void {
    const board = new QueueBoard(boardDriver(row.driver), this.deps.transportFor(row.transport, row.address, row.baud_rate));
    this.boards.set(row.id, { row, board });
  }

  private boardInfo(entry: { row: BoardRow; board: QueueBoard }): BoardInfo {
    return {
      id: entry.row.id,
      name: entry.row.name,
      driver: entry.row.driver,
      transport: entry.row.transport as BoardInfo['transport'],
      address: entry.row.address,
      state: entry.board.state,
      lastError: entry.board.lastError,
    };
  }

  listBoards(): BoardInfo[] {
    return [...this.boards.values()].map((entry) => this.boardInfo(entry));
  }

  addBoard(input: z.output<typeof addBoardInputSchema>): BoardInfo {
    if (!boardDrivers[input.driver]) throw new ApiError('validation', `This station has no "${input.driver}" board driver.`);
    if (input.transport === 'tcp' && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(input.address)) {
      throw new ApiError('validation', 'Enter a network board as host:port, e.g. 192.168.1.60:3001.');
    }
    const row: BoardRow = { id: randomUUID(), ...input, baud_rate: input.transport === 'serial' ? input.baudRate : null, created_at: this.deps.now().toISOString() };
    delete (row as Partial<typeof input>).baudRate;
    this.deps.cache.run(this.q.insertInto('boards').values(row));
    this.attachBoard(row);
    return this.boardInfo(this.boards.get(row.id)!);
  }

  async removeBoard(boardId: string): Promise<void> {
    const entry = this.boards.get(boardId);
    if (!entry) throw new ApiError('not_found', 'That board is not set up at this station.');
    this.boards.delete(boardId);
    this.deps.cache.run(this.q.deleteFrom('boards').where('id', '=', boardId));
    await entry.board.stop();
  }

  async testBoard(boardId: string): Promise<BoardInfo> {
    const entry = this.boards.get(boardId);
    if (!entry) throw new ApiError('not_found', 'That board is not set up at this station.');
    await entry.board.show({ ticketNumber: 'A000', roomName: 'Test' });
    return this.boardInfo(entry);
  }

  /** Every call goes to every board this station drives. */
  async showOnBoards(call: Pick<DisplayCall, 'ticketNumber' | 'roomName'>): Promise<void> {
    await Promise.all([...this.boards.values()].map((entry) => entry.board.show({ ticketNumber: call.ticketNumber, roomName: call.roomName })));
  }
}
