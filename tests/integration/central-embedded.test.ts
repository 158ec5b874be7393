import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';

// The embedded cluster `npm start` uses: data survives a restart, `reset` starts over, and it refuses a folder that
// is not its own.

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'embedded-test-'));
  // As root, Postgres runs as the postgres user, which must be able to reach the data folder.
  await chmod(root, 0o755);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return Object.values((await client.query(sql)).rows[0] ?? {})[0];
  } finally {
    await client.end();
  }
}

test('keeps its data between runs, starts over on reset, and stops cleanly', async () => {
  const dataDir = join(root, 'cluster');
  const first = await startEmbeddedPostgres({ dataDir, disposable: true });
  await scalar(first.url, 'CREATE TABLE kept (v text)');
  await scalar(first.url, `INSERT INTO kept VALUES ('still here')`);
  expect(await scalar(first.url, `SELECT current_setting('server_encoding')`)).toBe('UTF8');
  await first.stop();
  await first.stop();
  await expect(scalar(first.url, 'SELECT 1')).rejects.toThrow();

  const started = Date.now();
  const second = await startEmbeddedPostgres({ dataDir });
  expect(Date.now() - started).toBeLessThan(10_000);
  try {
    expect(second.port).not.toBe(0);
    expect(await scalar(second.url, 'SELECT v FROM kept')).toBe('still here');
    expect(await scalar(second.url, `SELECT '陈亚狗 Tan Ah Kow'::text`)).toBe('陈亚狗 Tan Ah Kow');
  } finally {
    await second.stop();
  }

  const third = await startEmbeddedPostgres({ dataDir, reset: true, disposable: true });
  try {
    expect(await scalar(third.url, `SELECT to_regclass('public.kept')`)).toBeNull();
  } finally {
    await third.stop();
  }
});

test('refuses a folder that holds something other than a cluster', async () => {
  const dataDir = join(root, 'not-a-cluster');
  await mkdir(dataDir);
  await writeFile(join(dataDir, 'notes.txt'), 'mine');
  await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/neither empty nor a PostgreSQL data folder/);
});
