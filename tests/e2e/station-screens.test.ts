import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';

/*
 * What a station's screens say, in Chromium against real stations: the display's sign-in names the display, a
 * consult room names itself once its first load brings the rooms, and reception registers and finds a patient the
 * Singapore way.
 */
const rendererDir = join(process.cwd(), 'dist', 'renderer');

describe('a new station\'s first screens', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let browser: Browser;
  const stations: StationCore[] = [];
  const hosts: BrowserHost[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(hosts.map((h) => h.close()));
    await Promise.all(stations.map((s) => s.stop()));
    await centre?.close();
    await db?.drop();
  });

  async function serve(core: StationCore): Promise<string> {
    stations.push(core);
    const host = new BrowserHost({ station: core, rendererDir });
    hosts.push(host);
    return host.listen();
  }

  it('asks the waiting-room display to sign in as the display, not as reception', async () => {
    const core = await startStation({ central: centre, role: 'display', code: 'SCREENS-DISPLAY' });
    await core.handle('session.signOut', {});
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(await serve(core));
    const card = page.locator('.signin-card');
    await card.waitFor();
    await expect.poll(() => card.textContent()).toContain('Waiting-room display · Station SCREENS-DISPLAY');
    expect(await card.textContent()).not.toContain('Reception');
    await page.getByTestId('signin-display-hint').waitFor();
    await page.close();
  });

  it('names the consult room once the first load has brought it, without a reload of the page', async () => {
    const admin = new pg.Client(db.url);
    await admin.connect();
    const { rows } = await admin.query<{ name: string }>(`SELECT r.name FROM clinic.rooms r JOIN clinic.clinics c ON c.id = r.clinic_id WHERE c.code = 'GFC-BDK' AND r.code = 'R2'`);
    await admin.end();
    const core = await startStation({ central: centre, role: 'consult', code: 'SCREENS-CONSULT', roomCode: 'R2' });
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    // Before anyone signs in the cache holds no rooms (nothing loads without a session): the page starts without it.
    await page.goto(await serve(core));
    await page.getByTestId('signin-username').fill('dr.tan');
    await page.getByTestId('signin-password').fill('demo1234');
    await page.getByTestId('signin-submit').click();
    await expect.poll(() => page.locator('#waiting-title').textContent(), { timeout: 15_000 }).toBe(`Waiting for ${rows[0]!.name}`);
    await page.close();
  });

  it('takes a date of birth as 07/03/1958 on an en-US PC and shows it back so, and finds the patient as "Tan, Hui Yi" or 慧怡', async () => {
    const core = await startStation({ central: centre, role: 'reception', code: 'SCREENS-RECEPTION' });
    // en-US is the locale whose date picker reads 07/03/1958 as 3 July: the form must not follow it.
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(await serve(core));
    await page.getByTestId('signin-username').fill('reception');
    await page.getByTestId('signin-password').fill('demo1234');
    await page.getByTestId('signin-submit').click();

    await page.getByTestId('register-open').click();
    await page.getByTestId('register-nric').fill('S8876543E');
    await page.getByTestId('register-name').fill('Tan Hui Yi');
    await page.getByTestId('register-native-name').fill('陈慧怡');
    await page.getByTestId('register-dob').fill('07/03/1958');
    await page.getByTestId('register-gender').selectOption('female');
    await page.getByTestId('register-phone').fill('9661 2840');
    await page.getByTestId('register-phone').blur();
    expect(await page.getByTestId('register-dob').inputValue()).toBe('07/03/1958');
    expect(await page.getByTestId('register-phone').inputValue()).toBe('+65 9661 2840');
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByTestId('selected-dob').textContent()).toBe('07/03/1958');
    await page.getByRole('button', { name: 'Clear' }).click();

    for (const query of ['Tan, Hui Yi', '慧怡']) {
      await page.getByTestId('search-input').fill(query);
      // Until this query's answer arrives the list still shows the last one's.
      await page.locator('#search-results[data-settled="true"]').waitFor();
      await page.getByTestId('search-result').filter({ hasText: 'S****543E' }).click({ timeout: 5000 });
      expect(await page.getByTestId('selected-dob').textContent()).toBe('07/03/1958');
      expect(await page.getByTestId('selected-phone').textContent()).toBe('+65 9661 2840');
      await page.getByRole('button', { name: 'Clear' }).click();
    }

    // What reached the centre is 7 March, and the phone in its one stored form.
    await waitFor(async () => (await core.handle('sync.status', {})).pending === 0, 'the registration to reach the centre');
    const admin = new pg.Client(db.url);
    await admin.connect();
    try {
      const { rows } = await admin.query<{ dob: string; phone: string }>(
        `SELECT to_char(date_of_birth, 'YYYY-MM-DD') AS dob, phone FROM clinic.patients WHERE nric_masked = 'S****543E' AND full_name = 'Tan Hui Yi'`,
      );
      expect(rows).toEqual([{ dob: '1958-03-07', phone: '+6596612840' }]);
    } finally {
      await admin.end();
    }
    await context.close();
  });
});
