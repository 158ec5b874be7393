import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { StationCore } from '../../src/main/station';
import type { StationRole } from '../../src/shared/contract';

export const DEMO_CLINIC = 'GFC-BDK';

let cryptoPromise: Promise<FieldCrypto> | null = null;

/** The key the demo template was seeded with: stations must hash NRICs the same way. */
export function testCrypto(): Promise<FieldCrypto> {
  cryptoPromise ??= openLocalKeyFile(inject('pg').keyFile);
  return cryptoPromise;
}

export interface TestStationOptions {
  centralUrl: string;
  role: StationRole;
  code: string;
  roomCode?: string;
  clinicCode?: string;
  /** Reuse a station folder to restart the same "PC". */
  dataDir?: string;
  pollIntervalMs?: number;
  initialPageSize?: number;
}

export async function startStation(options: TestStationOptions): Promise<StationCore> {
  const core = new StationCore({
    dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), `station-${options.code}-`)),
    stationCode: options.code,
    role: options.role,
    clinicCode: options.clinicCode ?? DEMO_CLINIC,
    roomCode: options.roomCode,
    centralUrl: options.centralUrl,
    crypto: await testCrypto(),
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    initialPageSize: options.initialPageSize,
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
