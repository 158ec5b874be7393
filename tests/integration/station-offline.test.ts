import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';
import type { StationCore } from '../../src/main/station';
import { parseTicketNumber } from '../../src/shared/ticket-number';

/*
 * Two reception desks and a doctor on one clinic, each with its own SQLite cache, talking to a
 * real Postgres through a proxy whose cable the test pulls.
 */
describe('stations offline and back', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let centre: TestCentral;
  let deskA: StationCore;
  let deskB: StationCore;
  let doctor: StationCore;
  let central: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    const target = new URL(centre.gatewayUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    const gatewayUrl = `http://127.0.0.1:${await proxy.listen()}`;
    deskA = await startStation({ central: centre, gatewayUrl, role: 'reception', code: 'T-DESK-1' });
    deskB = await startStation({ central: centre, gatewayUrl, role: 'reception', code: 'T-DESK-2' });
    doctor = await startStation({ central: centre, gatewayUrl, role: 'consult', code: 'T-CONSULT-1', roomCode: 'R1' });
    await deskA.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await deskB.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    central = new pg.Client({ connectionString: db.url });
    await central.connect();
  });

  afterAll(async () => {
    await Promise.all([deskA, deskB, doctor].map((s) => s?.stop()));
    await central?.end();
    await proxy?.close();
    await centre?.close();
    await db?.drop();
  });

  it('gives each reception desk its own ticket letter at first sign-in', async () => {
    const a = await deskA.handle('station.info', {});
    const b = await deskB.handle('station.info', {});
    expect(a.deskLetter).toMatch(/^[A-Z]$/);
    expect(b.deskLetter).toMatch(/^[A-Z]$/);
    expect(a.deskLetter).not.toBe(b.deskLetter);
  });

  it('keeps issuing unique numbers on two desks offline at once, and every ticket reaches the centre once', async () => {
    const { patients } = await deskA.handle('patients.search', { query: 'tan', limit: 50 });
    expect(patients.length).toBeGreaterThanOrEqual(24);

    proxy.cut();
    const issued: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const onA = await deskA.handle('queue.issueTicket', { patientId: patients[i]!.id, urgent: false });
      const onB = await deskB.handle('queue.issueTicket', { patientId: patients[12 + i]!.id, urgent: i === 0 });
      expect(onA.pending).toBe(true);
      issued.push(onA.ticketNumber, onB.ticketNumber);
    }
    expect(new Set(issued).size).toBe(24);
    const statusA = await deskA.handle('sync.status', {});
    expect(statusA.online).toBe(false);
    expect(statusA.pending).toBe(12);

    proxy.restore();
    await waitFor(async () => (await deskA.handle('sync.status', {})).pending === 0 && (await deskB.handle('sync.status', {})).pending === 0, 'both outboxes to drain', 30_000);

    const { rows } = await central.query<{ ticket_number: string; desk_letter: string; desk_seq: number; priority: number }>(
      `SELECT ticket_number, desk_letter, desk_seq, priority FROM clinic.queue_tickets
        WHERE ticket_number = ANY($1::text[])`,
      [issued],
    );
    expect(rows).toHaveLength(24);
    expect(new Set(rows.map((r) => r.ticket_number)).size).toBe(24);
    for (const row of rows) expect(parseTicketNumber(row.ticket_number)).toEqual({ letter: row.desk_letter, seq: row.desk_seq });
    expect(rows.filter((r) => r.priority === 2)).toHaveLength(1);
  });

  it('lets the doctor call from the cache while offline; the centre records that call when the network returns', async () => {
    await doctor.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
    await waitFor(async () => (await doctor.handle('queue.mine', {})).waiting.length >= 24, 'the doctor station to pull the tickets');
    const expected = (await doctor.handle('queue.mine', {})).waiting[0]!;

    proxy.cut();
    const called = await doctor.handle('queue.callNext', {});
    expect(called?.id).toBe(expected.id);
    expect(called?.status).toBe('called');
    expect(called?.pending).toBe(true);
    const completed = await doctor.handle('queue.complete', { ticketId: called!.id });
    expect(completed.status).toBe('completed');

    proxy.restore();
    await waitFor(async () => (await doctor.handle('sync.status', {})).pending === 0, 'the doctor outbox to drain', 30_000);
    const { rows } = await central.query('SELECT status, room_id FROM clinic.queue_tickets WHERE id = $1', [called!.id]);
    expect(rows[0]).toMatchObject({ status: 'completed' });
    const calls = await central.query('SELECT kind FROM clinic.queue_calls WHERE ticket_id = $1', [called!.id]);
    expect(calls.rows).toEqual([{ kind: 'call' }]);
  });

  it('acknowledges a refusal the cache could not foresee, undoes it, lists it for attention, and carries on with the rest', async () => {
    // Both desks register the same NRIC while cut off from the centre: the second to reach it is refused.
    proxy.cut();
    const person = { nric: 'S7712345H', fullName: 'Lee Mei Ling', dateOfBirth: '1977-03-14', gender: 'female' as const };
    const first = await deskA.handle('patients.register', person);
    const second = await deskB.handle('patients.register', person);
    expect(first.pending && second.pending).toBe(true);
    const queued = new Set((await deskB.handle('queue.today', {})).map((t) => t.patientId));
    const someoneElse = (await deskB.handle('patients.search', { query: 'lim', limit: 50 })).patients.find((p) => !p.pending && !queued.has(p.id))!;
    const laterTicket = await deskB.handle('queue.issueTicket', { patientId: someoneElse.id, urgent: false });
    proxy.restore();
    await Promise.all([deskA.requestSync(), deskB.requestSync()]);
    for (const desk of [deskA, deskB]) await waitFor(async () => (await desk.handle('sync.status', {})).pending === 0, 'both desks to hear the centre', 30_000);

    // Whichever desk reached the centre first keeps the patient; the other is told, and undoes its copy.
    const { rows: kept } = await central.query<{ id: string }>('SELECT id FROM clinic.patients WHERE id = ANY($1)', [[first.id, second.id]]);
    expect(kept).toHaveLength(1);
    const [winner, loser, loserCopy] = kept[0]!.id === first.id ? [deskA, deskB, second] : [deskB, deskA, first];
    expect((await winner.handle('sync.attention', {}))).toEqual([]);
    const onLoser = await loser.handle('patients.search', { query: 'S7712345H', limit: 5 });
    expect(onLoser.patients.map((p) => p.id)).not.toContain(loserCopy.id);
    const attention = await loser.handle('sync.attention', {});
    expect(attention).toHaveLength(1);
    expect(attention[0]).toMatchObject({ what: 'Registration of Lee Mei Ling (S****345H)' });
    expect(attention[0]!.reason).toMatch(/already registered/);
    expect(attention[0]!.action).toMatch(/check the current record/);
    expect((await loser.handle('sync.status', {})).attention).toBe(1);
    // Desk B's later ticket, for someone else, went through whatever happened to its registration.
    const { rows } = await central.query('SELECT status FROM clinic.queue_tickets WHERE id = $1', [laterTicket.id]);
    expect(rows).toEqual([{ status: 'waiting' }]);

    await loser.handle('sync.dismiss', { id: attention[0]!.id });
    expect(await loser.handle('sync.attention', {})).toEqual([]);
    expect((await loser.handle('sync.status', {})).attention).toBe(0);
  });
});
