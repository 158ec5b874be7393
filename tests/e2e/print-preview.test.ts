import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, waitFor, startTestCentral, type TestCentral } from '../support/stations';
import { launchChromium } from '../support/browser';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';

/*
 * Issue 11, item 15: a print preview always shows the document it belongs to. The issued-ticket card, replaced by a
 * second ticket, shows the second ticket; the devices panel previews the document chosen, not the one before.
 */
const rendererDir = join(process.cwd(), 'dist', 'renderer');
const sgDay = (at: Date) => at.toLocaleDateString('en-CA', { timeZone: 'Asia/Singapore' });
// The appointment is booked 20 minutes ahead; in the last minutes of the Singapore day that would be tomorrow.
const appointmentFitsToday = sgDay(new Date(Date.now() + 35 * 60_000)) === sgDay(new Date());

describe('print previews', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;
  let desk: StationCore;
  let host: BrowserHost;
  let browser: Browser;
  let url = '';

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    admin = new pg.Client(db.url);
    await admin.connect();
    desk = await startStation({ central: centre, role: 'reception', code: 'E2E-PREVIEW-DESK' });
    host = new BrowserHost({ station: desk, rendererDir });
    url = await host.listen();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await desk?.stop();
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  it.skipIf(!appointmentFitsToday)('the issued-ticket card previews the ticket it shows, also when a second ticket replaces it', async () => {
    const { rows } = await admin.query<{ id: string; full_name: string }>(
      `SELECT p.id, p.full_name FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id
        WHERE c.code = 'GFC-BDK' AND p.date_of_birth BETWEEN now() - interval '60 years' AND now() - interval '20 years'
          AND NOT EXISTS (SELECT 1 FROM clinic.appointments a WHERE a.patient_id = p.id AND clinic.clinic_day(a.starts_at) = clinic.clinic_day(now()))
          AND (SELECT count(*) FROM clinic.patients q WHERE q.full_name = p.full_name) = 1
        ORDER BY p.id LIMIT 2`,
    );
    const [walkIn, booked] = rows as [{ id: string; full_name: string }, { id: string; full_name: string }];
    await admin.query(
      `INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at)
       SELECT p.clinic_id, gen_random_uuid(), 'E2E-PREVIEW', p.id, d.id, now() + interval '20 minutes', now() + interval '30 minutes'
         FROM clinic.patients p JOIN clinic.doctors d ON d.clinic_id = p.clinic_id AND d.full_name = 'Dr Tan Wei Ming'
        WHERE p.id = $1`,
      [booked.id],
    );
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await desk.sync.requestSync();
    await waitFor(async () => (await desk.handle('appointments.today', {})).some((a) => a.patientId === booked.id), 'the appointment at the desk');

    // The ticket prints its number letter-spaced (A   0   0   1); compare without the spacing.
    const previewText = async () => ((await page.getByTestId('print-preview').getAttribute('alt')) ?? '').replace(/\s+/g, '');
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(url);
    await page.getByTestId('search-input').fill(walkIn.full_name);
    await page.getByTestId('search-result').filter({ hasText: walkIn.full_name }).first().click();
    await page.getByTestId('issue-ticket').click();
    const first = (await page.getByTestId('issued-ticket-number').textContent())?.trim() ?? '';
    await expect.poll(previewText).toContain(first);

    await page.locator('[data-testid="appointment-row"]').filter({ hasText: booked.full_name }).getByTestId('check-in').click();
    await expect.poll(() => page.getByTestId('issued-ticket-number').textContent()).not.toBe(first);
    const second = (await page.getByTestId('issued-ticket-number').textContent())?.trim() ?? '';
    await expect.poll(previewText).toContain(second);
    expect(await previewText()).not.toContain(first);

    await page.getByTestId('devices-open').click();
    const devicesPreview = page.locator('.preview-block').getByTestId('print-preview');
    const devicesText = async () => ((await devicesPreview.getAttribute('alt')) ?? '').replace(/\s+/g, '');
    await expect.poll(devicesText).toMatch(/Testpage/);
    await page.getByTestId('preview-document').selectOption('receipt');
    await expect.poll(devicesText).toMatch(/Total/i);
    expect(await devicesText()).not.toMatch(/Testpage/);
    await page.close();
  });
});
