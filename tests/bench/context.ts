import pg from 'pg';
import type { FieldCrypto } from '../../src/main/crypto/field-crypto';
import { migrate } from '../../src/server/migrate';
import { seedDemo } from '../../seeds/demo';

/** What every benchmark gets from the runner: one embedded cluster and fresh databases on it. */
export interface BenchContext {
  workDir: string;
  crypto: FieldCrypto;
  /** The key file `crypto` was opened from, for stations in their own processes. */
  keyFile: string;
  /** A new migrated database, seeded with the demo chain when asked; returns its URL. */
  newDatabase(name: string, seed?: { patientsPerClinic: number }): Promise<string>;
}

export function databaseFactory(serverUrl: string, crypto: FieldCrypto): BenchContext['newDatabase'] {
  return async (name, seed) => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const dbUrl = url.toString();
    await migrate(dbUrl);
    if (seed) {
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      await seedDemo(client, { crypto, patientsPerClinic: seed.patientsPerClinic });
      await client.end();
    }
    return dbUrl;
  };
}

/** The floor for any "something changed at the centre, a station hears of it" path. */
export async function notifyRoundTrips(url: string, count: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const notifier = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), notifier.connect()]);
  await listener.query('LISTEN bench_baseline');
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
    const start = performance.now();
    await notifier.query(`NOTIFY bench_baseline, '${i}'`);
    await heard;
    samples.push(performance.now() - start);
  }
  await Promise.all([listener.end(), notifier.end()]);
  return samples;
}
