import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { clinicDay } from '../../src/shared/clinic-day';
import { orderQueue, type QueueCandidate } from '../../src/shared/queue-order';
import { beginAs, call, failure, newPatientArgs, procIn, signIn, stationClient, type Row } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Procedures of migrations 003-005 against the seeded demo chain (GFC-BDK: reception, nurse, dr.tan, dr.siti,
// dr.kumar; rooms R1-R3).

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;
let crypto: FieldCrypto;
let reception: { token: string; letter: string };
let drTan: { token: string; doctorId: string };
let drSiti: { token: string; doctorId: string };
let rooms: Record<string, { id: string; name: string }>;
const today = clinicDay(new Date());

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  station = await stationClient(db.url);
  crypto = await openLocalKeyFile(inject('pg').keyFile);
  const r = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-1', 'reception');
  reception = { token: r.token, letter: r.station.desk_letter! };
  const t = await signIn(station, 'GFC-BDK', 'dr.tan', 'BDK-CONSULT-1', 'consult');
  drTan = { token: t.token, doctorId: t.doctor!.id };
  const s = await signIn(station, 'GFC-BDK', 'dr.siti', 'BDK-CONSULT-2', 'consult');
  drSiti = { token: s.token, doctorId: s.doctor!.id };
  const { rows } = await admin.query<{ code: string; id: string; name: string }>(
    `SELECT r.code, r.id, r.name FROM clinic.rooms r JOIN clinic.clinics c ON c.id = r.clinic_id WHERE c.code = 'GFC-BDK'`,
  );
  rooms = Object.fromEntries(rows.map((row) => [row.code, row]));
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

let deskSeq = 0;
function ticketArgs(patientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const seq = ++deskSeq;
  return {
    id: randomUUID(),
    service_date: today,
    ticket_number: `${reception.letter}${String(seq).padStart(3, '0')}`,
    desk_letter: reception.letter,
    desk_seq: seq,
    patient_id: patientId,
    urgent: false,
    issued_at: new Date().toISOString(),
    ...extra,
  };
}

async function registerPatient(overrides: Record<string, unknown> = {}): Promise<string> {
  const { args } = await newPatientArgs(admin, crypto, overrides);
  const result = await call<{ patient: Row }>(station, reception.token, 'register_patient', args);
  return result.patient.id as string;
}

/** A patient of the demo clinic between 20 and 70 years old without a ticket today. */
async function ordinaryPatient(): Promise<string> {
  const { rows } = await admin.query<{ id: string }>(
    `SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
      WHERE c.code = 'GFC-BDK' AND p.date_of_birth BETWEEN now() - interval '70 years' AND now() - interval '20 years'
        AND NOT EXISTS (SELECT 1 FROM clinic.queue_tickets t WHERE t.patient_id = p.id)
      ORDER BY random() LIMIT 1`,
  );
  return rows[0]!.id;
}

async function issue(patientId: string, extra: Record<string, unknown> = {}): Promise<Row> {
  return (await call<{ ticket: Row }>(station, reception.token, 'issue_ticket', ticketArgs(patientId, extra))).ticket;
}

/** Ends today's queue so each test starts from an empty line. */
async function clearQueue(): Promise<void> {
  await admin.query(`UPDATE clinic.queue_tickets SET status = 'cancelled' WHERE status IN ('waiting', 'called')`);
}

describe('sign_in', () => {
  test('returns a 12-hour session whose token is stored only as its sha256', async () => {
    const before = Date.now();
    const r = await signIn(station, 'gfc-bdk', 'DR.TAN', 'BDK-CONSULT-9', 'consult');
    expect(r.token).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(r.expires_at) - before).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(Date.parse(r.expires_at) - before).toBeLessThan(12 * 3600_000 + 60_000);
    expect(r.user).toMatchObject({ username: 'dr.tan', full_name: 'Dr Tan Wei Ming', role: 'doctor' });
    expect(r.doctor).toMatchObject({ id: drTan.doctorId, full_name: 'Dr Tan Wei Ming', mcr_number: 'M12345A' });
    expect(r.clinic).toMatchObject({ code: 'GFC-BDK', name: 'Gabriel Family Clinic (Bedok)' });
    expect(r.station).toMatchObject({ code: 'BDK-CONSULT-9', role: 'consult', desk_letter: null, room_id: null });

    const sha = createHash('sha256').update(Buffer.from(r.token, 'hex')).digest();
    const { rows } = await admin.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM clinic.staff_sessions WHERE station_id = $1',
      [r.station.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash.equals(sha)).toBe(true);
  });

  test('reception desks get the next free letter at their first sign-in and keep it', async () => {
    const first = await signIn(station, 'GFC-BDK', 'nurse', 'BDK-RECEPTION-2', 'reception');
    const second = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-3', 'reception');
    expect(reception.letter).toBe('A');
    expect(first.station.desk_letter).toBe('B');
    expect(second.station.desk_letter).toBe('C');
    const again = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-2', 'reception');
    expect(again.station).toMatchObject({ id: first.station.id, desk_letter: 'B' });
    const display = await signIn(station, 'GFC-BDK', 'reception', 'BDK-DISPLAY-1', 'display');
    expect(display.station.desk_letter).toBeNull();
    // Letters are per clinic: Toa Payoh's first desk is A as well.
    const tpy = await signIn(station, 'GFC-TPY', 'reception', 'TPY-RECEPTION-1', 'reception');
    expect(tpy.station.desk_letter).toBe('A');
  });

  test('concurrent first sign-ins of new desks never share a letter', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => stationClient(db.url)));
    try {
      const results = await Promise.all(
        clients.map((c, i) => signIn(c, 'GFC-TPY', 'reception', `TPY-RACE-${i}`, 'reception')),
      );
      const letters = results.map((r) => r.station.desk_letter);
      expect(new Set(letters).size).toBe(4);
      expect(letters.every((l) => /^[A-Z]$/.test(l ?? ''))).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('wrong password, unknown user and inactive user all get the same GC401', async () => {
    for (const [username, password] of [
      ['reception', 'wrong-password'],
      ['nobody', 'demo1234'],
    ]) {
      const e = await failure(signIn(station, 'GFC-BDK', username!, 'BDK-RECEPTION-1', 'reception', password));
      expect(e.code).toBe('GC401');
      expect(e.message).toBe('Invalid username or password.');
    }
    await admin.query(
      `UPDATE clinic.users SET is_active = false
        WHERE username = 'admin' AND clinic_id = (SELECT id FROM clinic.clinics WHERE code = 'GFC-TPY')`,
    );
    const e = await failure(signIn(station, 'GFC-TPY', 'admin', 'TPY-RECEPTION-1', 'reception'));
    expect([e.code, e.message]).toEqual(['GC401', 'Invalid username or password.']);
  });

  test('only a doctor may sign in at a consult station; unknown clinics and bad roles are refused', async () => {
    const e = await failure(signIn(station, 'GFC-BDK', 'reception', 'BDK-CONSULT-1', 'consult'));
    expect([e.code, e.message]).toEqual(['GC403', 'Only a doctor can sign in at a consult station.']);
    const unknown = await failure(signIn(station, 'GFC-XXX', 'reception', 'X-1', 'reception'));
    expect(unknown.code).toBe('GC404');
    const role = await failure(signIn(station, 'GFC-BDK', 'reception', 'X-1', 'kiosk' as 'display'));
    expect([role.code, role.column]).toEqual(['GC400', 'station_role']);
  });
});

describe('session context', () => {
  const noop = (token: string | null) => call(station, token, 'call_next', { room_id: rooms.R1!.id });

  test('a missing, malformed, revoked or expired token fails closed with GC401', async () => {
    expect((await failure(noop(null))).code).toBe('GC401');
    expect((await failure(noop('not-a-token'))).code).toBe('GC401');
    expect((await failure(noop('ab'.repeat(32)))).code).toBe('GC401');

    const revoked = await signIn(station, 'GFC-BDK', 'dr.kumar', 'BDK-CONSULT-3', 'consult');
    await admin.query('UPDATE clinic.staff_sessions SET revoked_at = now() WHERE station_id = $1', [revoked.station.id]);
    expect((await failure(noop(revoked.token))).code).toBe('GC401');

    const expired = await signIn(station, 'GFC-BDK', 'dr.kumar', 'BDK-CONSULT-4', 'consult');
    await admin.query(`UPDATE clinic.staff_sessions SET expires_at = now() - interval '1 second' WHERE station_id = $1`, [
      expired.station.id,
    ]);
    expect((await failure(noop(expired.token))).code).toBe('GC401');
  });

  test('current_session reports the verified actor, not anything the caller claims', async () => {
    await beginAs(station, drTan.token);
    const { rows } = await station.query('SELECT * FROM clinic.current_session()');
    await station.query('COMMIT');
    expect(rows[0]).toMatchObject({ role: 'doctor', doctor_id: drTan.doctorId });
  });
});

describe('idempotency by request key', () => {
  test('the same key and arguments replay the first answer without acting twice', async () => {
    const { args } = await newPatientArgs(admin, crypto);
    const key = randomUUID();
    const first = await call(station, reception.token, 'register_patient', args, key);
    const second = await call(station, reception.token, 'register_patient', args, key);
    expect(second).toEqual(first);
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM clinic.patients WHERE id = $1', [args.id]);
    expect(rows[0].n).toBe(1);
  });

  test('the same key with other arguments, or for another procedure, is GC422', async () => {
    const { args } = await newPatientArgs(admin, crypto);
    const key = randomUUID();
    await call(station, reception.token, 'register_patient', args, key);
    const changed = await failure(call(station, reception.token, 'register_patient', { ...args, full_name: 'X' }, key));
    expect([changed.code, changed.message]).toEqual(['GC422', 'This request key was already used for a different request.']);
    const other = await failure(call(station, reception.token, 'issue_ticket', args, key));
    expect(other.code).toBe('GC422');
  });

  test('a concurrent duplicate waits for the first and then replays its answer', async () => {
    await clearQueue();
    const patientId = await ordinaryPatient();
    const args = ticketArgs(patientId);
    const key = randomUUID();
    const other = await stationClient(db.url);
    try {
      await beginAs(station, reception.token, key);
      const first = await procIn(station, 'issue_ticket', args, key);
      let settled = false;
      const second = call(other, reception.token, 'issue_ticket', args, key).finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await station.query('COMMIT');
      expect(await second).toEqual(first);
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM clinic.queue_tickets WHERE patient_id = $1', [
        patientId,
      ]);
      expect(rows[0].n).toBe(1);
    } finally {
      await other.end();
    }
  });

  test('a failed call leaves no trace, so retrying the key runs it again', async () => {
    const { args } = await newPatientArgs(admin, crypto, { full_name: '' });
    const key = randomUUID();
    expect((await failure(call(station, reception.token, 'register_patient', args, key))).code).toBe('GC400');
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM clinic.request_log WHERE request_key = $1', [key]);
    expect(rows[0].n).toBe(0);
  });
});

describe('register_patient', () => {
  test('stores the encrypted NRIC, returns the row without it', async () => {
    const { nric, args } = await newPatientArgs(admin, crypto, {
      full_name: 'Tan Ah Kow',
      native_name: '陈亚狗',
      phone: '+65 9123 4567',
      chas_card: 'blue',
    });
    const { patient } = await call<{ patient: Row }>(station, reception.token, 'register_patient', args);
    expect(patient).toMatchObject({ id: args.id, full_name: 'Tan Ah Kow', native_name: '陈亚狗', chas_card: 'blue' });
    expect(patient).not.toHaveProperty('nric_enc');
    const { rows } = await admin.query<{ nric_enc: string }>('SELECT nric_enc FROM clinic.patients WHERE id = $1', [args.id]);
    expect(rows[0]!.nric_enc).not.toContain(nric);
    expect(await crypto.decrypt(rows[0]!.nric_enc)).toBe(nric);
  });

  test('a duplicate NRIC in the clinic is GC409 with the masked number', async () => {
    const { args } = await newPatientArgs(admin, crypto);
    await call(station, reception.token, 'register_patient', args);
    const e = await failure(call(station, reception.token, 'register_patient', { ...args, id: randomUUID() }));
    expect(e.code).toBe('GC409');
    expect(e.message).toBe(`A patient with NRIC ${args.nric_masked} is already registered.`);
  });

  test('the same NRIC may be registered at the other clinic', async () => {
    const { args } = await newPatientArgs(admin, crypto);
    await call(station, reception.token, 'register_patient', args);
    const tpy = await signIn(station, 'GFC-TPY', 'reception', 'TPY-RECEPTION-9', 'reception');
    const { patient } = await call<{ patient: Row }>(station, tpy.token, 'register_patient', { ...args, id: randomUUID() });
    expect(patient.clinic_id).toBe(tpy.clinic.id);
  });

  test.each([
    ['full_name', { full_name: '  ' }, 'Full name is required.'],
    ['date_of_birth', { date_of_birth: undefined }, 'Date of birth is required.'],
    ['date_of_birth', { date_of_birth: '2001-02-30' }, 'Date of birth must be a date (YYYY-MM-DD).'],
    ['gender', { gender: 'unknown' }, 'Gender must be male, female or other.'],
    ['nric_enc', { nric_enc: 'S1234567D' }, 'The NRIC/FIN must be sent encrypted.'],
    ['nric_masked', { nric_masked: 'S1234567D' }, 'The NRIC/FIN must be sent masked, like S****567D.'],
    ['id_type', { id_type: 'FIN' }, 'is an NRIC, not a FIN.'],
    ['email', { email: 'not-an-email' }, 'Email is not a valid address.'],
  ])('validates %s', async (field, override, message) => {
    const { args } = await newPatientArgs(admin, crypto, override);
    const e = await failure(call(station, reception.token, 'register_patient', args));
    expect(e.code).toBe('GC400');
    expect(e.column).toBe(field);
    expect(e.message).toContain(message);
  });

  test('doctors cannot register patients', async () => {
    const { args } = await newPatientArgs(admin, crypto);
    const e = await failure(call(station, drTan.token, 'register_patient', args));
    expect([e.code, e.message]).toEqual(['GC403', 'Only reception staff can register patients.']);
  });
});

describe('issue_ticket', () => {
  test('a walk-in joins the queue with normal priority, stamped by this desk', async () => {
    await clearQueue();
    const patientId = await ordinaryPatient();
    const issuedAt = new Date(Date.now() - 60_000).toISOString();
    const args = ticketArgs(patientId, { issued_at: issuedAt });
    const ticket = (await call<{ ticket: Row }>(station, reception.token, 'issue_ticket', args)).ticket;
    expect(ticket).toMatchObject({
      id: args.id,
      ticket_number: args.ticket_number,
      service_date: today,
      kind: 'walk_in',
      priority: 0,
      status: 'waiting',
      doctor_id: null,
      due_at: null,
      recall_count: 0,
    });
    expect(Date.parse(ticket.queued_at as string)).toBe(Date.parse(issuedAt));
    const { rows } = await admin.query(`SELECT id FROM clinic.stations WHERE code = 'BDK-RECEPTION-1'`);
    expect(ticket.issued_by_station_id).toBe(rows[0].id);
  });

  test('priority: 80 and over on the service date is elderly automatically, urgent beats it', async () => {
    await clearQueue();
    const [y, m, d] = today.split('-').map(Number) as [number, number, number];
    const eightyToday = `${y - 80}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    const tomorrow = new Date(Date.UTC(y - 80, m - 1, d + 1)).toISOString().slice(0, 10);
    const turns80Today = await registerPatient({ date_of_birth: eightyToday });
    const turns80Tomorrow = await registerPatient({ date_of_birth: tomorrow });
    const young = await registerPatient({ date_of_birth: '1990-01-01' });
    const urgentElder = await registerPatient({ date_of_birth: '1930-01-01' });
    expect((await issue(turns80Today)).priority).toBe(1);
    expect((await issue(turns80Tomorrow)).priority).toBe(0);
    expect((await issue(young, { urgent: true })).priority).toBe(2);
    expect((await issue(urgentElder, { urgent: true })).priority).toBe(2);
  });

  test('an issue time in the future is clamped to now', async () => {
    await clearQueue();
    const ticket = await issue(await ordinaryPatient(), { issued_at: new Date(Date.now() + 3600_000).toISOString() });
    expect(Date.parse(ticket.issued_at as string)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(ticket.queued_at).toBe(ticket.issued_at);
  });

  test('validates the number, the desk letter, the patient and the day', async () => {
    await clearQueue();
    const patientId = await ordinaryPatient();
    const mismatch = await failure(
      call(station, reception.token, 'issue_ticket', { ...ticketArgs(patientId), ticket_number: `${reception.letter}999` }),
    );
    expect([mismatch.code, mismatch.column]).toEqual(['GC400', 'ticket_number']);

    const otherDesk = await failure(
      call(station, reception.token, 'issue_ticket', { ...ticketArgs(patientId), desk_letter: 'Z', ticket_number: 'Z001', desk_seq: 1 }),
    );
    expect([otherDesk.code, otherDesk.column]).toEqual(['GC400', 'desk_letter']);
    expect(otherDesk.message).toBe(`Ticket Z001 uses desk letter Z, but this desk is ${reception.letter}.`);

    const unknown = await failure(call(station, reception.token, 'issue_ticket', ticketArgs(randomUUID())));
    expect([unknown.code, unknown.column]).toEqual(['GC404', 'patient_id']);

    const future = await failure(call(station, reception.token, 'issue_ticket', ticketArgs(patientId, { service_date: '2999-01-01' })));
    expect([future.code, future.column]).toEqual(['GC400', 'service_date']);

    const missing = await failure(call(station, reception.token, 'issue_ticket', { ...ticketArgs(patientId), issued_at: undefined }));
    expect([missing.code, missing.column]).toEqual(['GC400', 'issued_at']);

    const byDoctor = await failure(call(station, drTan.token, 'issue_ticket', ticketArgs(patientId)));
    expect(byDoctor.code).toBe('GC403');
  });

  test('one ticket per patient in the line, and each number once a day', async () => {
    await clearQueue();
    const patientId = await ordinaryPatient();
    const first = await issue(patientId);
    const again = await failure(call(station, reception.token, 'issue_ticket', ticketArgs(patientId)));
    expect([again.code, again.message]).toEqual([
      'GC409',
      `This patient already has ticket ${first.ticket_number as string} in today's queue.`,
    ]);

    const reused = await failure(
      call(station, reception.token, 'issue_ticket', {
        ...ticketArgs(await ordinaryPatient()),
        ticket_number: first.ticket_number,
        desk_seq: first.desk_seq,
      }),
    );
    expect([reused.code, reused.message]).toEqual(['GC409', `Ticket ${first.ticket_number as string} has already been issued today.`]);
  });

  test("checking in today's appointment queues it for that doctor, due at its start", async () => {
    await clearQueue();
    // Whenever the suite runs, today's first appointments are then open for check-in (the window is its own test).
    await setCheckInWindow(720);
    const { rows } = await admin.query<{ id: string; patient_id: string; doctor_id: string; starts_at: Date; appointment_number: string }>(
      `SELECT a.id, a.patient_id, a.doctor_id, a.starts_at, a.appointment_number
         FROM clinic.appointments a JOIN clinic.clinics c ON c.id = a.clinic_id
        WHERE c.code = 'GFC-BDK' AND a.status IN ('scheduled', 'confirmed')
          AND (a.starts_at AT TIME ZONE 'Asia/Singapore')::date = $1::date
        ORDER BY a.starts_at
        LIMIT 2`,
      [today],
    );
    const [appt, other] = rows;
    const ticket = await issue(appt!.patient_id, { appointment_id: appt!.id });
    expect(ticket).toMatchObject({ kind: 'appointment', appointment_id: appt!.id, doctor_id: appt!.doctor_id });
    expect(Date.parse(ticket.due_at as string)).toBe(appt!.starts_at.getTime());
    const status = await admin.query('SELECT status FROM clinic.appointments WHERE id = $1', [appt!.id]);
    expect(status.rows[0].status).toBe('checked_in');

    await admin.query(`UPDATE clinic.queue_tickets SET status = 'completed' WHERE id = $1`, [ticket.id]);
    const twice = await failure(call(station, reception.token, 'issue_ticket', ticketArgs(appt!.patient_id, { appointment_id: appt!.id })));
    expect([twice.code, twice.message]).toEqual(['GC409', `Appointment ${appt!.appointment_number} is already checked in.`]);

    const wrongPatient = await failure(
      call(station, reception.token, 'issue_ticket', ticketArgs(await ordinaryPatient(), { appointment_id: other!.id })),
    );
    expect(wrongPatient.code).toBe('GC400');

    const { rows: future } = await admin.query<{ id: string; patient_id: string }>(
      `SELECT id, patient_id FROM clinic.appointments
        WHERE (starts_at AT TIME ZONE 'Asia/Singapore')::date > $1::date AND status IN ('scheduled', 'confirmed') LIMIT 1`,
      [today],
    );
    const notToday = await failure(
      call(station, reception.token, 'issue_ticket', ticketArgs(future[0]!.patient_id, { appointment_id: future[0]!.id })),
    );
    expect(notToday.code).toBe('GC409');
    expect(notToday.message).toMatch(/^Appointment \S+ is on \d{1,2} \w{3} \d{4}, not on \d{1,2} \w{3} \d{4}\.$/);
  });

  async function setCheckInWindow(minutes: number | null): Promise<void> {
    if (minutes === null) {
      await admin.query(`DELETE FROM clinic.system_settings WHERE key = 'queue.check_in_opens_minutes' AND clinic_id = (SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK')`);
      return;
    }
    await admin.query(
      `INSERT INTO clinic.system_settings (clinic_id, key, value) SELECT id, 'queue.check_in_opens_minutes', $1::jsonb FROM clinic.clinics WHERE code = 'GFC-BDK'
       ON CONFLICT (clinic_id, key) DO UPDATE SET value = excluded.value`,
      [JSON.stringify(minutes)],
    );
  }

  // Every appointment below is at most 71 minutes ahead; in the Singapore day's last 71 minutes it would be
  // tomorrow's, refused by another rule, so the test is skipped then rather than fail or pass without checking.
  const windowTestFits =
    new Date(Date.now() + 72 * 60_000).toLocaleDateString('en-CA', { timeZone: 'Asia/Singapore' }) ===
    new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Singapore' });

  test.skipIf(!windowTestFits)('an appointment is checked in from the clinic\'s window before it, judged by when the desk issued the ticket', async () => {
    await clearQueue();
    await setCheckInWindow(null);
    const { rows: [doctor] } = await admin.query<{ id: string }>(
      `SELECT d.id FROM clinic.doctors d JOIN clinic.clinics c ON c.id = d.clinic_id WHERE c.code = 'GFC-BDK' ORDER BY d.id LIMIT 1`,
    );
    // Short appointments at odd seconds, far from the seeded quarter-hour slots.
    const book = async (minutesFromNow: number, number: string) => {
      const patientId = await ordinaryPatient();
      const { rows: [row] } = await admin.query<{ id: string; starts_at: Date }>(
        `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
         SELECT clinic_id, gen_random_uuid(), $1, id, $2, date_trunc('minute', now()) + make_interval(mins => $3) + interval '7 seconds',
                date_trunc('minute', now()) + make_interval(mins => $3) + interval '11 seconds'
           FROM clinic.patients WHERE id = $4 RETURNING id, starts_at`,
        [number, doctor!.id, minutesFromNow, patientId],
      );
      return { id: row!.id, startsAt: row!.starts_at, patientId };
    };
    const hhmm = (at: Date) => at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Singapore' });

    const later = await book(70, 'T-WINDOW-1');
    const early = await failure(call(station, reception.token, 'issue_ticket', ticketArgs(later.patientId, { appointment_id: later.id })));
    const opens = new Date(later.startsAt.getTime() - 60 * 60_000);
    expect([early.code, early.message]).toEqual(['GC409', `Check-in for the ${hhmm(later.startsAt)} appointment opens at ${hhmm(opens)}, 60 minutes before it.`]);
    // A desk cannot claim to have issued it later than now.
    const claimed = await failure(
      call(station, reception.token, 'issue_ticket', ticketArgs(later.patientId, { appointment_id: later.id, issued_at: new Date(Date.now() + 65 * 60_000).toISOString() })),
    );
    expect(claimed.code).toBe('GC409');
    const untouched = await admin.query('SELECT status FROM clinic.appointments WHERE id = $1', [later.id]);
    expect(untouched.rows[0].status).toBe('scheduled');

    // The clinic widens its window: the same check-in goes through.
    await setCheckInWindow(240);
    expect(await issue(later.patientId, { appointment_id: later.id })).toMatchObject({ kind: 'appointment', appointment_id: later.id });

    // Issued offline inside the window, synced later: it lands. Issued before the window opened: refused.
    await setCheckInWindow(60);
    const soon = await book(50, 'T-WINDOW-2');
    expect(await issue(soon.patientId, { appointment_id: soon.id, issued_at: new Date(Date.now() - 5 * 60_000).toISOString() })).toMatchObject({ appointment_id: soon.id });
    const tooSoon = await book(51, 'T-WINDOW-3');
    const beforeWindow = await failure(
      call(station, reception.token, 'issue_ticket', ticketArgs(tooSoon.patientId, { appointment_id: tooSoon.id, issued_at: new Date(Date.now() - 20 * 60_000).toISOString() })),
    );
    expect(beforeWindow.code).toBe('GC409');

    // The setting itself is checked at the centre.
    await expect(setCheckInWindow(721)).rejects.toThrow(/from 0 to 720/);
    await setCheckInWindow(null);
  });
});

describe('calling the queue', () => {
  test('call_next calls the first in line to the room and records the call; nobody waiting gives null', async () => {
    await clearQueue();
    const ticket = await issue(await ordinaryPatient());
    const result = await call<{ ticket: Row; call: Row }>(station, drTan.token, 'call_next', { room_id: rooms.R1!.id });
    expect(result.ticket).toMatchObject({
      id: ticket.id,
      status: 'called',
      room_id: rooms.R1!.id,
      doctor_id: drTan.doctorId,
      called_by_doctor_id: drTan.doctorId,
    });
    expect(result.call).toMatchObject({ ticket_id: ticket.id, ticket_number: ticket.ticket_number, kind: 'call', room_id: rooms.R1!.id });
    expect(await call(station, drTan.token, 'call_next', { room_id: rooms.R1!.id })).toEqual({ ticket: null });

    const unknownRoom = await failure(call(station, drTan.token, 'call_next', { room_id: randomUUID() }));
    expect(unknownRoom.code).toBe('GC404');
    const notDoctor = await failure(call(station, reception.token, 'call_next', { room_id: rooms.R1!.id }));
    expect(notDoctor.code).toBe('GC403');
  });

  test('recall, skip, no-show and complete follow the ticket life cycle', async () => {
    await clearQueue();
    const a = await issue(await ordinaryPatient());
    const b = await issue(await ordinaryPatient());
    const byTicket = (ticketId: unknown) => ({ ticket_id: ticketId });

    await call(station, drTan.token, 'call_next', { room_id: rooms.R2!.id });
    const recalled = await call<{ ticket: Row; call: Row }>(station, drTan.token, 'recall_ticket', byTicket(a.id));
    expect(recalled.ticket.recall_count).toBe(1);
    expect(recalled.call).toMatchObject({ kind: 'recall', room_id: rooms.R2!.id, ticket_number: a.ticket_number });

    const notHis = await failure(call(station, drSiti.token, 'complete_ticket', byTicket(a.id)));
    expect([notHis.code, notHis.message]).toEqual(['GC403', `Ticket ${a.ticket_number as string} was called to Room 2 by Dr Tan Wei Ming.`]);

    const skipped = (await call<{ ticket: Row }>(station, drTan.token, 'skip_ticket', byTicket(a.id))).ticket;
    expect(skipped).toMatchObject({ status: 'waiting', room_id: null, called_at: null, doctor_id: null });
    expect(Date.parse(skipped.queued_at as string)).toBeGreaterThan(Date.parse(b.queued_at as string));

    // Skipped to the back: b is next, then a again.
    const next = await call<{ ticket: Row }>(station, drTan.token, 'call_next', { room_id: rooms.R2!.id });
    expect(next.ticket.id).toBe(b.id);
    const completed = (await call<{ ticket: Row }>(station, drTan.token, 'complete_ticket', byTicket(b.id))).ticket;
    expect(completed.status).toBe('completed');
    expect(completed.completed_at).not.toBeNull();
    const again = await failure(call(station, drTan.token, 'complete_ticket', byTicket(b.id)));
    expect([again.code, again.message]).toEqual([
      'GC409',
      `Ticket ${b.ticket_number as string} is already completed, so it cannot be completed.`,
    ]);

    const waiting = await failure(call(station, drTan.token, 'recall_ticket', byTicket(a.id)));
    expect([waiting.code, waiting.message]).toEqual([
      'GC409',
      `Ticket ${a.ticket_number as string} is still waiting, so it cannot be recalled.`,
    ]);
    expect((await call<{ ticket: Row }>(station, drTan.token, 'call_next', { room_id: rooms.R2!.id })).ticket.id).toBe(a.id);
    expect((await call<{ ticket: Row }>(station, drTan.token, 'no_show_ticket', byTicket(a.id))).ticket.status).toBe('no_show');

    const calls = await admin.query(`SELECT kind FROM clinic.queue_calls WHERE ticket_id = $1 ORDER BY called_at`, [a.id]);
    expect(calls.rows.map((r) => r.kind)).toEqual(['call', 'recall', 'call']);
  });

  test('a skipped 80+ or urgent patient goes behind those already waiting, not straight back to the doctor', async () => {
    await clearQueue();
    const elderly = await issue(await registerPatient({ date_of_birth: '1940-01-05' }));
    const urgent = await issue(await ordinaryPatient(), { urgent: true });
    const normal = await issue(await ordinaryPatient());
    const nextCall = async () => (await call<{ ticket: Row }>(station, drTan.token, 'call_next', { room_id: rooms.R1!.id })).ticket;
    expect((await nextCall()).id).toBe(urgent.id);
    await call(station, drTan.token, 'skip_ticket', { ticket_id: urgent.id });
    expect((await nextCall()).id).toBe(elderly.id);
    const skipped = (await call<{ ticket: Row }>(station, drTan.token, 'skip_ticket', { ticket_id: elderly.id })).ticket;
    expect(skipped.skipped_at).not.toBeNull();
    expect(skipped.priority).toBe(1);
    const later = await issue(await ordinaryPatient());
    expect([(await nextCall()).id, (await nextCall()).id, (await nextCall()).id, (await nextCall()).id]).toEqual([
      normal.id,
      urgent.id,
      elderly.id,
      later.id,
    ]);
  });

  test('a called ticket belongs to its room: the next doctor there finishes it, others may not', async () => {
    await clearQueue();
    const a = await issue(await ordinaryPatient());
    await call(station, drTan.token, 'call_next', { room_id: rooms.R1!.id });
    const kumarElsewhere = await signIn(station, 'GFC-BDK', 'dr.kumar', 'BDK-CONSULT-3', 'consult');
    const refused = await failure(call(station, kumarElsewhere.token, 'complete_ticket', { ticket_id: a.id }));
    expect([refused.code, refused.message]).toEqual([
      'GC403',
      `Ticket ${a.ticket_number as string} was called to ${rooms.R1!.name} by Dr Tan Wei Ming.`,
    ]);
    // dr.kumar takes over the room dr.tan left: BDK-CONSULT-1 is Room 1's station.
    await admin.query(`UPDATE clinic.stations SET room_id = $1 WHERE code = 'BDK-CONSULT-1'`, [rooms.R1!.id]);
    const kumarInRoom = await signIn(station, 'GFC-BDK', 'dr.kumar', 'BDK-CONSULT-1', 'consult');
    const done = (await call<{ ticket: Row }>(station, kumarInRoom.token, 'complete_ticket', { ticket_id: a.id })).ticket;
    expect(done.status).toBe('completed');
  });

  test('reception hands a called ticket back keeping its place, cancels with a reason, and reinstates', async () => {
    await clearQueue();
    const first = await issue(await ordinaryPatient());
    const second = await issue(await ordinaryPatient());
    await call(station, drTan.token, 'call_next', { room_id: rooms.R1!.id });
    const notReception = await failure(call(station, drTan.token, 'return_ticket', { ticket_id: first.id }));
    expect([notReception.code, notReception.message]).toEqual(['GC403', 'Only reception staff can hand a ticket back to the queue.']);
    const back = (await call<{ ticket: Row }>(station, reception.token, 'return_ticket', { ticket_id: first.id })).ticket;
    expect(back).toMatchObject({ status: 'waiting', room_id: null, called_by_doctor_id: null, queued_at: first.queued_at });
    expect((await call<{ ticket: Row }>(station, drTan.token, 'call_next', { room_id: rooms.R1!.id })).ticket.id).toBe(first.id);

    const noReason = await failure(call(station, reception.token, 'cancel_ticket', { ticket_id: second.id, reason: '  ' }));
    expect([noReason.code, noReason.column]).toEqual(['GC400', 'reason']);
    const cancelled = (await call<{ ticket: Row }>(station, reception.token, 'cancel_ticket', { ticket_id: second.id, reason: 'Patient left' })).ticket;
    expect(cancelled).toMatchObject({ status: 'cancelled', cancel_reason: 'Patient left' });
    const twice = await failure(call(station, reception.token, 'cancel_ticket', { ticket_id: second.id, reason: 'again' }));
    expect([twice.code, twice.message]).toEqual(['GC409', `Ticket ${second.ticket_number as string} is cancelled, so it cannot be cancelled.`]);

    await call(station, drTan.token, 'no_show_ticket', { ticket_id: first.id });
    const reinstated = (await call<{ ticket: Row }>(station, reception.token, 'reinstate_ticket', { ticket_id: first.id })).ticket;
    expect(reinstated.status).toBe('waiting');
    expect(reinstated.skipped_at).not.toBeNull();
    expect(Date.parse(reinstated.queued_at as string)).toBeGreaterThan(Date.parse(first.queued_at as string));

    const audit = await admin.query<{ actor_role: string; station_code: string; status: string; reason: string | null }>(
      `SELECT l.actor_role::text, st.code AS station_code, l.new_row ->> 'status' AS status, l.new_row ->> 'cancel_reason' AS reason
         FROM audit.log l JOIN clinic.stations st ON st.id = l.station_id
        WHERE l.table_name = 'queue_tickets' AND l.row_id = $1 AND l.op = 'U' ORDER BY l.id`,
      [second.id],
    );
    expect(audit.rows).toEqual([{ actor_role: 'receptionist', station_code: 'BDK-RECEPTION-1', status: 'cancelled', reason: 'Patient left' }]);
  });

  test('reception changes priority and assigns a doctor; a walk-in is linked to its appointment', async () => {
    await clearQueue();
    const patientId = await ordinaryPatient();
    const walkIn = await issue(patientId);
    const urgentNow = (await call<{ ticket: Row }>(station, reception.token, 'set_ticket_priority', { ticket_id: walkIn.id, priority: 2 })).ticket;
    expect(urgentNow.priority).toBe(2);
    const badPriority = await failure(call(station, reception.token, 'set_ticket_priority', { ticket_id: walkIn.id, priority: 7 }));
    expect([badPriority.code, badPriority.column]).toEqual(['GC400', 'priority']);
    const forSiti = (await call<{ ticket: Row }>(station, reception.token, 'assign_ticket', { ticket_id: walkIn.id, doctor_id: drSiti.doctorId })).ticket;
    expect(forSiti.doctor_id).toBe(drSiti.doctorId);
    expect((await call<{ ticket: Row | null }>(station, drTan.token, 'call_next', { room_id: rooms.R1!.id })).ticket).toBeNull();
    await call(station, reception.token, 'assign_ticket', { ticket_id: walkIn.id, doctor_id: null });

    await admin.query(
      `UPDATE clinic.appointments SET status = 'cancelled' WHERE doctor_id = $1 AND starts_at::date >= now()::date - 1`,
      [drTan.doctorId],
    );
    const appointmentId = randomUUID();
    const startsAt = new Date(Date.now() + 2 * 60_000);
    await admin.query(
      `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
       SELECT clinic_id, $1, 'T-LINK-1', id, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes'
         FROM clinic.patients WHERE id = $4`,
      [appointmentId, drTan.doctorId, startsAt.toISOString(), patientId],
    );
    const twoTickets = await failure(issue(patientId, { appointment_id: appointmentId }));
    expect(twoTickets.code).toBe('GC409');
    const linked = (await call<{ ticket: Row }>(station, reception.token, 'link_appointment', { ticket_id: walkIn.id, appointment_id: appointmentId })).ticket;
    expect(linked).toMatchObject({ kind: 'appointment', appointment_id: appointmentId, doctor_id: drTan.doctorId });
    expect(Date.parse(linked.due_at as string)).toBe(startsAt.getTime());
    const appt = await admin.query('SELECT status FROM clinic.appointments WHERE id = $1', [appointmentId]);
    expect(appt.rows[0].status).toBe('checked_in');
    const again = await failure(call(station, reception.token, 'link_appointment', { ticket_id: walkIn.id, appointment_id: appointmentId }));
    expect(again.code).toBe('GC409');
  });

  test('call_ticket replays an offline call, and refuses a ticket someone else called meanwhile', async () => {
    await clearQueue();
    const ticket = await issue(await ordinaryPatient());
    const result = await call<{ ticket: Row; call: Row }>(station, drSiti.token, 'call_ticket', {
      ticket_id: ticket.id,
      room_id: rooms.R2!.id,
    });
    expect(result.ticket).toMatchObject({ status: 'called', doctor_id: drSiti.doctorId, room_id: rooms.R2!.id });
    const late = await failure(call(station, drTan.token, 'call_ticket', { ticket_id: ticket.id, room_id: rooms.R1!.id }));
    expect([late.code, late.message]).toEqual(['GC409', `Ticket ${ticket.ticket_number as string} was already called to Room 2.`]);
  });

  test('call order is the one of src/shared/queue-order.ts: priority, due appointments, first come, number', async () => {
    await clearQueue();
    // Free dr.tan's and dr.siti's day so appointments can be placed at any time.
    await admin.query(
      `UPDATE clinic.appointments SET status = 'cancelled' WHERE doctor_id = ANY($1::uuid[]) AND starts_at::date >= now()::date - 1`,
      [[drTan.doctorId, drSiti.doctorId]],
    );
    // Offsets in units of 5 s keep every appointment on today's date except within minutes of midnight.
    const now = Date.now();
    const at = (units: number) => new Date(now + units * 5_000).toISOString();
    const plan: { queuedAt: number; urgent?: boolean; elderly?: boolean; dueAt?: number; doctor?: 'tan' | 'siti'; skipped?: boolean }[] = [
      { queuedAt: -50 },
      { queuedAt: -40, urgent: true },
      { queuedAt: -45, elderly: true },
      { queuedAt: -30, dueAt: -5 }, // appointment already due
      { queuedAt: -35, dueAt: -20 }, // due earlier
      { queuedAt: -60, dueAt: 90 }, // not due yet: an ordinary arrival
      { queuedAt: -20 },
      { queuedAt: -20 }, // same time as the previous: ticket number decides
      { queuedAt: -10, urgent: true },
      { queuedAt: -55, dueAt: -15, doctor: 'siti' }, // dr.siti's appointment: never called by dr.tan
      { queuedAt: -25, elderly: true, dueAt: -1 },
      { queuedAt: -58, urgent: true, skipped: true }, // skipped: behind everyone who was waiting
      { queuedAt: -52, elderly: true, dueAt: -2, skipped: true }, // a skip also ends a due appointment's precedence
    ];
    const candidates: (QueueCandidate & { id: string })[] = [];
    for (const [i, p] of plan.entries()) {
      const patientId = p.elderly ? await registerPatient({ date_of_birth: '1935-03-03' }) : await ordinaryPatient();
      let appointmentId: string | undefined;
      if (p.dueAt !== undefined) {
        appointmentId = randomUUID();
        await admin.query(
          `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
           SELECT clinic_id, $1, $2, id, $3, $4::timestamptz, $4::timestamptz + interval '4 seconds'
             FROM clinic.patients WHERE id = $5`,
          [appointmentId, `T-ORDER-${i}`, p.doctor === 'siti' ? drSiti.doctorId : drTan.doctorId, at(p.dueAt), patientId],
        );
      }
      const ticket = await issue(patientId, {
        urgent: p.urgent ?? false,
        issued_at: at(p.queuedAt),
        ...(appointmentId ? { appointment_id: appointmentId } : {}),
      });
      candidates.push({
        id: ticket.id as string,
        ticketNumber: ticket.ticket_number as string,
        priority: ticket.priority as 0 | 1 | 2,
        status: 'waiting',
        doctorId: ticket.doctor_id as string | null,
        dueAt: ticket.due_at as string | null,
        queuedAt: ticket.queued_at as string,
        skipped: p.skipped ?? false,
      });
      if (p.skipped) await admin.query('UPDATE clinic.queue_tickets SET skipped_at = queued_at WHERE id = $1', [ticket.id]);
    }
    // Ties on queued_at must be broken by the ticket number, so give two tickets the very same instant.
    await admin.query('UPDATE clinic.queue_tickets SET queued_at = $2 WHERE id = $1', [candidates[7]!.id, candidates[6]!.queuedAt]);
    candidates[7]!.queuedAt = candidates[6]!.queuedAt;

    const expected = orderQueue(candidates, { doctorId: drTan.doctorId, now: new Date() }).map((c) => c.ticketNumber);
    const called: string[] = [];
    for (;;) {
      const { ticket } = await call<{ ticket: Row | null }>(station, drTan.token, 'call_next', { room_id: rooms.R1!.id });
      if (!ticket) break;
      called.push(ticket.ticket_number as string);
      await call(station, drTan.token, 'complete_ticket', { ticket_id: ticket.id });
    }
    expect(called).toEqual(expected);
    expect(called).toHaveLength(plan.length - 1);
    // Spot-check the rule itself, not only agreement with the TS comparator.
    const n = (i: number) => candidates[i]!.ticketNumber;
    expect(called.slice(0, 2)).toEqual([n(1), n(8)]);
    expect(called.slice(2, 4)).toEqual([n(10), n(2)]);
    expect(called.slice(4, 6)).toEqual([n(4), n(3)]);
    expect(called.slice(6)).toEqual([n(5), n(11), n(12), n(0), n(6), n(7)]);
  });
});

describe('a revoked station', () => {
  test('its open session is refused with the revocation named, not as an expired session', async () => {
    const lost = await signIn(station, 'GFC-BDK', 'reception', 'PROC-LOST-DESK', 'reception');
    await admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'PROC-LOST-DESK', 'Stolen from the front desk')`);
    const refused = await failure(call(station, lost.token, 'issue_ticket', {}));
    expect([refused.code, refused.message]).toEqual(['GC401', 'This station was revoked at the centre and must be enrolled again.']);
  });
});
