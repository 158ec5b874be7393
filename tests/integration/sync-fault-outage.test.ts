import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../dev/embedded-postgres';
import { migrate } from '../../src/server/migrate';
import { seedDemo } from '../../seeds/demo';
import { startStation, startTestCentral, testCrypto, waitFor, type TestCentral } from '../support/stations';
import type { StationCore } from '../../src/main/station';

/*
 * Issue 4's outage drill on a cluster of its own (the shared test cluster must stay up): the
 * central Postgres behind the gateway is stopped for real while reception issues tickets and the doctor calls and
 * completes from the cache, then started again on the same port. Everything done in the outage
 * must arrive, with ticket numbers still unique. FAULT_OUTAGE_MS shortens the outage for local runs.
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 60_000);

describe('the central database goes down for a minute', () => {
  let workDir: string;
  let server: EmbeddedPostgresHandle;
  let url: string;
  const stations: StationCore[] = [];
  let centre: TestCentral;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'outage-'));
    chmodSync(workDir, 0o755);
    server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), disposable: true });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE outage');
    await admin.end();
    const parsed = new URL(server.url);
    parsed.pathname = '/outage';
    url = parsed.toString();
    await migrate(url);
    const seeder = new pg.Client({ connectionString: url });
    await seeder.connect();
    await seedDemo(seeder, { crypto: await testCrypto(), patientsPerClinic: 60 });
    await seeder.end();
    centre = await startTestCentral(url);
  });

  afterAll(async () => {
    await Promise.all(stations.map((s) => s.stop()));
    await centre?.close();
    await server?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it(`keeps the clinic running through a ${OUTAGE_MS / 1000} s outage and loses nothing`, { timeout: OUTAGE_MS + 120_000 }, async () => {
    const reception = await startStation({ central: centre, role: 'reception', code: 'OUTAGE-DESK', pollIntervalMs: 500 });
    const doctor = await startStation({ central: centre, role: 'consult', code: 'OUTAGE-ROOM', roomCode: 'R1', pollIntervalMs: 500 });
    stations.push(reception, doctor);
    await reception.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await doctor.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
    await Promise.all([reception.requestSync(), doctor.requestSync()]);
    const patients = (reception.cache.db.prepare('SELECT id FROM patients ORDER BY full_name LIMIT 20').pluck().all() as string[]).map((id) => ({ id }));
    const before = await reception.handle('queue.issueTicket', { patientId: patients[0]!.id, urgent: false });
    await waitFor(() => doctor.cache.db.prepare('SELECT count(*) FROM queue_tickets WHERE ticket_number = ?').pluck().get(before.ticketNumber), 'the doctor to hold the first ticket');

    await server.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    const issued = [before.ticketNumber];
    for (let i = 1; i <= 8; i += 1) issued.push((await reception.handle('queue.issueTicket', { patientId: patients[i]!.id, urgent: false })).ticketNumber);
    const called = await doctor.handle('queue.callNext', {});
    expect(called?.ticketNumber).toBe(before.ticketNumber);
    await doctor.handle('queue.complete', { ticketId: called!.id });
    expect((await reception.handle('sync.status', {})).online).toBe(false);
    expect((await reception.handle('sync.status', {})).pending).toBe(8);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageEnds - Date.now())));

    server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), port: server.port, disposable: true });
    await waitFor(
      async () => (await reception.handle('sync.status', {})).pending === 0 && (await doctor.handle('sync.status', {})).pending === 0,
      'both stations to deliver what they did during the outage',
      60_000,
    );

    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      const { rows } = await check.query<{ ticket_number: string; status: string }>(
        'SELECT ticket_number, status FROM clinic.queue_tickets WHERE ticket_number = ANY($1::text[]) ORDER BY ticket_number',
        [issued],
      );
      expect(rows.map((r) => r.ticket_number)).toEqual([...issued].sort());
      expect(new Set(rows.map((r) => r.ticket_number)).size).toBe(issued.length);
      expect(rows.find((r) => r.ticket_number === before.ticketNumber)?.status).toBe('completed');
      const calls = await check.query("SELECT count(*)::int AS n FROM clinic.queue_calls WHERE ticket_number = $1", [before.ticketNumber]);
      expect(calls.rows[0].n).toBe(1);
    } finally {
      await check.end();
    }
    expect(await reception.handle('sync.attention', {})).toEqual([]);
    expect(await doctor.handle('sync.attention', {})).toEqual([]);
  });
});
