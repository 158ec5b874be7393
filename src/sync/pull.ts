import type { Central } from './central';
import { classifyFailure } from './central';
import { syncedTables, type SyncedTableName } from './tables';

/**
 * Position in the central change feed: the (xid, seq) of the last change applied. Only changes of
 * transactions below the snapshot horizon are handed out, and every transaction below it has
 * finished, so no change can later appear behind this cursor (DESIGN §4).
 */
export interface FeedCursor {
  xid: string;
  seq: string;
}

export interface Change {
  seq: string;
  xid: string;
  table: SyncedTableName;
  id: string;
  op: 'U' | 'D';
  row: Record<string, unknown> | null;
}

export type Row = Record<string, unknown>;

/** The station cache as the puller sees it. Each call is one local transaction. */
export interface ChangeSink {
  readCursor(): FeedCursor | null;
  /** Replaces the cache's copy of the given tables with a snapshot and sets the cursor. */
  applySnapshot(tables: { table: SyncedTableName; rows: Row[] }[], cursor: FeedCursor): void;
  /**
   * Applies changes in order and moves the cursor, or refuses (returns false) when local writes
   * still wait in the outbox: server state is never applied over them.
   */
  applyChanges(changes: Change[], cursor: FeedCursor): boolean;
}

export type PullOutcome = { kind: 'initial'; rows: number } | { kind: 'incremental'; changes: number } | { kind: 'deferred' };

export class Puller {
  constructor(
    private readonly central: Central,
    private readonly clinicId: string,
    private readonly tables: SyncedTableName[],
    private readonly sink: ChangeSink,
    /** Reads carry the signed-in session too, so the centre's row-level security scopes them. */
    private readonly sessionToken: () => string | null,
    private readonly batchSize = 2000,
  ) {}

  async pull(): Promise<PullOutcome> {
    const cursor = this.sink.readCursor();
    if (!cursor) return this.initialLoad();
    return this.incremental(cursor);
  }

  private async initialLoad(): Promise<PullOutcome> {
    const ordered = [...this.tables].sort((a, b) => Number(!!syncedTables[b].urgent) - Number(!!syncedTables[a].urgent));
    const client = await this.central.pool.connect().catch((error: unknown) => {
      throw classifyFailure(error);
    });
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query("SELECT set_config('app.session_token', $1, true)", [this.sessionToken() ?? '']);
      const horizon = await client.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
      const loaded: { table: SyncedTableName; rows: Row[] }[] = [];
      let count = 0;
      for (const name of ordered) {
        const spec = syncedTables[name];
        const columns = spec.columns.map((c) => `"${c}"`).join(', ');
        const scope = name === 'clinics' ? 'id = $1' : 'clinic_id = $1';
        const filter = spec.initialFilter ? ` AND ${spec.initialFilter}` : '';
        const { rows } = await client.query<Row>(`SELECT ${columns} FROM clinic.${name} WHERE ${scope}${filter}`, [this.clinicId]);
        loaded.push({ table: name, rows });
        count += rows.length;
      }
      await client.query('COMMIT');
      this.sink.applySnapshot(loaded, { xid: horizon.rows[0]!.xmin, seq: '0' });
      return { kind: 'initial', rows: count };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw classifyFailure(error);
    } finally {
      client.release(broken);
    }
  }

  private async incremental(start: FeedCursor): Promise<PullOutcome> {
    let cursor = start;
    let total = 0;
    for (;;) {
      const { rows } = await this.central.withSession({ token: this.sessionToken() }, (client) =>
        client.query<{ result: { changes: Change[] } }>('SELECT sync.pull($1::uuid, $2::xid8, $3::bigint, $4::text[], $5::int) AS result', [
          this.clinicId,
          cursor.xid,
          cursor.seq,
          this.tables,
          this.batchSize,
        ]),
      );
      const changes = rows[0]!.result.changes;
      if (changes.length === 0) return { kind: 'incremental', changes: total };
      const last = changes[changes.length - 1]!;
      const next = { xid: String(last.xid), seq: String(last.seq) };
      if (!this.sink.applyChanges(changes, next)) return { kind: 'deferred' };
      cursor = next;
      total += changes.length;
      if (changes.length < this.batchSize) return { kind: 'incremental', changes: total };
    }
  }
}
