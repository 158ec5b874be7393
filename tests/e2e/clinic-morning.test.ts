import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '../support/db';
import { startStation, waitFor, startTestCentral, type TestCentral } from '../support/stations';
import { launchChromium } from '../support/browser';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';

/*
 * A clinic morning through the real renderer in Chromium: three stations, three caches, one
 * central Postgres. Reception registers a patient and issues a ticket, the doctor calls next, and
 * the waiting-room display shows that number and room.
 */
const rendererDir = join(process.cwd(), 'dist', 'renderer');
const shots = join(process.cwd(), 'tests', '.artifacts', 'e2e');

describe('a clinic morning in the browser', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const stations: StationCore[] = [];
  let centre: TestCentral;
  const hosts: BrowserHost[] = [];
  let browser: Browser;
  const urls: Record<'reception' | 'consult' | 'display', string> = { reception: '', consult: '', display: '' };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    const specs = [
      { role: 'reception', code: 'E2E-RECEPTION' },
      { role: 'consult', code: 'E2E-CONSULT', roomCode: 'R2' },
      { role: 'display', code: 'E2E-DISPLAY' },
    ] as const;
    for (const spec of specs) {
      const core = await startStation({ central: centre, ...spec });
      stations.push(core);
      const host = new BrowserHost({ station: core, rendererDir });
      hosts.push(host);
      urls[spec.role] = await host.listen();
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(hosts.map((h) => h.close()));
    await Promise.all(stations.map((s) => s.stop()));
    await centre?.close();
    await db?.drop();
  });

  async function signIn(page: Page, username: string): Promise<void> {
    await page.getByTestId('signin-username').fill(username);
    await page.getByTestId('signin-password').fill('demo1234');
    await page.getByTestId('signin-submit').click();
  }

  it('registers, issues, calls and displays one patient', async () => {
    // The clinic's voice setting, made by the clinic manager at reception: Malay first, then English.
    await stations[0]!.handle('session.signIn', { username: 'admin', password: 'demo1234' });
    await stations[0]!.handle('announcements.setSettings', { languages: ['ms', 'en'], speechFallback: false });
    await stations[0]!.handle('session.signOut', {});
    await waitFor(async () => (await stations[2]!.handle('announcements.settings', {})).languages.join() === 'ms,en', 'the display to fetch the clinic languages');
    const display = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await display.goto(urls.display);
    await display.locator('.display[data-announcing]').waitFor();
    expect(await display.getByTestId('now-serving-number').count()).toBe(0);

    const reception = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    await reception.goto(urls.reception);
    await signIn(reception, 'reception');

    await reception.getByTestId('register-open').click();
    await reception.getByTestId('register-nric').fill('S1234567D');
    await reception.getByTestId('register-name').fill('Ong Bee Lian');
    await reception.getByTestId('register-dob').fill('02/04/1958');
    await reception.getByTestId('register-gender').selectOption('female');
    await reception.getByTestId('register-phone').fill('+65 9123 4567');
    await reception.getByTestId('register-submit').click();

    // A second registration of the same NRIC is refused with a message that says why.
    await reception.getByTestId('register-open').click();
    await reception.getByTestId('register-nric').fill('s1234567d');
    await reception.getByTestId('register-name').fill('Someone Else');
    await reception.getByTestId('register-dob').fill('01/01/1990');
    await reception.getByTestId('register-gender').selectOption('male');
    await reception.getByTestId('register-submit').click();
    await expect.poll(() => reception.getByTestId('register-error').textContent()).toMatch(/already registered/i);
    // What was typed is not thrown away on Escape without asking.
    await reception.keyboard.press('Escape');
    await reception.getByTestId('discard-yes').click();

    await reception.getByTestId('search-input').fill('567D');
    await reception.getByTestId('search-result').filter({ hasText: 'Ong Bee Lian' }).first().click();
    await reception.getByTestId('issue-ticket').click();
    const issued = (await reception.getByTestId('issued-ticket-number').textContent())?.trim() ?? '';
    expect(issued).toMatch(/^[A-Z]\d{3}$/);
    // The ticket went to the default (virtual) printer: its bytes and preview are in the station's folder.
    const printed = await waitFor(() => stations[0]!.devices.jobs(10).find((j) => j.title === `Ticket ${issued}` && j.status === 'printed'), 'the printed ticket');
    expect(existsSync(join(stations[0]!.devices.virtualFolder, `${printed.id}.bin`))).toBe(true);
    await reception.getByTestId('print-preview').waitFor();
    await expect.poll(() => reception.locator(`[data-testid="queue-row"][data-ticket-number="${issued}"]`).count()).toBe(1);
    await expect.poll(() => reception.getByTestId('sync-indicator').getAttribute('data-online')).toBe('true');
    await reception.screenshot({ path: join(shots, 'reception.png') });

    const consult = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    await consult.goto(urls.consult);
    await signIn(consult, 'dr.tan');
    await consult.getByTestId('call-next').waitFor();
    await expect.poll(async () => consult.getByTestId('call-next').isEnabled(), { timeout: 15_000 }).toBe(true);
    await consult.getByTestId('call-next').click();
    await expect.poll(() => consult.getByTestId('current-ticket-number').textContent()).toBe(issued);
    expect(await consult.getByTestId('current-patient-name').textContent()).toContain('Ong Bee Lian');
    await consult.screenshot({ path: join(shots, 'consult.png') });

    // The demo clinic has three rooms: the number shows in Room 2's place, the other rooms free.
    const room2 = display.locator('[data-testid="room-tile"][data-room-name="Room 2"]');
    await expect.poll(() => room2.getByTestId('now-serving-number').textContent(), { timeout: 15_000 }).toBe(issued);
    expect(await display.getByTestId('now-serving-number').count()).toBe(1);
    await expect.poll(() => display.locator('[data-announcing="true"]').count()).toBeGreaterThan(0);
    await expect.poll(() => display.getByTestId('announcement-caption').textContent(), { timeout: 10_000 }).toBe(`Nombor ${issued}, sila ke Bilik 2`);
    await expect.poll(() => display.getByTestId('announcement-caption').textContent(), { timeout: 10_000 }).toBe(`Number ${issued}, please go to Room 2`);
    const shown = await display.locator('body').innerText();
    expect(shown).not.toContain('Ong Bee Lian');
    expect(shown).not.toMatch(/S\*{4}567D|S1234567D/);
    await display.screenshot({ path: join(shots, 'display.png') });
  });
});
