import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { readIdentityFile, writeIdentityFile, type StationIdentity } from '../../src/main/enrolment/identity';
import { StationCore } from '../../src/main/station';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway/gateway';
import { createGatewayLogin, enrolNewStation, type GatewayLogin, type StationToEnrol } from '../../dev/enrolment';
import type { StationRole } from '../../src/shared/contract';

export const DEMO_CLINIC = 'GFC-BDK';

let cryptoPromise: Promise<FieldCrypto> | null = null;

/** The key the demo template was seeded with: stations must hash NRICs the same way. */
export function testCrypto(): Promise<FieldCrypto> {
  cryptoPromise ??= openLocalKeyFile(inject('pg').keyFile);
  return cryptoPromise;
}

/**
 * The centre as stations meet it in tests: the database, and a gateway in front of it connected as a login role
 * that is only a member of clinic_gateway. Stations enrol through the gateway and speak only to it.
 */
export interface TestCentral {
  /** Superuser URL of the database (for the test's own checks, never given to a station). */
  dbUrl: string;
  gateway: Gateway;
  gatewayUrl: string;
  login: GatewayLogin;
  logs: string[];
  enrol(station: StationToEnrol): Promise<StationIdentity>;
  close(): Promise<void>;
}

export async function startTestCentral(
  dbUrl: string,
  options: { gatewayDatabaseUrl?: (loginUrl: string) => string; gateway?: Partial<GatewayOptions> } = {},
): Promise<TestCentral> {
  const login = await createGatewayLogin(dbUrl);
  const logs: string[] = [];
  const databaseUrl = options.gatewayDatabaseUrl?.(login.url) ?? login.url;
  const gateway = createGateway({ databaseUrl, listenUrl: login.url, log: (line) => logs.push(line), ...options.gateway });
  const { url } = await gateway.listen(0);
  return {
    dbUrl,
    gateway,
    gatewayUrl: url,
    login,
    logs,
    enrol: (station) => enrolNewStation(dbUrl, { url, caPem: null }, station),
    async close() {
      await gateway.close();
      await login.drop().catch(() => undefined);
    },
  };
}

export interface TestStationOptions {
  central: TestCentral;
  role: StationRole;
  code: string;
  roomCode?: string;
  clinicCode?: string;
  /** The gateway address the station uses, when not the one it enrolled at (a proxy whose cable a test pulls). */
  gatewayUrl?: string;
  /** Reuse a station folder to restart the same "PC": its identity is kept there. */
  dataDir?: string;
  pollIntervalMs?: number;
  initialPageSize?: number;
  /** The station's clock. */
  now?: () => Date;
}

type EnrolOptions = Pick<TestStationOptions, 'central' | 'role' | 'code' | 'roomCode' | 'clinicCode' | 'gatewayUrl'>;

/** The identity file a test PC keeps in its folder: enrolled once, then reused on every restart. */
export async function testIdentityFile(options: EnrolOptions, dataDir: string): Promise<string> {
  const file = join(dataDir, 'identity.json');
  if (existsSync(file)) return file;
  const identity = await options.central.enrol({ clinic: options.clinicCode ?? DEMO_CLINIC, role: options.role, code: options.code, room: options.roomCode });
  writeIdentityFile(file, { ...identity, gatewayUrl: options.gatewayUrl ?? identity.gatewayUrl });
  return file;
}

export async function testIdentity(options: EnrolOptions, dataDir: string): Promise<StationIdentity> {
  return readIdentityFile(await testIdentityFile(options, dataDir));
}

export async function startStation(options: TestStationOptions): Promise<StationCore> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `station-${options.code}-`));
  const core = new StationCore({
    dataDir,
    identity: await testIdentity(options, dataDir),
    crypto: await testCrypto(),
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    initialPageSize: options.initialPageSize,
    now: options.now,
  });
  await core.start();
  // Row-level security shows a display nothing without a session: sign its device account in, as the demo does.
  if (options.role === 'display') await core.handle('session.signIn', { username: 'display', password: 'demo1234' });
  return core;
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A URL to the same database through another host:port (the proxy). */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}
