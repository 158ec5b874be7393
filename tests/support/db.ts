import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/*
 * A fresh database per test file (or test), cloned from a template of the run's cluster (global-setup.ts):
 *   migrated: every migration applied, no rows;  demo: plus the demo chain;  empty: nothing at all.
 */

export type TestTemplate = 'migrated' | 'demo' | 'empty';

export interface TestDatabase {
  /** Superuser URL to the new database. */
  url: string;
  name: string;
  /** Drops it, ending any sessions still connected. */
  drop(): Promise<void>;
}

const TEMPLATES: Record<TestTemplate, string> = {
  migrated: 'tmpl_migrated',
  demo: 'tmpl_demo',
  empty: 'template0',
};

/** Superuser URL to a database of the test cluster. */
export function testDatabaseUrl(database: string): string {
  const server = inject('pg');
  return `postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}`;
}

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client(testDatabaseUrl('postgres'));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(options: { template: TestTemplate }): Promise<TestDatabase> {
  const name = `t_${options.template}_${randomBytes(6).toString('hex')}`;
  // FILE_COPY copies the files after a checkpoint; for small databases on the test cluster (fsync off) it is
  // several times faster than the default WAL_LOG, which writes every block to the WAL.
  await asAdmin(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATES[options.template]} STRATEGY FILE_COPY`);
  let dropped: Promise<void> | null = null;
  return {
    url: testDatabaseUrl(name),
    name,
    drop: () => (dropped ??= asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}
