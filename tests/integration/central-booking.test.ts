import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { beginAs, failure, signIn, stationClient, type SignInResult } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// booking.create_booking (issue 3 §4, seed 001 §5.1): no double booking under concurrency, idempotent by key.

let db: TestDatabase;
let admin: pg.Client;
let reception: SignInResult;
let doctorId: string;
let patients: string[];

async function book(client: pg.ClientBase, args: Record<string, unknown>, key = randomUUID()): Promise<{ appointment: Record<string, unknown> }> {
  await beginAs(client, reception.token, key);
  try {
    const { rows } = await client.query('SELECT booking.create_booking($1::uuid, $2::jsonb) AS r', [key, JSON.stringify(args)]);
    await client.query('COMMIT');
    return rows[0].r;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** A Singapore time 20 days ahead at hh:mm, as ISO with offset. */
function future(hh: number, mm: number, days = 20): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Singapore' }).format(d);
  return `${day}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00+08:00`;
}

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  const station = await stationClient(db.url);
  reception = await signIn(station, 'GFC-BDK', 'reception', 'BOOK-DESK', 'reception');
  await station.end();
  doctorId = (await admin.query(`SELECT id FROM clinic.doctors WHERE clinic_id = $1 ORDER BY mcr_number LIMIT 1`, [reception.clinic.id])).rows[0].id;
  patients = (await admin.query(`SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id LIMIT 60`, [reception.clinic.id])).rows.map((r) => r.id);
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

describe('booking.create_booking', () => {
  test('50 concurrent bookings of one slot: exactly one succeeds, the other 49 are told the slot is taken', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => stationClient(db.url)));
    try {
      const startsAt = future(10, 0);
      const results = await Promise.allSettled(
        clients.map((c, i) => book(c, { patient_id: patients[i], doctor_id: doctorId, starts_at: startsAt, duration_minutes: 15 })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(49);
      for (const f of failed) {
        expect((f.reason as pg.DatabaseError).code).toBe('GC409');
        expect((f.reason as Error).message).toMatch(/slot was just taken/);
      }
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM clinic.appointments WHERE doctor_id = $1 AND starts_at = $2`, [doctorId, startsAt]);
      expect(rows[0].n).toBe(1);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('50 concurrent bookings of one slot row: the row lock lets one through', async () => {
    const startsAt = future(11, 0);
    const { rows } = await admin.query(
      `INSERT INTO clinic.appointment_slots (clinic_id, doctor_id, starts_at, ends_at) VALUES ($1, $2, $3, $3::timestamptz + interval '15 minutes') RETURNING id`,
      [reception.clinic.id, doctorId, startsAt],
    );
    const clients = await Promise.all(Array.from({ length: 50 }, () => stationClient(db.url)));
    try {
      const results = await Promise.allSettled(clients.map((c, i) => book(c, { patient_id: patients[i], slot_id: rows[0].id })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && (r.reason as pg.DatabaseError).code === 'GC409')).toHaveLength(49);
      const slot = await admin.query('SELECT is_available, appointment_id FROM clinic.appointment_slots WHERE id = $1', [rows[0].id]);
      expect(slot.rows[0].is_available).toBe(false);
      expect(slot.rows[0].appointment_id).not.toBeNull();
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('a repeated key returns the first answer; the same key with other arguments is refused', async () => {
    const client = await stationClient(db.url);
    try {
      const key = randomUUID();
      const args = { patient_id: patients[55], doctor_id: doctorId, starts_at: future(14, 0), duration_minutes: 15, reason: 'Review' };
      const first = await book(client, args, key);
      const again = await book(client, args, key);
      expect(again).toEqual(first);
      expect(first.appointment.appointment_number).toMatch(/^BDK-\d{8}-\d{3}$/);
      const reused = await failure(book(client, { ...args, reason: 'Other' }, key));
      expect(reused.code).toBe('GC422');
    } finally {
      await client.end();
    }
  });

  test('appointment numbers continue the day series after the seeded ones, without gaps', async () => {
    const client = await stationClient(db.url);
    try {
      const day = future(9, 0, 1).slice(0, 10).replaceAll('-', '');
      const { rows } = await admin.query(`SELECT max(appointment_number) AS m FROM clinic.appointments WHERE appointment_number LIKE $1`, [`BDK-${day}-%`]);
      const seeded = rows[0].m ? Number(String(rows[0].m).slice(-3)) : 0;
      const a = await book(client, { patient_id: patients[56], doctor_id: doctorId, starts_at: future(17, 0, 1), duration_minutes: 15 });
      const b = await book(client, { patient_id: patients[57], doctor_id: doctorId, starts_at: future(17, 15, 1), duration_minutes: 15 });
      expect(a.appointment.appointment_number).toBe(`BDK-${day}-${String(seeded + 1).padStart(3, '0')}`);
      expect(b.appointment.appointment_number).toBe(`BDK-${day}-${String(seeded + 2).padStart(3, '0')}`);
      const receipt = await admin.query(`SELECT clinic.next_document_number($1, 'receipt', now()) AS r`, [reception.clinic.id]);
      expect(receipt.rows[0].r).toMatch(/^R\d{4}-000001$/);
    } finally {
      await client.end();
    }
  });
});
