import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../src/main/station';
import { ApiError, type Ticket } from '../../src/shared/contract';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';

/*
 * Issue 11, items 1, 2, 3 and 5 at real stations through the gateway: what a receptionist and two doctors see when a
 * patient does not answer, a doctor signs out with a patient called, a walk-in turns out to have an appointment, and
 * reception corrects the line.
 */
// The appointment is booked 3 minutes ahead; in the last minutes of the Singapore day that is tomorrow, so the
// test says it is skipped then rather than fail.
const sgDay = (at: Date) => at.toLocaleDateString('en-CA', { timeZone: 'Asia/Singapore' });
const appointmentFitsToday = sgDay(new Date(Date.now() + (3 + 15) * 60_000)) === sgDay(new Date());

describe('queue corrections at the desk and in the consult rooms', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;
  let desk: StationCore;
  let room1: StationCore;

  const refusal = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as ApiError);
  const settled = async (station: StationCore) => waitFor(async () => (await station.handle('sync.status', {})).pending === 0, 'the outbox drained');
  const centreTicket = async (id: string) => (await admin.query('SELECT * FROM clinic.queue_tickets WHERE id = $1', [id])).rows[0];

  async function patients(n: number, olderThan = 20, youngerThan = 70): Promise<string[]> {
    const { rows } = await admin.query<{ id: string }>(
      `SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
        WHERE c.code = 'GFC-BDK' AND p.date_of_birth BETWEEN now() - make_interval(years => $2) AND now() - make_interval(years => $1)
          AND NOT EXISTS (SELECT 1 FROM clinic.queue_tickets t WHERE t.patient_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM clinic.appointments a WHERE a.patient_id = p.id AND clinic.clinic_day(a.starts_at) = clinic.clinic_day(now()))
        ORDER BY p.id LIMIT $3`,
      [olderThan, youngerThan, n],
    );
    if (rows.length < n) throw new Error(`only ${rows.length} patients fit`);
    return rows.map((r) => r.id);
  }

  async function clearQueue(): Promise<void> {
    await admin.query(`UPDATE clinic.queue_tickets SET status = 'cancelled' WHERE status IN ('waiting', 'called')`);
    for (const station of [desk, room1]) {
      await station.sync.requestSync();
      await waitFor(async () => (await station.handle('queue.today', {})).every((t) => t.status !== 'waiting' && t.status !== 'called'), 'an empty line');
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    admin = new pg.Client(db.url);
    await admin.connect();
    desk = await startStation({ central: centre, role: 'reception', code: 'FIX-DESK' });
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    room1 = await startStation({ central: centre, role: 'consult', code: 'FIX-ROOM-1', roomCode: 'R1' });
    await room1.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
  });

  afterAll(async () => {
    await room1?.stop();
    await desk?.stop();
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  it('a skipped 85-year-old is not called straight back, and reception sees where the ticket went', async () => {
    await clearQueue();
    const [elderlyId] = await patients(1, 85, 100);
    const [a, b] = await patients(2);
    const elderly = await desk.handle('queue.issueTicket', { patientId: elderlyId! });
    const first = await desk.handle('queue.issueTicket', { patientId: a! });
    const second = await desk.handle('queue.issueTicket', { patientId: b! });
    expect(elderly.priority).toBe(1);
    await settled(desk);

    expect((await room1.handle('queue.callNext', {}))?.id).toBe(elderly.id);
    const skipped = await room1.handle('queue.skip', { ticketId: elderly.id });
    expect(skipped).toMatchObject({ status: 'waiting', skipped: true, priority: 1 });
    await settled(room1);
    expect((await room1.handle('queue.callNext', {}))?.id).toBe(first.id);

    await desk.sync.requestSync();
    const line = await waitFor(async () => {
      const today = await desk.handle('queue.today', {});
      return today.find((t) => t.id === elderly.id)?.skipped ? today : null;
    }, 'the skip at the desk');
    const waiting = line.filter((t) => t.status === 'waiting').map((t) => t.id);
    expect(waiting).toEqual([second.id, elderly.id]);
    expect(line[0]).toMatchObject({ id: first.id, status: 'called', roomName: 'Room 1', doctorName: 'Dr Tan Wei Ming' });
  });

  it('a called ticket stays with its room: the next doctor there finishes it, or reception hands it back', async () => {
    await clearQueue();
    const [a, b] = await patients(2);
    const first = await desk.handle('queue.issueTicket', { patientId: a! });
    const second = await desk.handle('queue.issueTicket', { patientId: b! });
    await settled(desk);
    expect((await room1.handle('queue.callNext', {}))?.id).toBe(first.id);
    await room1.handle('session.signOut', {});

    await room1.handle('session.signIn', { username: 'dr.kumar', password: 'demo1234' });
    const mine = await room1.handle('queue.mine', {});
    expect(mine.current?.id).toBe(first.id);
    expect((await room1.handle('queue.complete', { ticketId: first.id })).status).toBe('completed');
    await settled(room1);
    expect((await centreTicket(first.id)).status).toBe('completed');

    expect((await room1.handle('queue.callNext', {}))?.id).toBe(second.id);
    await settled(room1);
    await desk.sync.requestSync();
    await waitFor(async () => (await desk.handle('queue.today', {})).find((t) => t.id === second.id)?.status === 'called', 'the call at the desk');
    const back = await desk.handle('queue.returnToQueue', { ticketId: second.id });
    expect(back).toMatchObject({ status: 'waiting', roomId: null, queuedAt: second.queuedAt });
    await settled(desk);
    expect(await centreTicket(second.id)).toMatchObject({ status: 'waiting', room_id: null });
    await room1.handle('session.signOut', {});
    await room1.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
  });

  it.skipIf(!appointmentFitsToday)('checking in the appointment of a patient who already holds a walk-in ticket links the two', async () => {
    await clearQueue();
    const [patientId] = await patients(1);
    const { rows: [doctor] } = await admin.query<{ id: string }>(`SELECT d.id FROM clinic.doctors d JOIN clinic.users u ON u.id = d.user_id WHERE u.username = 'dr.tan'`);
    const startsAt = new Date(Date.now() + 3 * 60_000);
    const { rows: [appointment] } = await admin.query<{ id: string }>(
      `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
       SELECT clinic_id, gen_random_uuid(), 'T-FIX-LINK', id, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes'
         FROM clinic.patients WHERE id = $1 RETURNING id`,
      [patientId, doctor!.id, startsAt.toISOString()],
    );
    await desk.sync.requestSync();
    await waitFor(async () => (await desk.handle('appointments.today', {})).some((a) => a.id === appointment!.id), 'the appointment at the desk');

    const walkIn = await desk.handle('queue.issueTicket', { patientId: patientId! });
    expect(walkIn.kind).toBe('walk_in');
    const linked = await desk.handle('queue.issueTicket', { patientId: patientId!, appointmentId: appointment!.id });
    expect(linked).toMatchObject({ id: walkIn.id, ticketNumber: walkIn.ticketNumber, kind: 'appointment', doctorId: doctor!.id });
    await settled(desk);
    expect(await centreTicket(walkIn.id)).toMatchObject({ kind: 'appointment', appointment_id: appointment!.id });
    const { rows } = await admin.query('SELECT status FROM clinic.appointments WHERE id = $1', [appointment!.id]);
    expect(rows).toEqual([{ status: 'checked_in' }]);
  });

  it('reception cancels, reprioritises, assigns and reinstates, each at the centre with who did it', async () => {
    await clearQueue();
    const [a, b] = await patients(2);
    const one = await desk.handle('queue.issueTicket', { patientId: a! });
    const two = await desk.handle('queue.issueTicket', { patientId: b! });

    const noReason = await refusal(desk.handle('queue.cancel', { ticketId: one.id, reason: '   ' }));
    expect([noReason?.code, noReason?.message]).toEqual(['validation', 'Say why the ticket is cancelled.']);
    expect((await desk.handle('queue.setPriority', { ticketId: two.id, priority: 2 })).priority).toBe(2);
    const [doctor] = (await desk.handle('clinic.doctors', {})).filter((d) => d.fullName === 'Dr Siti Hajar binte Osman');
    expect(doctor).toBeDefined();
    expect(await desk.handle('queue.assign', { ticketId: two.id, doctorId: doctor!.id })).toMatchObject({ doctorId: doctor!.id, doctorName: doctor!.fullName });
    const cancelled = await desk.handle('queue.cancel', { ticketId: one.id, reason: 'Left before being seen' });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'Left before being seen' });
    const cancelledAgain = await refusal(desk.handle('queue.cancel', { ticketId: one.id, reason: 'again' }));
    expect(cancelledAgain?.message).toBe(`Ticket ${one.ticketNumber} is cancelled, so it cannot be cancelled.`);
    await settled(desk);

    expect(await centreTicket(two.id)).toMatchObject({ priority: 2, doctor_id: doctor!.id });
    expect(await centreTicket(one.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'Left before being seen' });
    // Dr Tan may not call a ticket that waits for Dr Siti.
    expect(await room1.handle('queue.callNext', {})).toBeNull();

    const reinstated = await desk.handle('queue.reinstate', { ticketId: one.id });
    expect(reinstated).toMatchObject({ status: 'waiting', skipped: true, cancelReason: null });
    await settled(desk);
    const { rows: audit } = await admin.query<{ procedure: string | null; station: string }>(
      `SELECT l.new_row ->> 'status' AS status, st.code AS station FROM audit.log l JOIN clinic.stations st ON st.id = l.station_id
        WHERE l.table_name = 'queue_tickets' AND l.row_id = $1 AND l.op = 'U' ORDER BY l.id`,
      [one.id],
    );
    expect(audit).toEqual([
      { status: 'cancelled', station: 'FIX-DESK' },
      { status: 'waiting', station: 'FIX-DESK' },
    ]);
    const attention = await desk.handle('sync.attention', {});
    expect(attention).toEqual([]);
    const line: Ticket[] = await desk.handle('queue.today', {});
    expect(line.filter((t) => t.status === 'waiting').map((t) => t.ticketNumber)).toEqual([two.ticketNumber, one.ticketNumber]);
  });

  it('the clinic manager sets when check-in opens; reception may read it but not change it', async () => {
    expect(await desk.handle('queue.checkInWindow', {})).toEqual({ minutes: 60, canEdit: false });
    const notManager = await refusal(desk.handle('queue.setCheckInWindow', { minutes: 90 }));
    expect(notManager?.code).toBe('forbidden');
    await desk.handle('session.signOut', {});
    await desk.handle('session.signIn', { username: 'admin', password: 'demo1234' });
    const tooEarly = await refusal(desk.handle('queue.setCheckInWindow', { minutes: 721 }));
    expect([tooEarly?.code, tooEarly?.message]).toEqual(['validation', 'Check-in can open at most 720 minutes (12 hours) before.']);
    expect(await desk.handle('queue.setCheckInWindow', { minutes: 90 })).toEqual({ minutes: 90, canEdit: true });
    await settled(desk);
    const { rows } = await admin.query(
      `SELECT s.value FROM clinic.system_settings s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = 'GFC-BDK' AND s.key = 'queue.check_in_opens_minutes'`,
    );
    expect(rows).toEqual([{ value: 90 }]);
    await desk.handle('session.signOut', {});
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
  });
});
