import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createTestDatabase } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { ChildStation } from '../support/station-child';
import { startTestCentral, testCrypto, testIdentityFile, waitFor, type TestCentral } from '../support/stations';
import { generatePeople } from '../../seeds/people';
import { normalizeNric } from '../../src/shared/nric';

/*
 * Issue 4's first fault test: a reception station (its own process) holds 1,000 registrations
 * made offline, starts pushing them, and is killed with SIGKILL halfway. Restarted on the same
 * folder, it finishes; the centre must hold each of the 1,000 exactly once.
 */
const COUNT = 1000;

describe('kill -9 in the middle of pushing the outbox', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let gateway: TestCentral;
  let central: pg.Client;
  let station: ChildStation | null = null;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    gateway = await startTestCentral(db.url);
    const target = new URL(gateway.gatewayUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.listen();
    central = new pg.Client({ connectionString: db.url });
    await central.connect();
  });

  afterAll(async () => {
    await station?.stop();
    await central?.end();
    await proxy?.close();
    await gateway?.close();
    await db?.drop();
  });

  it('delivers every offline registration exactly once across a SIGKILL and a restart', async () => {
    const crypto = await testCrypto();
    const known = new Set((await central.query<{ nric_hash: string }>('SELECT nric_hash FROM clinic.patients')).rows.map((r) => r.nric_hash));
    const people: { nric: string; fullName: string; dateOfBirth: string; gender: 'male' | 'female'; phone: string }[] = [];
    for (const person of generatePeople(COUNT * 2, 4242, { today: new Date('2026-01-15T00:00:00Z') })) {
      if (people.length === COUNT) break;
      if (known.has(await crypto.lookupHash('nric', normalizeNric(person.nric)))) continue;
      people.push({ nric: person.nric, fullName: person.fullName, dateOfBirth: person.dateOfBirth, gender: person.gender, phone: person.phone });
    }
    expect(people).toHaveLength(COUNT);

    const dataDir = mkdtempSync(join(tmpdir(), 'fault-push-'));
    const gatewayUrl = `http://127.0.0.1:${proxy.port}`;
    const config = {
      dataDir,
      stationCode: 'FAULT-RECEPTION',
      role: 'reception' as const,
      identityFile: await testIdentityFile({ central: gateway, role: 'reception', code: 'FAULT-RECEPTION', gatewayUrl }, dataDir),
      keyFile: inject('pg').keyFile,
    };
    station = new ChildStation(config);
    await station.started;
    await station.call('session.signIn', { username: 'reception', password: 'demo1234' });

    proxy.cut();
    await station.call('registerMany', people);
    const offline = await station.call<{ pending: number; online: boolean }>('sync.status');
    expect(offline).toMatchObject({ pending: COUNT, online: false });

    const countAtCentre = async () =>
      Number((await central.query("SELECT count(*) AS n FROM clinic.request_log WHERE procedure = 'register_patient'")).rows[0].n);
    proxy.restore();
    void station.call('requestSync').catch(() => undefined);
    const before = await waitFor(async () => {
      const n = await countAtCentre();
      return n >= 150 ? n : 0;
    }, 'the push to get going', 60_000);
    await station.kill9();
    const atKill = await countAtCentre();
    expect(atKill).toBeGreaterThanOrEqual(before);
    expect(atKill).toBeLessThan(COUNT);

    station = new ChildStation(config);
    await station.started;
    await waitFor(async () => (await station!.call<{ pending: number }>('sync.status')).pending === 0, 'the restarted station to drain its outbox', 120_000);

    expect(await countAtCentre()).toBe(COUNT);
    const hashes = await Promise.all(people.map((p) => crypto.lookupHash('nric', normalizeNric(p.nric))));
    const { rows } = await central.query<{ n: string; distinct_ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids FROM clinic.patients WHERE nric_hash = ANY($1::text[])',
      [hashes],
    );
    expect(rows[0]).toEqual({ n: String(COUNT), distinct_ids: String(COUNT) });
    // A replay after the kill is answered from the request log, never refused as a duplicate.
    expect(await station.call<unknown[]>('sync.attention')).toEqual([]);
  });
});
