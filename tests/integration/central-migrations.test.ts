import { readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { defaultMigrationsDir, dryRun, migrate, migrationStatus } from '../../src/server/migrate';
import { createTestDatabase, type TestDatabase } from '../support/db';

// The migration runner (src/server/migrate.ts) on real, empty databases of the test cluster.

const databases: TestDatabase[] = [];
let scratch: string;

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ template: 'empty' });
  databases.push(db);
  return db;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of the real migrations that a test may edit or extend. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(scratch, 'migrations-'));
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

const versionRows = (url: string) =>
  query<{ version: string; name: string; md5: string }>(url, 'SELECT version, name, md5 FROM public.schemaversion WHERE version > 0 ORDER BY version');

// The repository's migrations, however many there are by now; tests add theirs after the last.
const SHIPPED = readdirSync(defaultMigrationsDir())
  .filter((f) => /^\d+\.do\..+\.sql$/.test(f))
  .sort()
  .map((f) => ({ version: Number(f.slice(0, f.indexOf('.'))), name: f.replace(/^\d+\.do\.|\.sql$/g, ''), file: f }));
const VERSIONS = SHIPPED.map((m) => m.version);
const LAST = VERSIONS[VERSIONS.length - 1]!;
const NEXT = LAST + 1;
const pad = (n: number): string => String(n).padStart(3, '0');

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'migrate-test-'));
});

afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('migrate', () => {
  test('applies every migration to an empty database, recording each with its checksum', async () => {
    const db = await emptyDatabase();
    const lines: string[] = [];
    const result = await migrate(db.url, { log: (l) => lines.push(l) });
    expect(result.applied.map((m) => m.version)).toEqual(VERSIONS);
    expect(result.version).toBe(LAST);
    expect(lines).toHaveLength(VERSIONS.length);

    const recorded = await versionRows(db.url);
    expect(recorded.map((r) => [Number(r.version), r.name, r.md5])).toEqual(
      result.applied.map((m) => [m.version, m.name, m.checksum]),
    );
    const schemas = await query<{ nspname: string }>(
      db.url,
      `SELECT nspname FROM pg_namespace WHERE nspname IN ('clinic', 'audit', 'archive', 'booking', 'webhook', 'sync') ORDER BY 1`,
    );
    expect(schemas.map((s) => s.nspname)).toEqual(['archive', 'audit', 'booking', 'clinic', 'sync', 'webhook']);
    const extensions = await query<{ extname: string }>(db.url, 'SELECT extname FROM pg_extension ORDER BY 1');
    expect(extensions.map((e) => e.extname)).toEqual(
      expect.arrayContaining(['btree_gist', 'citext', 'pg_trgm', 'pgcrypto', 'uuid-ossp']),
    );
  });

  test('running again is a no-op', async () => {
    const db = await emptyDatabase();
    await migrate(db.url);
    const before = await versionRows(db.url);
    const lines: string[] = [];
    const again = await migrate(db.url, { log: (l) => lines.push(l) });
    expect(again).toEqual({ applied: [], version: LAST });
    expect(lines).toEqual([`database is up to date at version ${pad(LAST)}`]);
    expect(await versionRows(db.url)).toEqual(before);
  });

  test('an applied migration that was edited is refused, naming the file', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await migrate(db.url, { dir });
    const file = join(dir, '003.do.core_identity.sql');
    const recorded = (await versionRows(db.url)).find((r) => r.version === '3')!.md5;
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- a harmless-looking edit\n`);
    await writeFile(join(dir, `${pad(NEXT)}.do.more.sql`), 'CREATE TABLE clinic.never_created (id int);');

    const error = await migrate(db.url, { dir }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      new RegExp(
        `^Migration 003 \\(core_identity\\) was changed after it was applied: checksum ${recorded} recorded, [0-9a-f]{32} now\\. ` +
          'Applied migrations are immutable: add a new migration instead\\.$',
      ),
    );
    // Refused before anything ran: the new migration was not applied either.
    expect(await query(db.url, `SELECT to_regclass('clinic.never_created') AS t`)).toEqual([{ t: null }]);
    const status = await migrationStatus(db.url, { dir });
    expect(status.applied.find((m) => m.version === 3)).toMatchObject({ changed: true, recordedChecksum: recorded });
    expect(status.pending.map((m) => m.version)).toEqual([NEXT]);
  });

  test('line endings do not count as an edit', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await migrate(db.url, { dir });
    const file = join(dir, '002.do.enum_types.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
    expect((await migrate(db.url, { dir })).applied).toEqual([]);
  });

  test('a new migration numbered below the applied version is refused instead of skipped', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    for (const m of SHIPPED.filter((m) => m.version >= 5)) await rm(join(dir, m.file));
    await writeFile(join(dir, '006.do.other_branch.sql'), 'SELECT 1;');
    await migrate(db.url, { dir });
    await cp(join(defaultMigrationsDir(), '005.do.scheduling.sql'), join(dir, '005.do.scheduling.sql'));
    await expect(migrate(db.url, { dir })).rejects.toThrow(
      'Migration 005 (scheduling) was never applied, but the database is already at 006. Renumber it after 006.',
    );
  });

  test('a migration that fails is rolled back whole, its version unrecorded', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await writeFile(
      join(dir, `${pad(NEXT)}.do.broken.sql`),
      'CREATE TABLE clinic.half_done (id int);\nSELECT no_such_function();\n',
    );
    const error = await migrate(db.url, { dir }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`^Migration ${pad(NEXT)} \\(broken\\) failed: function no_such_function\\(\\) does not exist`));
    expect(await query(db.url, `SELECT to_regclass('clinic.half_done') AS t`)).toEqual([{ t: null }]);
    expect((await versionRows(db.url)).map((r) => Number(r.version))).toEqual(VERSIONS);
  });

  test('two runners at once serialize on the advisory lock: each migration is applied once', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    // A slow first migration widens the window in which the second runner must wait.
    await writeFile(join(dir, `${pad(NEXT)}.do.slow.sql`), 'SELECT pg_sleep(0.3); CREATE TABLE clinic.slow_marker (id int);');
    const [a, b] = await Promise.all([migrate(db.url, { dir }), migrate(db.url, { dir })]);
    const counts = [a.applied.length, b.applied.length].sort();
    expect(counts).toEqual([0, VERSIONS.length + 1]);
    expect(a.version).toBe(NEXT);
    expect(b.version).toBe(NEXT);
    const recorded = await versionRows(db.url);
    expect(recorded.map((r) => Number(r.version))).toEqual([...VERSIONS, NEXT]);
  });

  test('migrations do not depend on the database: a second database of the cluster migrates too', async () => {
    // The template already created the cluster-wide role; these must still apply cleanly.
    const [one, two] = [await emptyDatabase(), await emptyDatabase()];
    await Promise.all([migrate(one.url), migrate(two.url)]);
    for (const db of [one, two]) expect((await versionRows(db.url)).length).toBe(VERSIONS.length);
  });
});

describe('dry run', () => {
  test('reports what would run on an empty database and leaves it untouched', async () => {
    const db = await emptyDatabase();
    const result = await dryRun(db.url);
    expect(result.wouldApply.map((m) => `${m.version} ${m.name}`)).toEqual(SHIPPED.map((m) => `${m.version} ${m.name}`));
    expect(result.version).toBe(LAST);
    expect(await query(db.url, `SELECT to_regclass('public.schemaversion') AS t`)).toEqual([{ t: null }]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('clinic', 'sync')`)).toEqual([{ n: 0 }]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'citext'`)).toEqual([{ n: 0 }]);
  });

  test('on a current database it runs only the pending migration and rolls it back; errors surface', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await migrate(db.url, { dir });
    await writeFile(join(dir, `${pad(NEXT)}.do.next.sql`), 'CREATE TABLE clinic.next_thing (id int);');
    const result = await dryRun(db.url, { dir });
    expect(result.wouldApply.map((m) => m.version)).toEqual([NEXT]);
    expect(await query(db.url, `SELECT to_regclass('clinic.next_thing') AS t`)).toEqual([{ t: null }]);
    expect((await migrationStatus(db.url, { dir })).pending.map((m) => m.version)).toEqual([NEXT]);

    await writeFile(join(dir, `${pad(NEXT + 1)}.do.bad.sql`), 'ALTER TABLE clinic.no_such_table ADD COLUMN x int;');
    await expect(dryRun(db.url, { dir })).rejects.toThrow(new RegExp(`^Migration ${pad(NEXT + 1)} \\(bad\\) failed: relation "clinic.no_such_table" does not exist`));
    expect(await query(db.url, `SELECT to_regclass('clinic.next_thing') AS t`)).toEqual([{ t: null }]);
  });
});

describe('status', () => {
  test('lists applied migrations with recorded checksums and the pending ones', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    expect((await migrationStatus(db.url, { dir })).applied).toEqual([]);
    await migrate(db.url, { dir });
    await writeFile(join(dir, `${pad(NEXT)}.do.next.sql`), 'SELECT 1;');
    const status = await migrationStatus(db.url, { dir });
    expect(status.applied).toHaveLength(VERSIONS.length);
    for (const m of status.applied) {
      expect(m.changed).toBe(false);
      expect(m.checksum).toBe(m.recordedChecksum);
      expect(m.appliedAt).toBeInstanceOf(Date);
    }
    expect(status.pending).toMatchObject([{ version: NEXT, name: 'next' }]);
  });
});
