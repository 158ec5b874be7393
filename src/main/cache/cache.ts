import Database from 'better-sqlite3';
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
} from 'kysely';
import { randomUUID } from 'node:crypto';
import type { CentralError } from '../../sync/central';
import type { Change, ChangeSink, FeedCursor, InitialSync, PartitionDigest, Row } from '../../sync/pull';
import type { OutboxEntry, OutboxStore } from '../../sync/push';
import { stationTables, type StationSchema, type TableName } from '../schema';
import { isWritable, mirroredColumns, reconcileCache, type TableDefinition } from './table';

/** How to take back an optimistic local change if the centre refuses it. */
export type Undo = { kind: 'delete'; table: TableName; id: string } | { kind: 'restore'; table: TableName; row: Row };

export interface OutboxWrite {
  procedure: string;
  args: unknown;
  sessionToken: string | null;
  undo: Undo[];
}

export type WriteMode = 'pull' | 'ack' | 'local';

export interface AppliedSummary {
  tables: Set<string>;
  /** Rows of tables that report new rows (the display announces new calls), not in the cache before. */
  newRows: { table: string; row: Row }[];
}

export const emptySummary = (): AppliedSummary => ({ tables: new Set(), newRows: [] });

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?|Z)$/;

/** Brings a value from the centre (pg row or JSON image) into the cache's representation. */
function toCacheValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) return new Date(value).toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * The station's SQLite cache. Queries are built with Kysely and run synchronously on
 * better-sqlite3, so a local change and its outbox entry commit in one transaction with nothing
 * interleaved. One class of ~400 lines on purpose: the outbox (OutboxStore) and the pull side
 * (ChangeSink) must share this one connection and its transactions, or the barrier that keeps
 * server rows off locally written ones would not hold.
 */
export class Cache implements ChangeSink, OutboxStore {
  readonly db: Database.Database;
  readonly q: Kysely<StationSchema>;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly mirrored: Map<string, TableDefinition>;
  /** Worked out once per table: writeRow runs for every row of a first load. */
  private readonly columnsOf: Map<string, string[]>;
  private onApplied: (summary: AppliedSummary) => void = () => undefined;

  constructor(
    readonly file: string,
    readonly tables: readonly TableDefinition[] = stationTables,
  ) {
    this.mirrored = new Map(tables.filter((t) => t.sync).map((t) => [t.name, t]));
    this.columnsOf = new Map([...this.mirrored.values()].map((t) => [t.name, mirroredColumns(t)]));
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    reconcileCache(this.db, tables);
    this.q = new Kysely<StationSchema>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  }

  setChangeListener(listener: (summary: AppliedSummary) => void): void {
    this.onApplied = listener;
  }

  /** Tells the core about rows written outside the cache's own sync paths (a procedure's answer). */
  notifyApplied(summary: AppliedSummary): void {
    this.onApplied(summary);
  }

  all<R>(query: Compilable<R>): R[] {
    const compiled = query.compile();
    return this.statement(compiled.sql).all(...(compiled.parameters as unknown[])) as R[];
  }

  get<R>(query: Compilable<R>): R | undefined {
    const compiled = query.compile();
    return this.statement(compiled.sql).get(...(compiled.parameters as unknown[])) as R | undefined;
  }

  run(query: Compilable<unknown>): Database.RunResult {
    const compiled = query.compile();
    return this.statement(compiled.sql).run(...(compiled.parameters as unknown[]));
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  getMeta(key: string): string | null {
    return this.get(this.q.selectFrom('meta').select('value').where('key', '=', key))?.value ?? null;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) {
      this.run(this.q.deleteFrom('meta').where('key', '=', key));
      return;
    }
    this.run(
      this.q
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value })),
    );
  }

  /**
   * Writes an optimistic local change and its outbox entry in one transaction, so neither can
   * exist without the other. `describe` sees what `write` returned (e.g. the ticket number it took).
   */
  enqueue<T>(write: () => T, describe: (written: T) => OutboxWrite): { requestKey: string; written: T } {
    const requestKey = randomUUID();
    const written = this.transaction(() => {
      const result = write();
      const entry = describe(result);
      this.run(
        this.q.insertInto('outbox').values({
          request_key: requestKey,
          procedure: entry.procedure,
          args: JSON.stringify(entry.args),
          session_token: entry.sessionToken,
          undo: JSON.stringify(entry.undo),
          created_at: new Date().toISOString(),
        } as never),
      );
      return result;
    });
    return { requestKey, written };
  }

  /** The centre's refusal of one request, if it refused it. */
  rejectionOf(requestKey: string): StationSchema['rejections'] | undefined {
    return this.get(this.q.selectFrom('rejections').selectAll().where('request_key', '=', requestKey));
  }

  rejections(): StationSchema['rejections'][] {
    return this.all(this.q.selectFrom('rejections').selectAll().where('dismissed_at', 'is', null).orderBy('id', 'desc'));
  }

  rejectionCount(): number {
    return Number(this.get(this.q.selectFrom('rejections').select((eb) => eb.fn.countAll<number>().as('n')).where('dismissed_at', 'is', null))?.n ?? 0);
  }

  /** Kept, not deleted: what the centre refused stays on record for the clinic manager. */
  dismissRejection(id: number): void {
    this.run(this.q.updateTable('rejections').set({ dismissed_at: new Date().toISOString() }).where('id', '=', id));
  }

  isQueued(requestKey: string): boolean {
    return this.get(this.q.selectFrom('outbox').select('seq').where('request_key', '=', requestKey)) !== undefined;
  }

  pendingCount(): number {
    return Number(this.get(this.q.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0);
  }

  /** Offline work waits for the person who did it to sign in again; their new session carries it. */
  restampSessions(token: string): void {
    this.run(this.q.updateTable('outbox').set({ session_token: token }));
  }

  // --- OutboxStore -------------------------------------------------------------------------

  peek(limit: number): OutboxEntry[] {
    return this.all(this.q.selectFrom('outbox').selectAll().orderBy('seq').limit(limit)).map((row) => ({
      seq: row.seq,
      requestKey: row.request_key,
      procedure: row.procedure,
      args: JSON.parse(row.args) as unknown,
      sessionToken: row.session_token,
    }));
  }

  acknowledge(entry: OutboxEntry, result: unknown): void {
    const summary = emptySummary();
    this.transaction(() => {
      this.applyProcedureResult(result, summary);
      this.run(this.q.deleteFrom('outbox').where('seq', '=', entry.seq));
    });
    this.onApplied(summary);
  }

  reject(entry: OutboxEntry, error: CentralError): void {
    const summary = emptySummary();
    this.transaction(() => {
      const row = this.get(this.q.selectFrom('outbox').select('undo').where('seq', '=', entry.seq));
      if (row) for (const step of (JSON.parse(row.undo) as Undo[]).reverse()) this.undo(step, summary);
      this.run(
        this.q.insertInto('rejections').values({
          request_key: entry.requestKey,
          procedure: entry.procedure,
          args: JSON.stringify(entry.args),
          code: error.code,
          message: error.message,
          created_at: new Date().toISOString(),
        } as never),
      );
      this.run(this.q.deleteFrom('outbox').where('seq', '=', entry.seq));
    });
    this.onApplied(summary);
  }

  private undo(undo: Undo, summary: AppliedSummary): void {
    summary.tables.add(undo.table);
    if (undo.kind === 'delete') {
      this.db.prepare(`DELETE FROM ${undo.table} WHERE id = ?`).run(undo.id);
      return;
    }
    this.writeRow(undo.table, undo.row, { mode: 'local' });
  }

  /** Procedures answer with the rows they wrote (`ticket`, `call`, `patient`): apply them now. */
  applyProcedureResult(result: unknown, summary: AppliedSummary): void {
    if (!result || typeof result !== 'object') return;
    for (const table of this.mirrored.values()) {
      const image = table.sync?.resultKey ? (result as Record<string, unknown>)[table.sync.resultKey] : undefined;
      if (image && typeof image === 'object') {
        if (this.writeRow(table.name, image as Row, { mode: 'ack', summary })) summary.tables.add(table.name);
      }
    }
  }

  // --- ChangeSink ----------------------------------------------------------------------------

  readCursor(): FeedCursor | null {
    const raw = this.getMeta('feed_cursor');
    return raw ? (JSON.parse(raw) as FeedCursor) : null;
  }

  readInitialSync(): InitialSync | null {
    const raw = this.getMeta('initial_sync');
    return raw ? (JSON.parse(raw) as InitialSync) : null;
  }

  saveInitialPage(table: string, rows: Row[], progress: InitialSync): void {
    this.transaction(() => {
      if (this.getMeta('fts_deferred') === null) this.setMeta('fts_deferred', '1');
      // A first load has nothing deleted yet to guard against; looking up every row would only cost.
      const noTombstones = !this.hasTombstones();
      for (const row of rows) this.writeRow(table, row, { mode: 'pull', noTombstones });
      this.setMeta('initial_sync', JSON.stringify(progress));
    });
    if (rows.length) this.onApplied({ tables: new Set([table]), newRows: [] });
  }

  finishInitialSync(cursor: FeedCursor): void {
    this.transaction(() => {
      if (this.getMeta('fts_deferred') !== null) {
        for (const table of this.mirrored.values()) if (table.sync?.rebuildIndexes) this.db.exec(table.sync.rebuildIndexes);
        this.setMeta('fts_deferred', null);
      }
      this.setMeta('feed_cursor', JSON.stringify(cursor));
      this.setMeta('initial_sync', null);
    });
  }

  private hasTombstones(): boolean {
    return this.statement('SELECT EXISTS (SELECT 1 FROM tombstones)').pluck().get() === 1;
  }

  localDigests(table: string, since: string | null): PartitionDigest[] {
    const window = this.mirroredTable(table).sync?.window;
    const filter = window && since ? `WHERE ${window.column} >= @since` : '';
    return this.db
      .prepare(
        `SELECT substr(id, 1, 1) AS partition, count(*) AS count,
                CAST(coalesce(sum(sync_seq), 0) AS TEXT) AS sum,
                CAST(coalesce(sum((sync_seq % 1000003) * (sync_seq % 999983)), 0) AS TEXT) AS mix
           FROM ${table} ${filter} GROUP BY 1`,
      )
      .all(filter ? { since } : {}) as PartitionDigest[];
  }

  repairPartition(table: string, partition: string, since: string | null, rows: Row[]): boolean {
    const summary: AppliedSummary = { tables: new Set([table]), newRows: [] };
    const repaired = this.transaction(() => {
      if (this.pendingCount() > 0) return false;
      const window = this.mirroredTable(table).sync?.window;
      const keep = new Set(rows.map((row) => String(row.id)));
      const local = this.db
        .prepare(`SELECT id FROM ${table} WHERE substr(id, 1, 1) = @partition${window && since ? ` AND ${window.column} >= @since` : ''}`)
        .pluck()
        .all(window && since ? { partition, since } : { partition }) as string[];
      const remove = this.db.prepare(`DELETE FROM ${table} WHERE id = ?`);
      for (const id of local) if (!keep.has(id)) remove.run(id);
      for (const row of rows) this.writeRow(table, row, { mode: 'ack' });
      return true;
    });
    if (repaired) this.onApplied(summary);
    return repaired;
  }

  applyChanges(changes: Change[], cursor: FeedCursor): boolean {
    const summary = emptySummary();
    const applied = this.transaction(() => {
      if (this.pendingCount() > 0) return false;
      for (const change of changes) {
        if (!this.mirrored.has(change.table)) continue;
        const seq = Number(change.seq);
        if (change.op === 'D') {
          this.statement(`DELETE FROM ${change.table} WHERE id = ?`).run(change.id);
          this.db
            .prepare('INSERT INTO tombstones (table_name, id, sync_seq) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET sync_seq = max(sync_seq, excluded.sync_seq)')
            .run(change.table, change.id, seq);
          summary.tables.add(change.table);
        } else if (change.row) {
          if (this.writeRow(change.table, { ...change.row, sync_seq: seq }, { mode: 'pull', summary })) summary.tables.add(change.table);
        }
      }
      this.setMeta('feed_cursor', JSON.stringify(cursor));
      return true;
    });
    if (applied) this.onApplied(summary);
    return applied;
  }

  /**
   * Upserts one row image. `pull` keeps the newest image by sync_seq (and respects tombstones);
   * `ack` is the centre's answer to our own request, which replaces our optimistic row; `local`
   * is an optimistic write or its undo.
   */
  writeRow(
    table: string,
    image: Row,
    options: { mode: WriteMode; summary?: AppliedSummary; pending?: boolean; noTombstones?: boolean },
  ): boolean {
    const spec = this.mirroredTable(table);
    const values: Record<string, unknown> = {};
    for (const column of this.columnsOf.get(table)!) values[column] = toCacheValue(image[column]);
    if (values.sync_seq === null) values.sync_seq = 0;
    values.sync_seq = Number(values.sync_seq);
    spec.sync?.derive?.(values);
    if (isWritable(spec)) values.pending = options.pending ? 1 : 0;

    if (options.mode === 'pull' && !options.noTombstones) {
      const tomb = this.statement('SELECT sync_seq FROM tombstones WHERE table_name = ? AND id = ?').get(table, values.id) as
        | { sync_seq: number }
        | undefined;
      if (tomb && tomb.sync_seq >= (values.sync_seq as number)) return false;
    }
    const isNew = spec.sync?.reportNewRows === true && options.summary !== undefined && !this.statement(`SELECT 1 FROM ${table} WHERE id = ?`).get(values.id);

    const result = this.upsertStatement(spec, Object.keys(values), options.mode).run(values);
    if (isNew && result.changes > 0) options.summary!.newRows.push({ table, row: values });
    return result.changes > 0;
  }

  /** Statements are prepared once per connection: preparing costs more than running them. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A table's row images always carry the same columns, so one statement per table and mode. */
  private upsertStatement(spec: TableDefinition, columns: string[], mode: WriteMode): Database.Statement {
    const table = spec.name;
    const cacheKey = `${table}:${mode}`;
    let statement = this.statements.get(cacheKey);
    if (!statement) {
      const keys = spec.primaryKey;
      const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`);
      const guard = {
        // A row with a local write still waiting in the outbox is never overwritten by the centre.
        pull: ` WHERE excluded.sync_seq > ${table}.sync_seq${isWritable(spec) ? ` AND ${table}.pending = 0` : ''}`,
        ack: ` WHERE excluded.sync_seq >= ${table}.sync_seq OR ${table}.pending = 1`,
        local: '',
      }[mode];
      statement = this.db.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ` +
          `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates.join(', ')}${guard}`,
      );
      this.statements.set(cacheKey, statement);
    }
    return statement;
  }

  private mirroredTable(name: string): TableDefinition {
    const table = this.mirrored.get(name);
    if (!table) throw new Error(`The cache does not mirror table ${name}.`);
    return table;
  }

  readRow(table: string, id: string): Row | undefined {
    return this.db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(id) as Row | undefined;
  }

  close(): void {
    this.db.close();
  }
}
