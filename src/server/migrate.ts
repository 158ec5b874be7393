import pg from 'pg';
import Postgrator from 'postgrator';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/*
 * Central schema migrations: postgrator reads the numbered files (`001.do.initial_setup.sql`) and records version,
 * name and an MD5 checksum in public.schemaversion. On top of it we add what it lacks:
 *  - one transaction per migration, so a file's SQL and its version row commit together or not at all;
 *  - a session-level advisory lock on the runner's own connection, so two runners (two app instances starting at
 *    once, CI and a developer) serialize: the second waits, then finds nothing left to do;
 *  - checksum errors that name the file and say what to do;
 *  - a dry run that applies the pending migrations inside one transaction and rolls it back.
 * Migration files must not contain transaction control (BEGIN/COMMIT) or statements that cannot run inside a
 * transaction block (CREATE INDEX CONCURRENTLY, VACUUM).
 */

export interface MigrationInfo {
  version: number;
  name: string;
  filename: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  /** Null when the file of an applied migration has gone missing. */
  filename: string | null;
  /** Checksum of the file as it is now; null when it is missing. */
  checksum: string | null;
  recordedChecksum: string | null;
  appliedAt: Date | null;
  /** The file differs from what was applied, or is missing: `migrate` will refuse to run. */
  changed: boolean;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: MigrationInfo[];
}

export interface MigrateOptions {
  /** Folder of migration files; the repository's `migrations/` by default. */
  dir?: string;
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** The migrations this call applied (empty when the database was already current). */
  applied: MigrationInfo[];
  version: number;
}

export interface DryRunResult {
  /** The pending migrations, each of which ran successfully before everything was rolled back. */
  wouldApply: MigrationInfo[];
  version: number;
}

const SCHEMA_TABLE = 'public.schemaversion';
// Advisory locks are per database, so runners on different databases of one cluster never wait for each other.
const LOCK_KEY = 7_305_114_203_981_117n;

export const defaultMigrationsDir = (): string => fileURLToPath(new URL('../../migrations', import.meta.url));

export class MigrationChecksumError extends Error {
  constructor(
    readonly migration: MigrationInfo,
    readonly recorded: string,
  ) {
    super(
      `Migration ${pad(migration.version)} (${migration.name}) was changed after it was applied: ` +
        `checksum ${recorded} recorded, ${migration.checksum} now. ` +
        'Applied migrations are immutable: add a new migration instead.',
    );
    this.name = 'MigrationChecksumError';
  }
}

const pad = (version: number): string => String(version).padStart(3, '0');

function info(m: Postgrator.Migration): MigrationInfo {
  return { version: m.version, name: m.name, filename: m.filename, checksum: m.md5 };
}

interface VersionRow {
  version: string;
  name: string | null;
  md5: string | null;
  run_at: Date | null;
}

/**
 * Postgrator with our transaction handling. `mode: 'dry-run'` expects the caller to hold one open transaction
 * around the whole run and to roll it back; each migration then runs inside a savepoint of it.
 */
class TransactionalPostgrator extends Postgrator {
  constructor(
    private readonly client: pg.ClientBase,
    dir: string,
    private readonly mode: 'apply' | 'dry-run',
    private readonly log: (line: string) => void,
  ) {
    super({
      driver: 'pg',
      schemaTable: SCHEMA_TABLE,
      migrationPattern: `${dir.replace(/\\/g, '/')}/*.sql`,
      // Checksums over LF text: a Windows checkout with CRLF line endings is the same migration.
      newline: 'LF',
      validateChecksums: true,
      execQuery: (query: string) => client.query(query),
    });
  }

  /**
   * Replaces postgrator's check. Also refuses a recorded migration whose file has gone missing, and a new file
   * numbered below the applied version, which postgrator would skip for ever (two branches that both added a
   * migration).
   */
  override async validateMigrations(databaseVersion: number): Promise<undefined> {
    const files = new Map((await this.getMigrations()).filter((m) => m.action === 'do').map((m) => [m.version, m]));
    const { rows } = await this.client.query<VersionRow>(
      `SELECT version, name, md5, run_at FROM ${SCHEMA_TABLE} WHERE version > 0 AND version <= $1 ORDER BY version`,
      [databaseVersion],
    );
    const recorded = new Set(rows.map((row) => Number(row.version)));
    for (const file of files.values()) {
      if (file.version <= databaseVersion && !recorded.has(file.version)) {
        throw new Error(
          `Migration ${pad(file.version)} (${file.name}) was never applied, but the database is already at ` +
            `${pad(databaseVersion)}. Renumber it after ${pad(databaseVersion)}.`,
        );
      }
    }
    for (const row of rows) {
      const file = files.get(Number(row.version));
      if (!file) {
        throw new Error(
          `Migration ${pad(Number(row.version))} (${row.name ?? '?'}) is recorded as applied but its file is missing. ` +
            'Restore the file: applied migrations are never removed.',
        );
      }
      if (row.md5 && file.md5 && row.md5 !== file.md5) throw new MigrationChecksumError(info(file), row.md5);
    }
    return undefined;
  }

  override async runMigrations(migrations: Postgrator.Migration[] = []): Promise<Postgrator.Migration[]> {
    const applied: Postgrator.Migration[] = [];
    for (const migration of migrations) {
      if (migration.action !== 'do') throw new Error(`Undo migrations are not supported (${migration.filename}).`);
      const begin = this.mode === 'apply' ? 'BEGIN' : 'SAVEPOINT migration';
      const commit = this.mode === 'apply' ? 'COMMIT' : 'RELEASE SAVEPOINT migration';
      const rollback = this.mode === 'apply' ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT migration';
      const started = Date.now();
      await this.client.query(begin);
      try {
        await this.client.query(await migration.getSql());
        await this.client.query(
          `INSERT INTO ${SCHEMA_TABLE} (version, name, md5, run_at) VALUES ($1, $2, $3, now())`,
          [migration.version, migration.name, migration.md5],
        );
        await this.client.query(commit);
      } catch (e) {
        await this.client.query(rollback).catch(() => undefined);
        const reason = e instanceof Error ? e.message : String(e);
        const err = new Error(`Migration ${pad(migration.version)} (${migration.name}) failed: ${reason}`, { cause: e });
        Object.assign(err, { appliedMigrations: applied });
        throw err;
      }
      applied.push(migration);
      this.log(
        `${this.mode === 'apply' ? 'applied' : 'would apply'} ${pad(migration.version)} ${migration.name} ` +
          `(${Date.now() - started} ms)`,
      );
    }
    return applied;
  }
}

async function withLockedClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'gabriel-migrate' });
  await client.connect();
  try {
    // Session-level, not transaction-level: it must outlive the per-migration transactions. It is released when
    // the session ends below, also when the work failed halfway.
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
    return await fn(client);
  } finally {
    await client.end();
  }
}

function resolveDir(dir: string | undefined): string {
  const resolved = dir ?? defaultMigrationsDir();
  if (!existsSync(resolved)) throw new Error(`Migrations folder ${resolved} does not exist.`);
  return resolved;
}

export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = resolveDir(options.dir);
  const log = options.log ?? (() => {});
  return withLockedClient(url, async (client) => {
    const runner = new TransactionalPostgrator(client, dir, 'apply', log);
    const applied = await runner.migrate();
    const version = await runner.getDatabaseVersion();
    // Objects a migration created belong to whoever ran it (often a superuser); from migration 014
    // on they are handed to the unprivileged clinic_owner, so SECURITY DEFINER code never runs as superuser.
    const handover = await client.query<{ fn: string | null }>("SELECT to_regprocedure('ops.hand_over_to_owner()')::text AS fn");
    if (applied.length > 0 && handover.rows[0]?.fn) await client.query('SELECT ops.hand_over_to_owner()');
    if (applied.length === 0) log(`database is up to date at version ${pad(version)}`);
    return { applied: applied.map(info), version };
  });
}

export async function dryRun(url: string, options: MigrateOptions = {}): Promise<DryRunResult> {
  const dir = resolveDir(options.dir);
  const log = options.log ?? (() => {});
  return withLockedClient(url, async (client) => {
    const runner = new TransactionalPostgrator(client, dir, 'dry-run', log);
    // Everything, including postgrator creating its version table on a fresh database, happens in here.
    await client.query('BEGIN');
    try {
      const wouldApply = await runner.migrate();
      const version = await runner.getDatabaseVersion();
      return { wouldApply: wouldApply.map(info), version };
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

/**
 * What is applied and what is pending, without taking the lock or changing anything. An applied migration whose file
 * was edited is reported (`changed`), not thrown: `migrate` is the one that refuses.
 */
export async function migrationStatus(url: string, options: Pick<MigrateOptions, 'dir'> = {}): Promise<MigrationStatus> {
  const dir = resolveDir(options.dir);
  const client = new pg.Client({ connectionString: url, application_name: 'gabriel-migrate' });
  await client.connect();
  try {
    const runner = new TransactionalPostgrator(client, dir, 'apply', () => {});
    const files = (await runner.getMigrations()).filter((m) => m.action === 'do').sort((a, b) => a.version - b.version);
    const { rows: exists } = await client.query<{ present: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [SCHEMA_TABLE],
    );
    const recorded = exists[0]?.present
      ? (await client.query<VersionRow>(`SELECT version, name, md5, run_at FROM ${SCHEMA_TABLE} WHERE version > 0 ORDER BY version`)).rows
      : [];
    const byVersion = new Map(files.map((f) => [f.version, f]));
    const applied: AppliedMigration[] = recorded.map((row) => {
      const file = byVersion.get(Number(row.version));
      return {
        version: Number(row.version),
        name: row.name ?? file?.name ?? '',
        filename: file?.filename ?? null,
        checksum: file?.md5 ?? null,
        recordedChecksum: row.md5,
        appliedAt: row.run_at,
        changed: !file || (row.md5 !== null && row.md5 !== file.md5),
      };
    });
    const appliedVersions = new Set(applied.map((m) => m.version));
    const pending = files.filter((f) => !appliedVersions.has(f.version)).map(info);
    return { applied, pending };
  } finally {
    await client.end();
  }
}
