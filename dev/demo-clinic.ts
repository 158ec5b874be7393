import { join, resolve } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { migrate } from '../src/server/migrate';
import { openLocalKeyFile } from '../src/main/crypto/field-crypto';
import { StationCore, type StationConfig } from '../src/main/station';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../seeds/demo';
import type { StationRole } from '../src/shared/contract';

/**
 * What `npm start` runs: the central database (embedded unless DATABASE_URL points elsewhere),
 * migrated and seeded with the demo chain, and the three stations of clinic 1 — each with its own
 * folder and SQLite cache, as three PCs would have.
 */
export interface DemoClinicOptions {
  /** Everything the demo keeps between runs: the embedded cluster, the key file, the station caches. */
  dataDir: string;
  /** Start from scratch: deletes the data folder first. */
  reset?: boolean;
  /** A central database to use instead of the embedded one. */
  databaseUrl?: string;
  /** Where the central migrations are; the packaged app ships them beside its code. */
  migrationsDir?: string;
  log?: (line: string) => void;
}

export interface DemoStation {
  role: StationRole;
  core: StationCore;
}

export interface DemoClinic {
  databaseUrl: string;
  stations: DemoStation[];
  stop(): Promise<void>;
}

export const DEMO_CLINIC_CODE = 'GFC-BDK';

export const demoStations: { code: string; role: StationRole; roomCode?: string }[] = [
  { code: 'BDK-RECEPTION-1', role: 'reception' },
  { code: 'BDK-CONSULT-1', role: 'consult', roomCode: 'R1' },
  { code: 'BDK-DISPLAY-1', role: 'display' },
];

const DEMO_DATABASE = 'gabriel_clinic';

export function defaultDataDir(): string {
  return resolve(process.env.GABRIEL_DATA_DIR ?? '.data');
}

export async function startDemoClinic(options: DemoClinicOptions): Promise<DemoClinic> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  if (options.reset) {
    log(`Resetting ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
  }
  await mkdir(dataDir, { recursive: true });

  let embedded: EmbeddedPostgresHandle | null = null;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), log: undefined });
    databaseUrl = await ensureDatabase(embedded.url, DEMO_DATABASE);
    log(`Central database: embedded PostgreSQL on port ${embedded.port} (data in ${join(dataDir, 'postgres')})`);
  } else {
    log('Central database: DATABASE_URL');
  }

  const stations: DemoStation[] = [];
  try {
    const migrated = await migrate(databaseUrl, { log, ...(options.migrationsDir ? { dir: options.migrationsDir } : {}) });
    if (migrated.applied.length) log(`Applied ${migrated.applied.length} migration(s)`);
    const crypto = await openLocalKeyFile(join(dataDir, 'keys', 'local-key.json'));
    const seeded = await seedDemoIfEmpty(databaseUrl, crypto);
    if (seeded) log('Seeded the demo chain: 2 clinics, 3 doctors each, 500 patients each');

    for (const station of demoStations) {
      const config: StationConfig = {
        dataDir: join(dataDir, 'stations', station.code),
        stationCode: station.code,
        role: station.role,
        clinicCode: DEMO_CLINIC_CODE,
        roomCode: station.roomCode,
        centralUrl: databaseUrl,
        crypto,
      };
      const core = new StationCore(config);
      stations.push({ role: station.role, core });
      await core.start();
      // The wall screen has nobody to type a password: the demo signs its device account in.
      if (station.role === 'display' && !(await core.handle('session.current', {}))) {
        await core.handle('session.signIn', { username: 'display', password: DEMO_PASSWORD }).catch((e: unknown) => {
          log(`The display could not sign in (${e instanceof Error ? e.message : String(e)}); sign it in on its screen.`);
        });
      }
    }
  } catch (error) {
    await Promise.all(stations.map((s) => s.core.stop().catch(() => undefined)));
    await embedded?.stop();
    throw error;
  }

  return {
    databaseUrl,
    stations,
    async stop() {
      await Promise.all(stations.map((s) => s.core.stop().catch(() => undefined)));
      await embedded?.stop();
    },
  };
}

/** The embedded cluster's URL points at the maintenance database; the clinic gets its own. */
async function ensureDatabase(maintenanceUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(maintenanceUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
