import type pg from 'pg';
import type { Central } from './central';
import { CentralError, classifyFailure } from './central';
import { windowStart, type SyncedTable } from './tables';

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
  table: string;
  id: string;
  op: 'U' | 'D';
  row: Record<string, unknown> | null;
}

export type Row = Record<string, unknown>;

/** The lower bound of a windowed table's rows, fixed for the life of one initial load. */
export type WindowBounds = Record<string, string>;

/**
 * An initial load in progress, saved after every page so a station killed halfway resumes there.
 * Rows are paged by id without one long snapshot: every change committed after `horizon` was
 * taken is replayed from the feed afterwards, and the cache keeps the newest image of each row.
 */
export interface InitialSync {
  horizon: string;
  windows: WindowBounds;
  tables: { table: string; afterId: string | null; loaded: number; total: number; done: boolean }[];
  /** Pages loaded before the last restart, kept to show that the load resumed. */
  resumedAt: number | null;
}

/** Count and two sums of sync_seq per id partition: equal digests mean equal rows. */
export interface PartitionDigest {
  partition: string;
  count: number;
  sum: string;
  mix: string;
}

/** The station cache as the puller sees it. Each call is one local transaction. */
export interface ChangeSink {
  readCursor(): FeedCursor | null;
  readInitialSync(): InitialSync | null;
  /** Upserts one page of a table and records the progress, together. */
  saveInitialPage(table: string, rows: Row[], progress: InitialSync): void;
  finishInitialSync(cursor: FeedCursor): void;
  /**
   * Applies changes in order and moves the cursor, or refuses (returns false) when local writes
   * still wait in the outbox: server state is never applied over them.
   */
  applyChanges(changes: Change[], cursor: FeedCursor): boolean;
  localDigests(table: string, since: string | null): PartitionDigest[];
  /** Makes one partition equal to the centre's rows; refuses (false) while the outbox is not empty. */
  repairPartition(table: string, partition: string, since: string | null, rows: Row[]): boolean;
}

export type PullOutcome =
  | { kind: 'initial'; rows: number; resumed: boolean }
  | { kind: 'incremental'; changes: number }
  | { kind: 'deferred' };

export interface InitialProgress {
  loaded: number;
  total: number;
  table: string;
}

/** The sync protocol this station speaks, and the centre protocols it can work with. */
export const STATION_PROTOCOL = 1;
export const SUPPORTED_CENTRE_PROTOCOLS = [1];

export interface PullerOptions {
  /** Rows per page of the initial load: one local transaction each. */
  pageSize?: number;
  batchSize?: number;
  onProgress?: (progress: InitialProgress) => void;
  now?: () => Date;
}

export class Puller {
  private readonly pageSize: number;
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly central: Central,
    private readonly clinicId: string,
    private readonly tables: readonly SyncedTable[],
    private readonly sink: ChangeSink,
    /** Reads carry the signed-in session too, so the centre's row-level security scopes them. */
    private readonly sessionToken: () => string | null,
    private readonly options: PullerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 5000;
    this.batchSize = options.batchSize ?? 2000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Refuses to sync with a centre whose protocol this app does not speak. Nothing is pushed or
   * pulled until the mismatch is fixed, so neither side misreads the other's rows.
   */
  async handshake(): Promise<void> {
    let answer: { protocol: number; min_station_protocol: number };
    try {
      const rows = await this.central.query<{ answer: typeof answer }>('SELECT sync.protocol() AS answer');
      answer = rows[0]!.answer;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.code === '42883' || failure.code === '3F000') {
        throw new CentralError('incompatible', failure.code, olderCentreMessage);
      }
      throw failure;
    }
    if (answer.min_station_protocol > STATION_PROTOCOL) {
      throw new CentralError(
        'incompatible',
        'SYNC_PROTOCOL',
        `This station's app (sync protocol ${STATION_PROTOCOL}) is older than the central database requires (${answer.min_station_protocol}). ` +
          'Install the current version of the app on this PC; its cache and waiting changes are kept and will sync after the update.',
      );
    }
    if (!SUPPORTED_CENTRE_PROTOCOLS.includes(answer.protocol)) {
      throw new CentralError(
        'incompatible',
        'SYNC_PROTOCOL',
        answer.protocol > STATION_PROTOCOL
          ? `The central database speaks sync protocol ${answer.protocol}, newer than this app (${STATION_PROTOCOL}). ` +
            'Install the current version of the app on this PC; its cache and waiting changes are kept.'
          : olderCentreMessage,
      );
    }
  }

  async pull(): Promise<PullOutcome> {
    const cursor = this.sink.readCursor();
    // Under row-level security a load without a session reads nothing, and that empty snapshot would stand.
    if (!cursor && !this.sessionToken()) return { kind: 'deferred' };
    if (!cursor) return this.initialLoad();
    return this.incremental(cursor);
  }

  private async initialLoad(): Promise<PullOutcome> {
    let progress = this.sink.readInitialSync();
    const resumed = progress !== null;
    if (!progress) progress = await this.planInitialLoad();
    else progress = { ...progress, resumedAt: progress.tables.reduce((n, t) => n + t.loaded, 0) };
    const total = progress.tables.reduce((n, t) => n + t.total, 0);
    for (const entry of progress.tables) {
      while (!entry.done) {
        const rows = await this.readPage(entry.table, progress.windows[entry.table] ?? null, entry.afterId);
        const last = rows[rows.length - 1];
        entry.loaded += rows.length;
        entry.afterId = last ? String(last.id) : entry.afterId;
        entry.done = rows.length < this.pageSize;
        this.sink.saveInitialPage(entry.table, rows, progress);
        const loaded = progress.tables.reduce((n, t) => n + t.loaded, 0);
        this.options.onProgress?.({ loaded, total: Math.max(total, loaded), table: entry.table });
      }
    }
    this.sink.finishInitialSync({ xid: progress.horizon, seq: '0' });
    return { kind: 'initial', rows: progress.tables.reduce((n, t) => n + t.loaded, 0), resumed };
  }

  /** Takes the horizon first: every change committed after it will be replayed from the feed. */
  private async planInitialLoad(): Promise<InitialSync> {
    const now = this.now();
    const ordered = [...this.tables].sort((a, b) => Number(!!b.urgent) - Number(!!a.urgent)).map((t) => t.name);
    const windows: WindowBounds = {};
    for (const name of ordered) {
      const window = this.spec(name).window;
      if (window) windows[name] = windowStart(window.kind, now);
    }
    return this.central.withSession({ token: this.sessionToken() }, async (client) => {
      // A session the centre no longer honours fails here (GC401) rather than planning an empty load.
      await client.query('SELECT clinic.current_session()');
      const horizon = await client.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
      const tables: InitialSync['tables'] = [];
      for (const name of ordered) {
        const { where, params } = this.scope(name, windows[name] ?? null);
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinic.${name} WHERE ${where}`, params);
        tables.push({ table: name, afterId: null, loaded: 0, total: rows[0]!.n, done: false });
      }
      return { horizon: horizon.rows[0]!.xmin, windows, tables, resumedAt: null };
    });
  }

  private spec(table: string): SyncedTable {
    const spec = this.tables.find((t) => t.name === table);
    if (!spec) throw new Error(`This station does not mirror table ${table}.`);
    return spec;
  }

  private scope(table: string, since: string | null): { where: string; params: unknown[] } {
    const spec = this.spec(table);
    const params: unknown[] = [this.clinicId];
    let where = table === 'clinics' ? 'id = $1' : 'clinic_id = $1';
    if (spec.window && since) {
      params.push(since);
      where += ` AND "${spec.window.column}" >= $${params.length}::${spec.window.kind === 'date' ? 'date' : 'timestamptz'}`;
    }
    return { where, params };
  }

  private async readPage(table: string, since: string | null, afterId: string | null): Promise<Row[]> {
    const columns = this.spec(table).columns.map((c) => `"${c}"`).join(', ');
    const { where, params } = this.scope(table, since);
    if (afterId) params.push(afterId);
    const after = afterId ? ` AND id > $${params.length}::uuid` : '';
    params.push(this.pageSize);
    const { rows } = await this.central.withSession({ token: this.sessionToken() }, (client) =>
      client.query<Row>(`SELECT ${columns} FROM clinic.${table} WHERE ${where}${after} ORDER BY id LIMIT $${params.length}`, params),
    );
    return rows;
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
          this.tables.map((t) => t.name),
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

  /**
   * Compares every table partition's digest with the centre's and repairs only the partitions that
   * differ. A partition can differ for a moment because the centre moved on since the last pull, so
   * a difference is confirmed after pulling again before anything is rewritten.
   */
  async verify(): Promise<{ partitions: number; repaired: { table: string; partition: string; rows: number }[] }> {
    if (!this.sink.readCursor()) return { partitions: 0, repaired: [] };
    let suspects = await this.diverged(this.tables.map((t) => t.name));
    if (suspects.length === 0) return { partitions: this.tables.length * 16, repaired: [] };
    const pulled = await this.pull();
    if (pulled.kind === 'deferred') return { partitions: 0, repaired: [] };
    suspects = await this.diverged([...new Set(suspects.map((s) => s.table))], suspects);
    const repaired: { table: string; partition: string; rows: number }[] = [];
    for (const { table, partition, since } of suspects) {
      const rows = await this.central.withSession({ token: this.sessionToken() }, (client) => this.readPartition(client, table, partition, since));
      if (!this.sink.repairPartition(table, partition, since, rows)) break;
      repaired.push({ table, partition, rows: rows.length });
    }
    return { partitions: this.tables.length * 16, repaired };
  }

  private async diverged(
    tables: string[],
    only?: { table: string; partition: string }[],
  ): Promise<{ table: string; partition: string; since: string | null }[]> {
    const now = this.now();
    const found: { table: string; partition: string; since: string | null }[] = [];
    await this.central.withSession({ token: this.sessionToken() }, async (client) => {
      for (const table of tables) {
        const window = this.spec(table).window;
        const since = window ? windowStart(window.kind, now) : null;
        const { where, params } = this.scope(table, since);
        const { rows } = await client.query<PartitionDigest>(
          `SELECT left(id::text, 1) AS partition, count(*)::int AS count,
                  coalesce(sum(sync_seq), 0)::text AS sum,
                  coalesce(sum((sync_seq % 1000003) * (sync_seq % 999983)), 0)::text AS mix
             FROM clinic.${table} WHERE ${where} GROUP BY 1`,
          params,
        );
        const central = new Map(rows.map((d) => [d.partition, d]));
        const local = new Map(this.sink.localDigests(table, since).map((d) => [d.partition, d]));
        for (const partition of new Set([...central.keys(), ...local.keys()])) {
          if (only && !only.some((o) => o.table === table && o.partition === partition)) continue;
          const a = central.get(partition);
          const b = local.get(partition);
          if (!a || !b || a.count !== b.count || a.sum !== b.sum || a.mix !== b.mix) found.push({ table, partition, since });
        }
      }
    });
    return found;
  }

  private async readPartition(client: pg.PoolClient, table: string, partition: string, since: string | null): Promise<Row[]> {
    const columns = this.spec(table).columns.map((c) => `"${c}"`).join(', ');
    const { where, params } = this.scope(table, since);
    params.push(partition);
    const { rows } = await client.query<Row>(`SELECT ${columns} FROM clinic.${table} WHERE ${where} AND left(id::text, 1) = $${params.length}`, params);
    return rows;
  }
}

const olderCentreMessage =
  'The central database is older than this app expects. Ask IT to apply the pending migrations ' +
  '(npm run cli -- migrate); this station keeps its cache and waiting changes until then.';
