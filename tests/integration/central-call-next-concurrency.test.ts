import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { clinicDay } from '../../src/shared/clinic-day';
import { beginAs, procIn, signIn, stationClient, type Row } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Two doctors pressing "call next" at the same instant must never get the same patient (clinic.call_next,
// FOR UPDATE SKIP LOCKED). Each press runs on its own connection with its doctor's session, as consult stations do.

let db: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

async function issueTickets(count: number, token: string, letter: string, offset: number): Promise<void> {
  const client = await stationClient(db.url);
  try {
    const { rows: patients } = await admin.query<{ id: string }>(
      `SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
        WHERE c.code = 'GFC-BDK' AND NOT EXISTS (SELECT 1 FROM clinic.queue_tickets t WHERE t.patient_id = p.id)
        ORDER BY p.id LIMIT $1`,
      [count],
    );
    for (const [i, patient] of patients.entries()) {
      const seq = offset + i + 1;
      await beginAs(client, token);
      await procIn(client, 'issue_ticket', {
        service_date: clinicDay(new Date()),
        ticket_number: `${letter}${String(seq).padStart(3, '0')}`,
        desk_letter: letter,
        desk_seq: seq,
        patient_id: patient.id,
        urgent: i % 7 === 0,
        issued_at: new Date(Date.now() - (count - i) * 1000).toISOString(),
      });
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

test('20 concurrent call_next from 2 doctors never hand out one ticket twice', async () => {
  const setup = await stationClient(db.url);
  const reception = await signIn(setup, 'GFC-BDK', 'reception', 'BDK-RECEPTION-1', 'reception');
  const doctors = [
    await signIn(setup, 'GFC-BDK', 'dr.tan', 'BDK-CONSULT-1', 'consult'),
    await signIn(setup, 'GFC-BDK', 'dr.siti', 'BDK-CONSULT-2', 'consult'),
  ];
  await setup.end();
  const { rows: rooms } = await admin.query<{ id: string }>(
    `SELECT r.id FROM clinic.rooms r JOIN clinic.clinics c ON c.id = r.clinic_id WHERE c.code = 'GFC-BDK' ORDER BY r.code`,
  );

  const presses = 20;
  const clients = await Promise.all(Array.from({ length: presses }, () => stationClient(db.url)));
  try {
    // Round 1: fewer patients than presses, so some presses must come back empty. Round 2: more patients.
    for (const [round, waiting] of [[1, 15], [2, 30]] as const) {
      await admin.query(`UPDATE clinic.queue_tickets SET status = 'completed' WHERE status IN ('waiting', 'called')`);
      await issueTickets(waiting, reception.token, reception.station.desk_letter!, (round - 1) * 100);

      // Every press opens its transaction and sets its session first, then all call at once.
      const doctorOf = (i: number) => doctors[i % 2]!;
      await Promise.all(clients.map((c, i) => beginAs(c, doctorOf(i).token)));
      const results = await Promise.all(
        clients.map(async (c, i) => {
          const r = await procIn<{ ticket: Row | null }>(c, 'call_next', { room_id: rooms[i % 2]!.id }, randomUUID());
          await c.query('COMMIT');
          return { doctor: doctorOf(i).doctor!.id, ticket: r.ticket };
        }),
      );

      const handedOut = results.filter((r) => r.ticket).map((r) => r.ticket!.id as string);
      expect(handedOut).toHaveLength(Math.min(presses, waiting));
      expect(new Set(handedOut).size).toBe(handedOut.length);
      for (const r of results.filter((x) => x.ticket)) expect(r.ticket!.called_by_doctor_id).toBe(r.doctor);

      const { rows } = await admin.query<{ called: number; calls: number; dup_calls: number }>(
        `SELECT (SELECT count(*)::int FROM clinic.queue_tickets WHERE status = 'called') AS called,
                (SELECT count(*)::int FROM clinic.queue_calls c JOIN clinic.queue_tickets t ON t.id = c.ticket_id
                  WHERE t.status = 'called') AS calls,
                (SELECT count(*)::int FROM (SELECT ticket_id FROM clinic.queue_calls GROUP BY ticket_id
                                             HAVING count(*) > 1) d) AS dup_calls`,
      );
      expect(rows[0]).toEqual({ called: handedOut.length, calls: handedOut.length, dup_calls: 0 });
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});
