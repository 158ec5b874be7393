import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserHost } from '../../src/main/host/browser-host';
import type { StationCore } from '../../src/main/station';
import { nricCheckLetter } from '../../src/shared/nric';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';
import { TcpProxy } from '../support/tcp-proxy';

/*
 * The waiting-room display with two rooms calling at once (issue 11, items 8 and 9), in Chromium against real
 * stations: each room shows its own number, the voice says the newer call before the rest of the older one,
 * the caption always names the call being said and never covers a room, a recall is listed once and a
 * finished ticket leaves the board. The display reaches the centre through a proxy whose cable the test pulls
 * while both rooms call, so both calls reach it together, however busy this machine is.
 */
const rendererDir = join(process.cwd(), 'dist', 'renderer');
const TV_SIZES = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
  { width: 3840, height: 2160 },
];

interface Caption {
  text: string;
  language: string;
  /** The number in the room tile highlighted at the same moment, if any. */
  highlighted: string | null;
}

type Rect = { left: number; top: number; right: number; bottom: number };
const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

describe('the waiting-room display with two rooms', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let proxy: TcpProxy;
  let browser: Browser;
  let host: BrowserHost;
  let reception: StationCore;
  let room1: StationCore;
  let room2: StationCore;
  let display: StationCore;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    const target = new URL(centre.gatewayUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    const displayGateway = `http://127.0.0.1:${await proxy.listen()}`;
    [reception, room1, room2, display] = await Promise.all([
      startStation({ central: centre, role: 'reception', code: 'ROOMS-RECEPTION' }),
      startStation({ central: centre, role: 'consult', code: 'ROOMS-CONSULT-1', roomCode: 'R1' }),
      startStation({ central: centre, role: 'consult', code: 'ROOMS-CONSULT-2', roomCode: 'R2' }),
      startStation({ central: centre, role: 'display', code: 'ROOMS-DISPLAY', gatewayUrl: displayGateway }),
    ]);
    host = new BrowserHost({ station: display, rendererDir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await Promise.all([reception, room1, room2, display].map((s) => s?.stop()));
    await proxy?.close();
    await centre?.close();
    await db?.drop();
  });

  /** Every change of caption from now on, with the room tile lit at that moment. */
  async function recordCaptions(page: Page): Promise<void> {
    await page.evaluate(() => {
      const log: Caption[] = [];
      (window as unknown as { captions: Caption[] }).captions = log;
      new MutationObserver(() => {
        const caption = document.querySelector<HTMLElement>('[data-testid="announcement-caption"]');
        if (!caption) return;
        const text = caption.textContent ?? '';
        const language = caption.dataset.language ?? '';
        const last = log[log.length - 1];
        if (last && last.text === text && last.language === language) return;
        const lit = document.querySelector('[data-testid="room-tile"][data-speaking="true"] [data-testid="now-serving-number"]');
        log.push({ text, language, highlighted: lit?.textContent ?? null });
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }

  const tileNumber = (page: Page, room: string) =>
    page.locator(`[data-testid="room-tile"][data-room-name="${room}"] [data-testid="now-serving-number"]`);

  it('shows each room its number, says the newer call first, and keeps the caption clear of the rooms', async () => {
    // Two languages keep the test short; the order of calls is the same in four.
    await reception.handle('session.signIn', { username: 'admin', password: 'demo1234' });
    await reception.handle('announcements.setSettings', { languages: ['en', 'zh'], speechFallback: false });
    await reception.handle('session.signOut', {});
    await reception.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await waitFor(async () => (await display.handle('announcements.settings', {})).languages.join() === 'en,zh', 'the display to fetch the clinic languages');

    const issued: string[] = [];
    for (const [i, digits] of ['9900001', '9900002', '9900003'].entries()) {
      const patient = await reception.handle('patients.register', {
        nric: `S${digits}${nricCheckLetter('S', digits)}`,
        fullName: `Display Patient ${'ABC'[i]}`,
        dateOfBirth: '1990-01-0' + (i + 1),
        gender: 'female',
      });
      issued.push((await reception.handle('queue.issueTicket', { patientId: patient.id, urgent: false })).ticketNumber);
    }
    await room1.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
    await room2.handle('session.signIn', { username: 'dr.siti', password: 'demo1234' });
    for (const room of [room1, room2]) await waitFor(async () => (await room.handle('queue.mine', {})).waiting.length >= 3, 'the consult rooms to pull the tickets');

    await waitFor(async () => (await display.handle('display.board', {})).rooms.length === 3, 'the display to load the clinic’s rooms');
    const page = await browser.newPage({ viewport: TV_SIZES[1] });
    await page.goto(await host.listen());
    await page.locator('.display[data-announcing="false"]').waitFor();
    await recordCaptions(page);

    proxy.cut();
    const first = (await room1.handle('queue.callNext', {}))!;
    // Room 2 calls once it knows Room 1 has that ticket, as a doctor a second later would.
    await waitFor(async () => !(await room2.handle('queue.mine', {})).waiting.some((t) => t.id === first.id), 'Room 2 to see the first call');
    const second = (await room2.handle('queue.callNext', {}))!;
    expect(issued).toContain(first.ticketNumber);
    expect(issued).toContain(second.ticketNumber);
    for (const room of [room1, room2]) await waitFor(async () => (await room.handle('sync.status', {})).pending === 0, 'the calls to reach the centre');
    proxy.restore();

    await expect.poll(() => tileNumber(page, 'Room 1').textContent(), { timeout: 40_000 }).toBe(first.ticketNumber);
    await expect.poll(() => tileNumber(page, 'Room 2').textContent()).toBe(second.ticketNumber);

    // While the voice speaks, at every TV size, the caption sits clear of each room's badge and number.
    for (const size of TV_SIZES) {
      await page.setViewportSize(size);
      const caption = page.getByTestId('announcement-caption');
      await caption.waitFor();
      const box = await caption.evaluate((e) => e.getBoundingClientRect().toJSON() as Rect);
      const parts = await page.$$eval('[data-testid="room-tile"], [data-testid="now-serving-room"], [data-testid="now-serving-number"]', (all) =>
        all.map((e) => e.getBoundingClientRect().toJSON() as Rect),
      );
      // The demo clinic's three rooms (tile and badge each) and the two numbers being served.
      expect(parts).toHaveLength(8);
      for (const part of parts) expect(overlaps(box, part), `caption ${JSON.stringify(box)} over ${JSON.stringify(part)} at ${size.width}×${size.height}`).toBe(false);
    }
    await page.setViewportSize(TV_SIZES[1]!);

    await expect.poll(() => page.locator('.display').getAttribute('data-announcing'), { timeout: 60_000 }).toBe('false');
    const captions = await page.evaluate(() => (window as unknown as { captions: Caption[] }).captions);
    const said = captions.map((c) => `${c.language} ${/[A-Z]\d{3}/.exec(c.text)?.[0]}`);
    // Both calls in the first language (whichever the display heard first), then the newer call's other language before the older's.
    expect(said.slice(0, 2).sort()).toEqual([`en ${first.ticketNumber}`, `en ${second.ticketNumber}`].sort());
    expect(said.slice(2)).toEqual([`zh ${second.ticketNumber}`, `zh ${first.ticketNumber}`]);
    expect(captions[0]!.text).toMatch(/^Number [A-Z]\d{3}, please go to Room [12]$/);
    // Once the board has both calls, the lit room is the one the caption names.
    for (const caption of captions.slice(1)) expect(caption.text).toContain(caption.highlighted);

    // Room 2 recalls its patient and Room 1 finishes: the recall is listed once, the finished ticket not at all.
    await room2.handle('queue.recall', { ticketId: second.id });
    await room1.handle('queue.complete', { ticketId: first.id });
    const recent = page.getByTestId('recent-call').locator('.recent-number');
    await expect.poll(() => recent.allTextContents(), { timeout: 20_000 }).toEqual([second.ticketNumber]);
    await expect.poll(() => page.locator('[data-testid="room-tile"][data-room-name="Room 1"]').getByTestId('now-serving-number').count()).toBe(0);
    expect(await tileNumber(page, 'Room 2').textContent()).toBe(second.ticketNumber);
    const waiting = (await reception.handle('queue.today', {})).filter((t) => t.status === 'waiting').length;
    expect(waiting).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('waiting-count').textContent()).toBe(`${waiting} waiting`);
    await page.close();
  });
});
