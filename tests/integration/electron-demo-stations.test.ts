import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemoClinic, prepareElectronStations, type PreparedDemoClinic } from '../../dev/demo-clinic';
import { readStationsFile } from '../../src/main/electron/stations-file';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { forkCore } from '../support/core-child';

/*
 * What `npm start` hands the Electron app: a station list the app accepts, for the demo's three
 * stations, with the display's device account already signed in, in a core of its own process.
 */
describe('the demo’s station list for Electron', () => {
  let db: TestDatabase;
  let prepared: PreparedDemoClinic;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    prepared = await prepareDemoClinic({ dataDir: mkdtempSync(join(tmpdir(), 'demo-electron-')), databaseUrl: db.url });
  });

  afterAll(async () => {
    await prepared?.stop();
    await db?.drop();
  });

  it('lists the three demo stations in a file only its owner can read, which the app accepts', async () => {
    const path = await prepareElectronStations(prepared);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    const plans = readStationsFile(path, '/unused-user-data');
    expect(plans.map((p) => [p.core.stationCode, p.core.role])).toEqual([
      ['BDK-RECEPTION-1', 'reception'],
      ['BDK-CONSULT-1', 'consult'],
      ['BDK-DISPLAY-1', 'display'],
    ]);
    for (const plan of plans) {
      const stationDir = join(prepared.dataDir, 'stations', plan.core.stationCode);
      expect(plan.core).toMatchObject({ keyFile: prepared.keyFile, dataDir: stationDir, identityFile: join(stationDir, 'identity.json') });
      // Each PC holds its enrolment, readable by its owner only, and no database address at all.
      const identityFile = join(stationDir, 'identity.json');
      const identity = readFileSync(identityFile, 'utf8');
      if (process.platform !== 'win32') expect(statSync(identityFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(identity)).toMatchObject({ gatewayUrl: prepared.gatewayUrl, clinic: { code: 'GFC-BDK' }, station: { code: plan.core.stationCode, role: plan.core.role } });
      // HTTPS, trusting the demo's own CA and nothing else.
      expect(prepared.gatewayUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(JSON.parse(identity).gatewayCaPem).toBe(readFileSync(join(prepared.dataDir, 'central', 'tls', 'ca.crt'), 'utf8'));
      expect(identity).not.toMatch(/postgres(ql)?:\/\//);
    }
    expect(readFileSync(path, 'utf8')).not.toMatch(/postgres(ql)?:\/\//);

    const display = forkCore(plans[2]!.core);
    try {
      await display.client.started;
      await expect(display.client.handle('session.current', {})).resolves.toMatchObject({ username: 'display', role: 'display' });
    } finally {
      await display.client.stop();
      await display.exited;
    }
  });
});
