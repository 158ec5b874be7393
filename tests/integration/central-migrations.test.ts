import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { defaultMigrationsDir, dryRun, migrate, migrationStatus } from '../../src/main/central/migrate';
import { createTestDatabase, type TestDatabase } from '../support/db';

// The migration runner (src/main/central/migrate.ts) on real, empty databases of the test cluster.

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
    expect(result.applied.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.version).toBe(6);
    expect(lines).toHaveLength(6);

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
    expect(again).toEqual({ applied: [], version: 6 });
    expect(lines).toEqual(['database is up to date at version 006']);
    expect(await versionRows(db.url)).toEqual(before);
  });

  test('an applied migration that was edited is refused, naming the file', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await migrate(db.url, { dir });
    const file = join(dir, '003.do.core_identity.sql');
    const recorded = (await versionRows(db.url)).find((r) => r.version === '3')!.md5;
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- a harmless-looking edit\n`);
    await writeFile(join(dir, '007.do.more.sql'), 'CREATE TABLE clinic.never_created (id int);');

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
    expect(status.pending.map((m) => m.version)).toEqual([7]);
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
    await rm(join(dir, '005.do.scheduling.sql'));
    await rm(join(dir, '006.do.sync_change_feed.sql'));
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
      join(dir, '007.do.broken.sql'),
      'CREATE TABLE clinic.half_done (id int);\nSELECT no_such_function();\n',
    );
    const error = await migrate(db.url, { dir }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^Migration 007 \(broken\) failed: function no_such_function\(\) does not exist/);
    expect(await query(db.url, `SELECT to_regclass('clinic.half_done') AS t`)).toEqual([{ t: null }]);
    expect((await versionRows(db.url)).map((r) => Number(r.version))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('two runners at once serialize on the advisory lock: each migration is applied once', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    // A slow first migration widens the window in which the second runner must wait.
    await writeFile(join(dir, '007.do.slow.sql'), 'SELECT pg_sleep(0.3); CREATE TABLE clinic.slow_marker (id int);');
    const [a, b] = await Promise.all([migrate(db.url, { dir }), migrate(db.url, { dir })]);
    const counts = [a.applied.length, b.applied.length].sort();
    expect(counts).toEqual([0, 7]);
    expect(a.version).toBe(7);
    expect(b.version).toBe(7);
    const recorded = await versionRows(db.url);
    expect(recorded.map((r) => Number(r.version))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('migrations do not depend on the database: a second database of the cluster migrates too', async () => {
    // The template already created the cluster-wide role; these must still apply cleanly.
    const [one, two] = [await emptyDatabase(), await emptyDatabase()];
    await Promise.all([migrate(one.url), migrate(two.url)]);
    for (const db of [one, two]) expect((await versionRows(db.url)).length).toBe(6);
  });
});

describe('dry run', () => {
  test('reports what would run on an empty database and leaves it untouched', async () => {
    const db = await emptyDatabase();
    const result = await dryRun(db.url);
    expect(result.wouldApply.map((m) => `${m.version} ${m.name}`)).toEqual([
      '1 initial_setup',
      '2 enum_types',
      '3 core_identity',
      '4 core_clinical',
      '5 scheduling',
      '6 sync_change_feed',
    ]);
    expect(result.version).toBe(6);
    expect(await query(db.url, `SELECT to_regclass('public.schemaversion') AS t`)).toEqual([{ t: null }]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('clinic', 'sync')`)).toEqual([{ n: 0 }]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'citext'`)).toEqual([{ n: 0 }]);
  });

  test('on a current database it runs only the pending migration and rolls it back; errors surface', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await migrate(db.url, { dir });
    await writeFile(join(dir, '007.do.next.sql'), 'CREATE TABLE clinic.next_thing (id int);');
    const result = await dryRun(db.url, { dir });
    expect(result.wouldApply.map((m) => m.version)).toEqual([7]);
    expect(await query(db.url, `SELECT to_regclass('clinic.next_thing') AS t`)).toEqual([{ t: null }]);
    expect((await migrationStatus(db.url, { dir })).pending.map((m) => m.version)).toEqual([7]);

    await writeFile(join(dir, '008.do.bad.sql'), 'ALTER TABLE clinic.no_such_table ADD COLUMN x int;');
    await expect(dryRun(db.url, { dir })).rejects.toThrow(/^Migration 008 \(bad\) failed: relation "clinic.no_such_table" does not exist/);
    expect(await query(db.url, `SELECT to_regclass('clinic.next_thing') AS t`)).toEqual([{ t: null }]);
  });
});

describe('status', () => {
  test('lists applied migrations with recorded checksums and the pending ones', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    expect((await migrationStatus(db.url, { dir })).applied).toEqual([]);
    await migrate(db.url, { dir });
    await writeFile(join(dir, '007.do.next.sql'), 'SELECT 1;');
    const status = await migrationStatus(db.url, { dir });
    expect(status.applied).toHaveLength(6);
    for (const m of status.applied) {
      expect(m.changed).toBe(false);
      expect(m.checksum).toBe(m.recordedChecksum);
      expect(m.appliedAt).toBeInstanceOf(Date);
    }
    expect(status.pending).toMatchObject([{ version: 7, name: 'next' }]);
  });
});
