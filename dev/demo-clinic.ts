import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { createGatewayLogin, enrolNewStation } from './enrolment';
import { localGatewayTls } from './local-ca';
import { readIdentityFile, writeIdentityFile, type StationIdentity } from '../src/main/enrolment/identity';
import { createGateway, type Gateway } from '../src/server/gateway/gateway';
import { migrate } from '../src/server/migrate';
import { openLocalKeyFile, type FieldCrypto } from '../src/main/crypto/field-crypto';
import type { StationsFile } from '../src/shared/station-list';
import { StationCore, type StationConfig } from '../src/main/station';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../seeds/demo';
import type { StationRole } from '../src/shared/contract';

/**
 * What `npm start` runs: the central database (embedded unless DATABASE_URL points elsewhere),
 * migrated and seeded with the demo chain; the gateway in front of it, connected as its own login
 * role; and the three stations of clinic 1, each enrolled at the gateway with its own key, folder
 * and SQLite cache, as three PCs would be. The stations never see the database.
 */
export interface DemoClinicOptions {
  /** Everything the demo keeps between runs: the embedded cluster, the key file, the station caches. */
  dataDir: string;
  /** Start from scratch: deletes the data folder first. */
  reset?: boolean;
  /** A central database to use instead of the embedded one. */
  databaseUrl?: string;
  log?: (line: string) => void;
}

export interface DemoStation {
  role: StationRole;
  core: StationCore;
}

export interface DemoClinic {
  databaseUrl: string;
  gatewayUrl: string;
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

/** The central side of the demo, ready for stations: database up, migrated and seeded, gateway serving, stations enrolled. */
export interface PreparedDemoClinic {
  dataDir: string;
  databaseUrl: string;
  gateway: Gateway;
  gatewayUrl: string;
  keyFile: string;
  crypto: FieldCrypto;
  /** Each demo station's identity file, by station code. */
  identityFiles: Record<string, string>;
  /** Stops the gateway and the embedded database, when the demo started one. */
  stop(): Promise<void>;
}

/** The gateway's login role in the demo; its password is made on first run and kept in the data folder (0600). */
const DEMO_GATEWAY_ROLE = 'gabriel_gateway_demo';

export async function prepareDemoClinic(options: DemoClinicOptions): Promise<PreparedDemoClinic> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  if (options.reset) {
    log(`Resetting ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
  }
  await mkdir(dataDir, { recursive: true });

  let embedded: EmbeddedPostgresHandle | null = null;
  let gateway: Gateway | null = null;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), log: undefined });
    databaseUrl = await ensureDatabase(embedded.url, DEMO_DATABASE);
    log(`Central database: embedded PostgreSQL on port ${embedded.port} (data in ${join(dataDir, 'postgres')})`);
  } else {
    log('Central database: DATABASE_URL');
  }

  try {
    const migrated = await migrate(databaseUrl, { log });
    if (migrated.applied.length) log(`Applied ${migrated.applied.length} migration(s)`);
    const keyFile = join(dataDir, 'keys', 'local-key.json');
    const crypto = await openLocalKeyFile(keyFile);
    const seeded = await seedDemoIfEmpty(databaseUrl, crypto);
    if (seeded) log('Seeded the demo chain: 2 clinics, 3 doctors each, 500 patients each');
    const login = await createGatewayLogin(databaseUrl, { role: DEMO_GATEWAY_ROLE, password: await demoSecret(join(dataDir, 'central', 'gateway-login-password')) });
    const tls = await localGatewayTls(join(dataDir, 'central'));
    gateway = createGateway({ databaseUrl: login.url, log, tls: { key: tls.keyPem, cert: tls.certPem } });
    const { url: gatewayUrl } = await gateway.listen(Number(process.env.GABRIEL_GATEWAY_PORT ?? 0));
    log(`Central gateway: ${gatewayUrl} (HTTPS with the demo's own CA, ${join(dataDir, 'central', 'tls', 'ca.crt')}; as database role ${DEMO_GATEWAY_ROLE}, a member of clinic_gateway only)`);
    const gatewayAddress = { url: gatewayUrl, caPem: tls.caPem };
    const identityFiles: Record<string, string> = {};
    for (const station of demoStations) {
      identityFiles[station.code] = await ensureEnrolled(databaseUrl, gatewayAddress, join(dataDir, 'stations', station.code), station, log);
    }
    const running = gateway;
    return {
      dataDir,
      databaseUrl,
      gateway: running,
      gatewayUrl,
      keyFile,
      crypto,
      identityFiles,
      async stop() {
        await running.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await gateway?.close();
    await embedded?.stop();
    throw error;
  }
}

/** A random secret made once and kept, readable by its owner only. */
async function demoSecret(path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Enrols a demo station the first time, as an operator and a new PC would; later runs reuse its identity, pointed at
 * wherever the demo's gateway listens this time, pinning the demo's CA. A station whose identity was lost is revoked and enrolled again.
 */
async function ensureEnrolled(
  databaseUrl: string,
  gateway: { url: string; caPem: string },
  stationDir: string,
  station: (typeof demoStations)[number],
  log: (line: string) => void,
): Promise<string> {
  const file = join(stationDir, 'identity.json');
  let identity: StationIdentity | null = existsSync(file) ? readIdentityFile(file) : null;
  if (!identity) {
    const admin = new pg.Client(databaseUrl);
    await admin.connect();
    try {
      const enrolled = await admin.query('SELECT 1 FROM clinic.stations s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = $1 AND s.code = $2 AND s.public_key IS NOT NULL AND s.revoked_at IS NULL', [DEMO_CLINIC_CODE, station.code]);
      if (enrolled.rowCount) await admin.query('SELECT clinic.operator_revoke_station($1, $2, $3)', [DEMO_CLINIC_CODE, station.code, 'The demo lost this station\'s identity file.']);
    } finally {
      await admin.end();
    }
    identity = await enrolNewStation(databaseUrl, gateway, { clinic: DEMO_CLINIC_CODE, role: station.role, code: station.code, room: station.roomCode });
    log(`Enrolled ${station.role} station ${station.code} at the gateway`);
  }
  // The port changes from run to run, and a CA that had to be made again must be pinned again.
  writeIdentityFile(file, { ...identity, gatewayUrl: gateway.url, gatewayCaPem: gateway.caPem });
  return file;
}

function demoStationConfig(prepared: PreparedDemoClinic, station: (typeof demoStations)[number]): StationConfig {
  return {
    dataDir: join(prepared.dataDir, 'stations', station.code),
    identity: readIdentityFile(prepared.identityFiles[station.code]!),
    crypto: prepared.crypto,
  };
}

export async function startDemoClinic(options: DemoClinicOptions): Promise<DemoClinic> {
  const log = options.log ?? (() => undefined);
  const prepared = await prepareDemoClinic(options);
  const stations: DemoStation[] = [];
  try {
    for (const station of demoStations) {
      const core = new StationCore(demoStationConfig(prepared, station));
      stations.push({ role: station.role, core });
      await core.start();
      if (station.role === 'display') await signInDisplay(core, log);
    }
  } catch (error) {
    await Promise.all(stations.map((s) => s.core.stop().catch(() => undefined)));
    await prepared.stop();
    throw error;
  }

  return {
    databaseUrl: prepared.databaseUrl,
    gatewayUrl: prepared.gatewayUrl,
    stations,
    async stop() {
      await Promise.all(stations.map((s) => s.core.stop().catch(() => undefined)));
      await prepared.stop();
    },
  };
}

/** The wall screen has nobody to type a password: the demo signs its device account in. */
async function signInDisplay(core: StationCore, log: (line: string) => void): Promise<void> {
  if (await core.handle('session.current', {})) return;
  await core.handle('session.signIn', { username: 'display', password: DEMO_PASSWORD }).catch((e: unknown) => {
    log(`The display could not sign in (${e instanceof Error ? e.message : String(e)}); sign it in on its screen.`);
  });
}

/**
 * The station list the Electron app reads (--stations): the same three stations and folders as
 * the browser demo. Before handing them over, the display's device account is signed in once in
 * its own cache (the session lives there), because the Electron app, rightly, never signs anyone in
 * by itself; the core that does it is stopped again before the app starts its own.
 */
export async function prepareElectronStations(prepared: PreparedDemoClinic, log: (line: string) => void = () => undefined): Promise<string> {
  const display = demoStations.find((s) => s.role === 'display');
  if (display) {
    const core = new StationCore(demoStationConfig(prepared, display));
    try {
      await core.start();
      await signInDisplay(core, log);
    } finally {
      await core.stop();
    }
  }
  const list: StationsFile = {
    stations: demoStations.map((station) => ({
      code: station.code,
      role: station.role,
      keyFile: prepared.keyFile,
      dataDir: join(prepared.dataDir, 'stations', station.code),
      identityFile: prepared.identityFiles[station.code]!,
    })),
  };
  const path = join(prepared.dataDir, 'electron-stations.json');
  // It names where each station's key is kept: owner only.
  await writeFile(path, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
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
