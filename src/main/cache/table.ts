import type BetterSqlite3 from 'better-sqlite3';
import type { SyncedTable } from '../../sync/tables';

/*
 * One definition per cache table. Each domain folder declares its tables here once; the SQLite
 * DDL, the TypeScript row type, the columns mirrored from the centre and the way the cache writes
 * a row image are all derived from that declaration, so they cannot drift apart.
 */

type SqlType = 'text' | 'integer' | 'blob';

export interface Column<T extends SqlType = SqlType, N extends boolean = boolean> {
  type: T;
  nullable: N;
  default?: string | number;
  /** A column constraint, e.g. `CHECK (kind IN ('serial', 'tcp'))`. */
  check?: string;
  unique?: boolean;
  autoIncrement?: boolean;
  /** Kept by the station alone (derived or bookkeeping): never read from the centre. */
  local?: boolean;
}

interface ColumnOptions {
  default?: string | number;
  check?: string;
  unique?: boolean;
  autoIncrement?: boolean;
  local?: boolean;
}

function column<T extends SqlType>(type: T) {
  const required = (options: ColumnOptions = {}): Column<T, false> => ({ type, nullable: false, ...options });
  required.nullable = (options: Omit<ColumnOptions, 'autoIncrement'> = {}): Column<T, true> => ({ type, nullable: true, ...options });
  return required;
}

export const text = column('text');
export const integer = column('integer');
export const blob = column('blob');

type Columns = Record<string, Column>;
type ValueOf<T extends SqlType> = T extends 'text' ? string : T extends 'integer' ? number : Uint8Array;
export type RowOf<C extends Columns> = {
  [K in keyof C]: C[K] extends Column<infer T, infer N> ? (N extends true ? ValueOf<T> | null : ValueOf<T>) : never;
};

export interface SyncOptions {
  /** Loaded first so the queue is usable while the rest is still arriving. */
  urgent?: boolean;
  /** The rows a station holds of a table that grows every day: from yesterday on (see SyncedTable). */
  window?: SyncedTable['window'];
  /** The key under which procedures answer with a row of this table (`{ ticket: {...} }`). */
  resultKey?: string;
  /** Fills the local columns from a row image as it is written (e.g. phone digits for search). */
  derive?: (values: Record<string, unknown>) => void;
  /** New rows are reported to the core after each write (the display announces new calls). */
  reportNewRows?: boolean;
  /** SQL that rebuilds an index whose triggers stand aside during the first load, or that an upgrade left empty. */
  rebuildIndexes?: string;
}

/**
 * Runs once on a file whose generation is below `generation`, after missing columns are added and before the DDL.
 * The table's derived columns are then worked out again for every row and its indexes rebuilt, so an upgrade that
 * changes what is derived, or replaces an index, leaves nothing stale or unindexed.
 */
export interface Upgrade {
  generation: number;
  sql: string[];
}

export interface TableDefinition<N extends string = string, C extends Columns = Columns> {
  name: N;
  columns: C;
  primaryKey: readonly string[];
  /** Indexes, virtual tables and triggers: idempotent DDL (`IF NOT EXISTS`), run in order after the table exists. */
  ddl?: string[];
  /** What a file of an older generation needs that reconciling cannot express (see CACHE_GENERATION). */
  upgrades?: Upgrade[];
  /** Set for tables the station mirrors from the centre. */
  sync?: SyncOptions;
}

export function defineTable<const N extends string, const C extends Columns>(
  definition: TableDefinition<N, C> & { primaryKey: readonly (keyof C & string)[] },
): TableDefinition<N, C> {
  for (const key of definition.primaryKey) {
    if (!(key in definition.columns)) throw new Error(`Table ${definition.name}: primary key column ${key} is not declared.`);
  }
  if (definition.sync && !('sync_seq' in definition.columns)) throw new Error(`Mirrored table ${definition.name} needs a sync_seq column.`);
  return definition;
}

export type SchemaOf<T extends readonly TableDefinition[]> = {
  [D in T[number] as D['name']]: D extends TableDefinition<string, infer C> ? RowOf<C> : never;
};

/** A table with a `pending` column is written optimistically and keeps that flag until the centre answers. */
export function isWritable(table: TableDefinition): boolean {
  return 'pending' in table.columns;
}

export function mirroredColumns(table: TableDefinition): string[] {
  return Object.entries(table.columns)
    .filter(([, spec]) => !spec.local)
    .map(([name]) => name);
}

/** What the sync engine needs to know of a mirrored table. */
export function syncedTableOf(table: TableDefinition): SyncedTable {
  if (!table.sync) throw new Error(`Table ${table.name} is not mirrored from the centre.`);
  return { name: table.name, columns: mirroredColumns(table), window: table.sync.window, urgent: table.sync.urgent };
}

function columnSql(name: string, spec: Column, singleKey: boolean): string {
  const parts = [name, spec.type.toUpperCase()];
  if (singleKey) parts.push(spec.autoIncrement ? 'PRIMARY KEY AUTOINCREMENT' : 'PRIMARY KEY');
  if (!spec.nullable && !singleKey) parts.push('NOT NULL');
  if (spec.unique) parts.push('UNIQUE');
  if (spec.default !== undefined) parts.push(`DEFAULT ${typeof spec.default === 'number' ? spec.default : `'${spec.default.replace(/'/g, "''")}'`}`);
  if (spec.check) parts.push(spec.check);
  return parts.join(' ');
}

export function createTableSql(table: TableDefinition): string {
  const singleKey = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
  const lines = Object.entries(table.columns).map(([name, spec]) => columnSql(name, spec, name === singleKey));
  if (!singleKey) lines.push(`PRIMARY KEY (${table.primaryKey.join(', ')})`);
  return `CREATE TABLE ${table.name} (\n  ${lines.join(',\n  ')}\n) STRICT`;
}

/**
 * The cache file's layout generation. Tables and columns are reconciled from the definitions on
 * every open, so adding a table or a nullable/defaulted column needs no step here. Raise it only
 * for a change that reconciling cannot express (a column dropped or retyped), together with the
 * ordered step that performs it (a table's `upgrades`); a file from a later generation is refused
 * rather than guessed at. Files of generations 1–4 came from the earlier hand-written migrations and
 * already hold every table of generation 5. Generation 6 replaced the patients' trigram index.
 */
export const CACHE_GENERATION = 6;

/** Works the table's derived local columns out again from each row's mirrored ones. */
function rederive(db: BetterSqlite3.Database, table: TableDefinition): void {
  const derive = table.sync?.derive;
  if (!derive) return;
  const local = Object.entries(table.columns)
    .filter(([, spec]) => spec.local)
    .map(([name]) => name);
  const rows = db.prepare(`SELECT rowid AS row_id, * FROM ${table.name}`).all() as Record<string, unknown>[];
  const updates = new Map<string, BetterSqlite3.Statement>();
  for (const { row_id: rowId, ...row } of rows) {
    const values = { ...row };
    derive(values);
    const changed = local.filter((column) => values[column] !== row[column]);
    if (changed.length === 0) continue;
    const key = changed.join(',');
    let update = updates.get(key);
    if (!update) {
      update = db.prepare(`UPDATE ${table.name} SET ${changed.map((c) => `${c} = @${c}`).join(', ')} WHERE rowid = @rowId`);
      updates.set(key, update);
    }
    update.run({ ...Object.fromEntries(changed.map((c) => [c, values[c]])), rowId });
  }
}

/**
 * Brings a cache file to the declared tables in one transaction: creates what is missing, adds
 * missing columns, runs the idempotent DDL. Refuses a file written by a newer app, which can hold
 * a required column this app would not fill.
 */
export function reconcileCache(db: BetterSqlite3.Database, tables: readonly TableDefinition[]): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const newer = () =>
    new Error(
      `This station's cache is at schema version ${from}, newer than this app (${CACHE_GENERATION}). ` +
        'Install the newer app version again, or move the cache file aside to rebuild it from the centre.',
    );
  if (from > CACHE_GENERATION) throw newer();
  db.transaction(() => {
    for (const table of tables) {
      const existing = db.prepare(`SELECT name, "notnull" AS required, dflt_value AS fallback FROM pragma_table_info(?)`).all(table.name) as {
        name: string;
        required: number;
        fallback: string | null;
      }[];
      if (existing.length === 0) {
        db.exec(createTableSql(table));
      } else {
        const have = new Set(existing.map((c) => c.name));
        for (const [name, spec] of Object.entries(table.columns)) {
          if (have.has(name)) continue;
          if (!spec.nullable && spec.default === undefined) {
            throw new Error(`Cache table ${table.name} cannot gain required column ${name} without a default: give it a default or make it nullable.`);
          }
          db.exec(`ALTER TABLE ${table.name} ADD COLUMN ${columnSql(name, spec, false)}`);
        }
        const unknownRequired = existing.find((c) => !(c.name in table.columns) && c.required === 1 && c.fallback === null);
        if (unknownRequired) throw newer();
      }
      const upgrades = existing.length > 0 && from > 0 ? (table.upgrades ?? []).filter((u) => u.generation > from) : [];
      for (const upgrade of upgrades) for (const statement of upgrade.sql) db.exec(statement);
      // Before the DDL, so the index triggers it creates do not fire once per row only to be rebuilt below.
      if (upgrades.length > 0) rederive(db, table);
      for (const statement of table.ddl ?? []) db.exec(statement);
      if (upgrades.length > 0 && table.sync?.rebuildIndexes) db.exec(table.sync.rebuildIndexes);
    }
    db.pragma(`user_version = ${CACHE_GENERATION}`);
  })();
  return { from, to: CACHE_GENERATION };
}
