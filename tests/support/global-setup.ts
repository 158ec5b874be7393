import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { seedDemo } from '../../seeds/demo';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { migrate } from '../../src/server/migrate';
import { openLocalKeyFile } from '../../src/main/crypto/field-crypto';

/*
 * One embedded PostgreSQL cluster for the whole test run, with two template databases that tests clone in
 * milliseconds (tests/support/db.ts): tmpl_migrated (all migrations, no rows) and tmpl_demo (plus the demo chain,
 * seeded with the key file in `keyFile`).
 */

export interface PgTestServer {
  host: string;
  port: number;
  /** Superuser; tests that act as a station SET ROLE clinic_station. */
  user: string;
  password: string;
  /** The local key file tmpl_demo's NRICs were encrypted and hashed with. */
  keyFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: PgTestServer;
  }
}

const TEMPLATE_MIGRATED = 'tmpl_migrated';
const TEMPLATE_DEMO = 'tmpl_demo';

function urlFor(server: { host: string; port: number; user: string; password: string }, database: string): string {
  return `postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'gabriel-tests-'));
  // Running as root, Postgres runs as the postgres user, which must be able to reach its data folder.
  await chmod(root, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(root, 'postgres'), disposable: true });
  const teardown = async (): Promise<void> => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const keyFile = join(root, 'keys', 'demo-key.json');
    const admin = new pg.Client(server.url);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${TEMPLATE_MIGRATED}`);
      await migrate(urlFor(server, TEMPLATE_MIGRATED));
      await admin.query(`CREATE DATABASE ${TEMPLATE_DEMO} TEMPLATE ${TEMPLATE_MIGRATED}`);
      const demo = new pg.Client(urlFor(server, TEMPLATE_DEMO));
      await demo.connect();
      try {
        await seedDemo(demo, { crypto: await openLocalKeyFile(keyFile) });
      } finally {
        await demo.end();
      }
      // Lets clones be made while tests are connected elsewhere, and guards the templates against DROP.
      await admin.query(`ALTER DATABASE ${TEMPLATE_MIGRATED} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      await admin.query(`ALTER DATABASE ${TEMPLATE_DEMO} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    } finally {
      await admin.end();
    }
    project.provide('pg', {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      keyFile,
    });
  } catch (e) {
    await teardown();
    throw e;
  }
  return teardown;
}
