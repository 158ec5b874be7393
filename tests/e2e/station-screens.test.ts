import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, startTestCentral, type TestCentral } from '../support/stations';

/*
 * What a new station's screen says before and just after its first sign-in, in Chromium against real stations:
 * the display's sign-in names the display, and a consult room names itself once its first load brings the rooms.
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
});
