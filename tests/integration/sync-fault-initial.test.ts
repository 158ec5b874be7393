import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createTestDatabase } from '../support/db';
import { ChildStation } from '../support/station-child';
import { startStation, startTestCentral, testCrypto, testIdentityFile, waitFor, type TestCentral } from '../support/stations';
import { seedScale } from '../../seeds/scale';
import { Cache } from '../../src/main/cache/cache';

/*
 * Issue 4's third fault test: a new reception station is killed with SIGKILL while it loads a
 * big clinic for the first time. Restarted, it must carry on from where it stopped (not from
 * zero) and end up with exactly the centre's rows.
 */
describe('kill -9 during the initial sync', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let station: ChildStation | null = null;
  let centre: TestCentral;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await seedScale(client, { clinicCode: 'GFC-BDK', patients: 12_000, appointments: 6_000, crypto: await testCrypto(), seed: 7 });
    } finally {
      await client.end();
    }
    centre = await startTestCentral(db.url);
  }, 180_000);

  afterAll(async () => {
    await station?.stop();
    await centre?.close();
    await db?.drop();
  });

  it('resumes an interrupted initial load and ends equal to the centre', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fault-initial-'));
    const config = {
      dataDir,
      stationCode: 'FAULT-NEW-DESK',
      role: 'reception' as const,
      identityFile: await testIdentityFile({ central: centre, role: 'reception', code: 'FAULT-NEW-DESK' }, dataDir),
      keyFile: inject('pg').keyFile,
      initialPageSize: 250,
    };
    station = new ChildStation(config);
    // The initial load starts at sign-in; it is killed from inside the status handler, mid-load.
    await station.started;
    const first = station;
    const killedAt = new Promise<number>((resolve) => {
      first.onStatus = (status) => {
        if (status.initialSync && status.initialSync.loaded >= 3000) {
          void first.kill9();
          resolve(status.initialSync.loaded);
        }
      };
    });
    void first.call('session.signIn', { username: 'reception', password: 'demo1234' }).catch(() => undefined);
    const loadedWhenKilled = await killedAt;
    await first.exited;

    const midway = new Cache(join(config.dataDir, 'cache.sqlite'));
    const saved = midway.readInitialSync();
    midway.close();
    expect(saved).not.toBeNull();
    const savedRows = saved!.tables.reduce((n, t) => n + t.loaded, 0);
    expect(savedRows).toBeGreaterThanOrEqual(loadedWhenKilled);
    expect(savedRows).toBeLessThan(saved!.tables.reduce((n, t) => n + t.total, 0));

    station = new ChildStation(config);
    await station.started;
    const firstAfterRestart = await waitFor(() => station!.statuses.find((s) => s.initialSync)?.initialSync, 'progress after the restart', 60_000);
    expect(firstAfterRestart.loaded).toBeGreaterThan(savedRows);
    await waitFor(async () => (await station!.call<{ initialSync: unknown; lastSyncedAt: string | null }>('sync.status')).initialSync === null, 'the load to finish', 120_000);
    await station.stop();
    station = null;

    // Same folder, now in this process: verification against the centre finds nothing to repair.
    const check = await startStation({ central: centre, role: 'reception', code: 'FAULT-NEW-DESK', dataDir: config.dataDir });
    try {
      expect(await check.verifyNow()).toEqual([]);
      const central = new pg.Client({ connectionString: db.url });
      await central.connect();
      const patients = Number((await central.query("SELECT count(*) FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id WHERE c.code = 'GFC-BDK'")).rows[0].count);
      await central.end();
      expect(check.cache.db.prepare('SELECT count(*) FROM patients').pluck().get()).toBe(patients);
    } finally {
      await check.stop();
    }
  });
});
