import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, waitFor, startTestCentral, type TestCentral } from '../support/stations';
import { launchChromium } from '../support/browser';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';
import type { Ticket } from '../../src/shared/contract';

/*
 * Issue 11, items 1 and 5 on the real screens: a doctor skips an 85-year-old and is told where the ticket went;
 * reception sees the line in call order with waiting times and corrects it (priority, cancel with a reason, back in
 * the queue), and the centre holds each change.
 */
const rendererDir = join(process.cwd(), 'dist', 'renderer');

// The appointment is booked 20 minutes ahead; in the last minutes of the Singapore day that is tomorrow, so the
// test says it is skipped then rather than fail.
const sgDay = (at: Date) => at.toLocaleDateString('en-CA', { timeZone: 'Asia/Singapore' });
const appointmentFitsToday = sgDay(new Date(Date.now() + (20 + 15) * 60_000)) === sgDay(new Date());

describe('correcting the queue in the browser', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;
  let desk: StationCore;
  let room: StationCore;
  const hosts: BrowserHost[] = [];
  let browser: Browser;
  let deskUrl = '';
  let roomUrl = '';

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    admin = new pg.Client(db.url);
    await admin.connect();
    desk = await startStation({ central: centre, role: 'reception', code: 'E2E-FIX-DESK' });
    room = await startStation({ central: centre, role: 'consult', code: 'E2E-FIX-ROOM', roomCode: 'R1' });
    for (const [core, set] of [
      [desk, (u: string) => (deskUrl = u)],
      [room, (u: string) => (roomUrl = u)],
    ] as const) {
      const host = new BrowserHost({ station: core, rendererDir });
      hosts.push(host);
      set(await host.listen());
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(hosts.map((h) => h.close()));
    await room?.stop();
    await desk?.stop();
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  async function signIn(page: Page, username: string): Promise<void> {
    await page.getByTestId('signin-username').fill(username);
    await page.getByTestId('signin-password').fill('demo1234');
    await page.getByTestId('signin-submit').click();
  }

  const row = (page: Page, ticketNumber: string) => page.locator(`[data-testid="queue-row"][data-ticket-number="${ticketNumber}"]`);

  it('a skip says where the patient went, and reception reprioritises, cancels and reinstates from the list', async () => {
    const { rows } = await admin.query<{ id: string }>(
      `(SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
         WHERE c.code = 'GFC-BDK' AND p.date_of_birth < now() - interval '85 years' ORDER BY p.id LIMIT 1)
       UNION ALL
       (SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
         WHERE c.code = 'GFC-BDK' AND p.date_of_birth BETWEEN now() - interval '60 years' AND now() - interval '20 years'
           AND NOT EXISTS (SELECT 1 FROM clinic.appointments a WHERE a.patient_id = p.id AND clinic.clinic_day(a.starts_at) = clinic.clinic_day(now()))
         ORDER BY p.id LIMIT 2)`,
    );
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    const tickets: Ticket[] = [];
    for (const r of rows) tickets.push(await desk.handle('queue.issueTicket', { patientId: r.id }));
    await desk.handle('session.signOut', {});
    const [old, one, two] = tickets as [Ticket, Ticket, Ticket];
    expect(old.priority).toBe(1);
    await waitFor(async () => (await desk.handle('sync.status', {})).pending === 0, 'the tickets at the centre');

    const consult = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await consult.goto(roomUrl);
    await signIn(consult, 'dr.tan');
    await expect.poll(async () => consult.getByTestId('call-next').isEnabled(), { timeout: 15_000 }).toBe(true);
    await consult.getByTestId('call-next').click();
    await expect.poll(() => consult.getByTestId('current-ticket-number').textContent()).toBe(old.ticketNumber);
    await consult.getByTestId('skip').click();
    await expect
      .poll(() => consult.locator('.toasts').innerText())
      .toContain(`${old.ticketNumber} moved to the back of the line: 2 patients will be called before it.`);

    const reception = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await reception.goto(deskUrl);
    await signIn(reception, 'reception');
    await expect.poll(() => row(reception, old.ticketNumber).innerText(), { timeout: 15_000 }).toContain('Skipped, back of the line');
    const waitingOrder = async () =>
      reception.locator('[data-testid="queue-row"][data-status="waiting"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-ticket-number')));
    expect(await waitingOrder()).toEqual([one.ticketNumber, two.ticketNumber, old.ticketNumber]);
    expect(await row(reception, one.ticketNumber).locator('.queue-waited').innerText()).toMatch(/^\d+ min$/);

    await row(reception, two.ticketNumber).getByTestId('ticket-change').click();
    await reception.getByTestId('priority-2').click();
    await expect.poll(() => reception.locator('.toasts').innerText()).toContain(`${two.ticketNumber} is now urgent priority.`);
    await expect.poll(waitingOrder).toEqual([two.ticketNumber, one.ticketNumber, old.ticketNumber]);

    await row(reception, one.ticketNumber).getByTestId('ticket-change').click();
    await reception.getByTestId('cancel-ticket').click();
    await expect.poll(() => reception.getByTestId('cancel-confirm').isDisabled()).toBe(true);
    await reception.getByRole('button', { name: 'Left before being seen' }).click();
    await reception.getByTestId('cancel-confirm').click();
    await expect.poll(() => row(reception, one.ticketNumber).getAttribute('data-status')).toBe('cancelled');
    expect(await row(reception, one.ticketNumber).innerText()).toContain('Left before being seen');

    await row(reception, one.ticketNumber).getByTestId('ticket-change').click();
    await reception.getByTestId('reinstate').click();
    await expect.poll(waitingOrder).toEqual([two.ticketNumber, old.ticketNumber, one.ticketNumber]);

    await waitFor(async () => (await desk.handle('sync.status', {})).pending === 0, 'the corrections at the centre');
    const centre = await admin.query<{ ticket_number: string; status: string; priority: number; cancel_reason: string | null }>(
      'SELECT ticket_number, status, priority, cancel_reason FROM clinic.queue_tickets WHERE id = ANY($1::uuid[]) ORDER BY ticket_number',
      [[one.id, two.id]],
    );
    expect(centre.rows).toEqual([
      { ticket_number: one.ticketNumber, status: 'waiting', priority: 0, cancel_reason: null },
      { ticket_number: two.ticketNumber, status: 'waiting', priority: 2, cancel_reason: null },
    ]);
  });

  it.skipIf(!appointmentFitsToday)('a patient booked today is offered the check-in; a walk-in issued first is linked from the appointment list', async () => {
    const { rows: [patient] } = await admin.query<{ id: string; full_name: string }>(
      `SELECT p.id, p.full_name FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
        WHERE c.code = 'GFC-BDK' AND p.date_of_birth BETWEEN now() - interval '60 years' AND now() - interval '20 years'
          AND NOT EXISTS (SELECT 1 FROM clinic.queue_tickets t WHERE t.patient_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM clinic.appointments a WHERE a.patient_id = p.id AND clinic.clinic_day(a.starts_at) = clinic.clinic_day(now()))
          AND (SELECT count(*) FROM clinic.patients q WHERE q.full_name = p.full_name) = 1
        ORDER BY p.id DESC LIMIT 1`,
    );
    const startsAt = new Date(Date.now() + 20 * 60_000);
    await admin.query(
      `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
       SELECT p.clinic_id, gen_random_uuid(), 'E2E-LINK', p.id, d.id, $2::timestamptz, $2::timestamptz + interval '10 minutes'
         FROM clinic.patients p JOIN clinic.doctors d ON d.clinic_id = p.clinic_id AND d.full_name = 'Dr Tan Wei Ming'
        WHERE p.id = $1`,
      [patient!.id, startsAt.toISOString()],
    );
    await desk.sync.requestSync();
    await waitFor(async () => {
      await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
      return (await desk.handle('appointments.today', {})).some((a) => a.patientId === patient!.id);
    }, 'the appointment at the desk');

    const reception = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await reception.goto(deskUrl);
    await reception.getByTestId('search-input').waitFor();
    await reception.getByTestId('search-input').fill(patient!.full_name);
    await reception.getByTestId('search-result').filter({ hasText: patient!.full_name }).first().click();
    await expect.poll(() => reception.getByTestId('appointment-offer').innerText()).toContain(`${patient!.full_name} has an appointment today at`);
    expect(await reception.getByTestId('check-in-selected').isEnabled()).toBe(true);
    await reception.getByTestId('issue-ticket').click();
    const walkIn = (await reception.getByTestId('issued-ticket-number').textContent())?.trim() ?? '';
    expect(walkIn).toMatch(/^[A-Z]\d{3}$/);

    const appointment = reception.locator('[data-testid="appointment-row"]').filter({ hasText: patient!.full_name });
    await expect.poll(() => appointment.getByTestId('check-in').innerText()).toBe(`Link ${walkIn}`);
    await appointment.getByTestId('check-in').click();
    await expect.poll(() => row(reception, walkIn).innerText()).toContain('Appt');
    await waitFor(async () => (await desk.handle('sync.status', {})).pending === 0, 'the link at the centre');
    const linked = await admin.query('SELECT t.kind, a.status FROM clinic.queue_tickets t JOIN clinic.appointments a ON a.id = t.appointment_id WHERE t.patient_id = $1', [patient!.id]);
    expect(linked.rows).toEqual([{ kind: 'appointment', status: 'checked_in' }]);
  });
});
