import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { createGatewayLogin, enrolNewStation, type GatewayLogin, type StationToEnrol } from '../../dev/enrolment';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createTestDatabase } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { ChildStation } from '../support/station-child';
import { startStation, startTestCentral, testCrypto, testIdentityFile, waitFor, type TestCentral } from '../support/stations';
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

describe('the gateway killed with SIGKILL in the middle of a push', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  let login: GatewayLogin;
  let gateway: ChildProcess | null = null;

  const startGateway = async (port: number): Promise<{ child: ChildProcess; url: string }> => {
    const child = fork(join(process.cwd(), 'tests', 'support', 'gateway-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, GATEWAY_DATABASE_URL: login.url, GATEWAY_PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message) => resolve((message as { url: string }).url));
      child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening`)));
    });
    return { child, url };
  };

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    login = await createGatewayLogin(db.url);
  });

  afterAll(async () => {
    gateway?.kill('SIGKILL');
    await admin?.end();
    await login?.drop();
    await db?.drop();
  });

  it('delivers every registration exactly once across the gateway dying and coming back', async () => {
    const first = await startGateway(0);
    gateway = first.child;
    const port = Number(new URL(first.url).port);
    const centre = { enrol: (station: StationToEnrol) => enrolNewStation(db.url, { url: first.url, caPem: null }, station) } as TestCentral;
    const station = await startStation({ central: centre, role: 'reception', code: 'GATEWAY-KILLED-DESK', pollIntervalMs: 200 });
    try {
      await station.handle('session.signIn', { username: 'reception', password: 'demo1234' });
      await waitFor(() => station.cache.readCursor(), 'the first load');
      const people = [...generatePeople(400, 777, { today: new Date('2026-01-15T00:00:00Z') })].slice(0, 300);
      const countAtCentre = async () =>
        Number((await admin.query("SELECT count(*) AS n FROM clinic.request_log WHERE procedure = 'register_patient'")).rows[0].n);
      // Registrations pile up while the gateway runs; it is killed once some, not all, have arrived.
      const registering = (async () => {
        for (const p of people) await station.handle('patients.register', { nric: p.nric, fullName: p.fullName, dateOfBirth: p.dateOfBirth, gender: p.gender, phone: p.phone }).catch(() => undefined);
      })();
      await waitFor(async () => (await countAtCentre()) >= 40, 'the first registrations to arrive', 60_000);
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      const atKill = await countAtCentre();
      await registering;
      expect(atKill).toBeLessThan(people.length);
      expect((await station.handle('sync.status', {})).pending).toBeGreaterThan(0);

      gateway = (await startGateway(port)).child;
      await waitFor(async () => (await station.handle('sync.status', {})).pending === 0, 'the outbox to drain through the new gateway', 60_000);
      const hashes = await Promise.all(people.map(async (p) => (await testCrypto()).lookupHash('nric', normalizeNric(p.nric))));
      const { rows } = await admin.query<{ n: string; distinct_ids: string }>(
        'SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids FROM clinic.patients WHERE nric_hash = ANY($1::text[])',
        [hashes],
      );
      expect(await station.handle('sync.attention', {})).toEqual([]);
      expect(rows[0]).toEqual({ n: String(people.length), distinct_ids: String(people.length) });
      expect(await countAtCentre()).toBe(people.length);
    } finally {
      await station.stop();
    }
  }, 120_000);
});
