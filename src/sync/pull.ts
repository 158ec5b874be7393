import { CentralError, type Central, type TableScope } from './central';
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
    private readonly tables: readonly SyncedTable[],
    private readonly sink: ChangeSink,
    /** Reads carry the signed-in session: the centre scopes them to its clinic and role (row-level security). */
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
    const answer = await this.central.protocol();
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
    const token = this.sessionToken();
    // Under row-level security a load without a session reads nothing, and that empty snapshot would stand.
    if (!token) return { kind: 'deferred' };
    if (!cursor) return this.initialLoad(token);
    return this.incremental(cursor, token);
  }

  /** The tables this station mirrors, and the live channel's query for them. */
  tableNames(): string[] {
    return this.tables.map((t) => t.name);
  }

  private async initialLoad(token: string): Promise<PullOutcome> {
    let progress = this.sink.readInitialSync();
    const resumed = progress !== null;
    if (!progress) progress = await this.planInitialLoad(token);
    else progress = { ...progress, resumedAt: progress.tables.reduce((n, t) => n + t.loaded, 0) };
    const total = progress.tables.reduce((n, t) => n + t.total, 0);
    for (const entry of progress.tables) {
      while (!entry.done) {
        const rows = await this.central.initialPage(
          {
            ...this.scope(entry.table, progress.windows[entry.table] ?? null),
            columns: [...this.spec(entry.table).columns],
            afterId: entry.afterId,
            limit: this.pageSize,
          },
          token,
        );
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

  /** The centre takes the horizon first: every change committed after it will be replayed from the feed. */
  private async planInitialLoad(token: string): Promise<InitialSync> {
    const now = this.now();
    const ordered = [...this.tables].sort((a, b) => Number(!!b.urgent) - Number(!!a.urgent)).map((t) => t.name);
    const windows: WindowBounds = {};
    for (const name of ordered) {
      const window = this.spec(name).window;
      if (window) windows[name] = windowStart(window.kind, now);
    }
    const plan = await this.central.initialPlan(
      ordered.map((name) => this.scope(name, windows[name] ?? null)),
      token,
    );
    const tables = ordered.map((table) => ({
      table,
      afterId: null,
      loaded: 0,
      total: plan.tables.find((t) => t.table === table)?.total ?? 0,
      done: false,
    }));
    return { horizon: plan.horizon, windows, tables, resumedAt: null };
  }

  private spec(table: string): SyncedTable {
    const spec = this.tables.find((t) => t.name === table);
    if (!spec) throw new Error(`This station does not mirror table ${table}.`);
    return spec;
  }

  private scope(table: string, since: string | null): TableScope {
    const window = this.spec(table).window;
    return { table, window: window && since ? { column: window.column, kind: window.kind, since } : null };
  }

  private async incremental(start: FeedCursor, token: string): Promise<PullOutcome> {
    let cursor = start;
    let total = 0;
    for (;;) {
      const { changes } = await this.central.pull(cursor, this.tableNames(), this.batchSize, token);
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
   * Changes the live channel pushed: those after the cursor are applied and the cursor moves to `to`. Returns false
   * when they cannot be (a gap before `from`, or local writes waiting): the caller pulls instead.
   */
  applyLive(from: FeedCursor, to: FeedCursor, changes: Change[]): boolean {
    const cursor = this.sink.readCursor();
    if (!cursor || compareCursors(cursor, from) < 0) return false;
    if (compareCursors(cursor, to) >= 0) return true;
    const unseen = changes.filter((change) => compareCursors({ xid: String(change.xid), seq: String(change.seq) }, cursor) > 0);
    return this.sink.applyChanges(unseen, to);
  }

  /**
   * Compares every table partition's digest with the centre's and repairs only the partitions that
   * differ. A partition can differ for a moment because the centre moved on since the last pull, so
   * a difference is confirmed after pulling again before anything is rewritten.
   */
  async verify(): Promise<{ partitions: number; repaired: { table: string; partition: string; rows: number }[] }> {
    const token = this.sessionToken();
    if (!this.sink.readCursor() || !token) return { partitions: 0, repaired: [] };
    let suspects = await this.diverged(this.tableNames(), token);
    if (suspects.length === 0) return { partitions: this.tables.length * 16, repaired: [] };
    const pulled = await this.pull();
    if (pulled.kind === 'deferred') return { partitions: 0, repaired: [] };
    suspects = await this.diverged([...new Set(suspects.map((s) => s.table))], token, suspects);
    const repaired: { table: string; partition: string; rows: number }[] = [];
    for (const { table, partition, since } of suspects) {
      const rows = await this.central.partition({ ...this.scope(table, since), columns: [...this.spec(table).columns], partition }, token);
      if (!this.sink.repairPartition(table, partition, since, rows)) break;
      repaired.push({ table, partition, rows: rows.length });
    }
    return { partitions: this.tables.length * 16, repaired };
  }

  private async diverged(
    tables: string[],
    token: string,
    only?: { table: string; partition: string }[],
  ): Promise<{ table: string; partition: string; since: string | null }[]> {
    const now = this.now();
    const sinceOf = (table: string) => {
      const window = this.spec(table).window;
      return window ? windowStart(window.kind, now) : null;
    };
    const answers = await this.central.digests(
      tables.map((table) => this.scope(table, sinceOf(table))),
      token,
    );
    const found: { table: string; partition: string; since: string | null }[] = [];
    for (const table of tables) {
      const since = sinceOf(table);
      const central = new Map((answers.find((a) => a.table === table)?.partitions ?? []).map((d) => [d.partition, d]));
      const local = new Map(this.sink.localDigests(table, since).map((d) => [d.partition, d]));
      for (const partition of new Set([...central.keys(), ...local.keys()])) {
        if (only && !only.some((o) => o.table === table && o.partition === partition)) continue;
        const a = central.get(partition);
        const b = local.get(partition);
        if (!a || !b || a.count !== b.count || a.sum !== b.sum || a.mix !== b.mix) found.push({ table, partition, since });
      }
    }
    return found;
  }
}

/** Feed positions in (xid, seq) order; both are decimal strings that may exceed 2^53. */
export function compareCursors(a: FeedCursor, b: FeedCursor): number {
  const xid = BigInt(a.xid) - BigInt(b.xid);
  if (xid !== 0n) return xid < 0n ? -1 : 1;
  const seq = BigInt(a.seq) - BigInt(b.seq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

const olderCentreMessage =
  'The central database is older than this app expects. Ask IT to apply the pending migrations ' +
  '(npm run cli -- migrate); this station keeps its cache and waiting changes until then.';
