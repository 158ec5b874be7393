/**
 * Screenshots of every renderer screen against the in-memory fake station, for a person to look at.
 * Run `npx vite build` first, then `npx tsx tests/support/screenshots.ts [name…]`; PNGs land in
 * tests/.artifacts/screens/, or in SCREENSHOTS_DIR when set (to keep them out of the work tree).
 */
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FakeClinicOptions } from './fake-clinic';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const distDir = join(root, 'dist/renderer');
const outDir = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : join(root, 'tests/.artifacts/screens');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export function serveDist(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(distDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(distDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** The fake as one browser script that installs itself as `window.clinic` from options set just before it. */
export async function fakeBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `
        import { createFakeClinic } from './fake-clinic';
        import { createFakeFirstRun } from './fake-first-run';
        const fake = createFakeClinic(window.__fakeClinicOptions);
        window.clinic = fake.api;
        window.__fakeClinic = fake;
        window.clinicFirstRun = createFakeFirstRun();
      `,
      resolveDir: here,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

export interface Shot {
  name: string;
  fake: FakeClinicOptions;
  viewport: { width: number; height: number };
  /** After the page's address, e.g. #first-run. */
  hash?: string;
  act?: (page: Page) => Promise<void>;
}

type FakeInPage = {
  __fakeClinic: {
    callNextFor(doctorIndex: number): unknown;
    setSync(status: Record<string, unknown>): void;
  };
};

/** A Monday mid-morning in Singapore, so clocks and times in the PNGs read like a real clinic day. */
const NOW = '2025-03-03T10:15:00+08:00';
const SMALL = { width: 1366, height: 768 };
const LARGE = { width: 1920, height: 1080 };
/** A 4K TV driven at 100 % scaling, as a mini PC behind the waiting-room TV often is. */
const TV_4K = { width: 3840, height: 2160 };

export const shots: Shot[] = [
  { name: 'signin', fake: { role: 'reception' }, viewport: SMALL },
  { name: 'signin-1920', fake: { role: 'reception' }, viewport: LARGE },
  {
    name: 'signin-error',
    fake: { role: 'reception' },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('signin-username').fill('reception');
      await page.getByTestId('signin-password').fill('wrong');
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('signin-error').waitFor();
    },
  },
  {
    name: 'reception-signed-in',
    fake: { role: 'reception' },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('signin-username').fill('reception');
      await page.getByTestId('signin-password').fill('demo1234');
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('queue-row').first().waitFor();
    },
  },
  {
    name: 'reception-results',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('tan');
      await page.getByTestId('search-result').nth(2).waitFor();
    },
  },
  {
    name: 'reception-search',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('tan');
      await page.getByTestId('search-result').first().waitFor();
      await page.getByTestId('search-result').filter({ hasText: 'Tan Soo Hock' }).click();
      await page.getByTestId('issue-ticket').waitFor();
    },
  },
  ...[
    { name: 'reception-search-more', viewport: SMALL },
    { name: 'reception-search-more-1920', viewport: LARGE },
  ].map(({ name, viewport }): Shot => ({
    name,
    fake: { role: 'reception', signedIn: true, morePatients: 400 },
    viewport,
    act: async (page) => {
      await page.getByTestId('search-input').fill('Tan,');
      await page.getByTestId('search-more').waitFor();
    },
  })),
  {
    name: 'reception-search-more-shown',
    fake: { role: 'reception', signedIn: true, morePatients: 400 },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('tan');
      await page.getByTestId('search-show-more').click();
      await page.getByTestId('search-result').nth(20).waitFor();
    },
  },
  {
    name: 'reception-search-given-name',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('慧怡');
      await page.getByTestId('search-result').first().waitFor();
    },
  },
  {
    name: 'reception-selected-infant',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('lim');
      await page.getByTestId('search-result').filter({ hasText: 'Lim Jia En' }).click();
      await page.getByTestId('selected-age').waitFor();
    },
  },
  {
    name: 'reception-selected-other',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('alex');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('selected-gender').waitFor();
    },
  },
  {
    name: 'reception-search-chinese-elderly',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('黄');
      await page.getByTestId('search-result').first().waitFor();
      await page.getByTestId('search-result').filter({ hasText: 'Ng Ah Kow' }).click();
    },
  },
  {
    name: 'reception-issued',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('567D');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('urgent-toggle').check();
      await page.getByTestId('issue-ticket').click();
      await page.getByTestId('issued-ticket-number').waitFor();
    },
  },
  {
    name: 'reception-issue-conflict',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('Ng Ah');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('issue-ticket').click();
      await page.getByTestId('issue-error').waitFor();
    },
  },
  {
    name: 'reception-check-in',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('check-in').first().click();
      await page.getByTestId('issued-ticket-number').waitFor();
    },
  },
  {
    name: 'reception-appointment-offer',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('search-input').fill('Tan Soo');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('appointment-offer').waitFor();
    },
  },
  {
    name: 'reception-queue-change',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.locator('[data-testid="queue-row"][data-status="waiting"]').nth(1).getByTestId('ticket-change').click();
      await page.getByTestId('ticket-actions').waitFor();
    },
  },
  {
    name: 'reception-queue-cancel-1920',
    fake: { role: 'reception', signedIn: true },
    viewport: LARGE,
    act: async (page) => {
      await page.locator('[data-testid="queue-row"][data-status="called"]').first().getByTestId('ticket-change').click();
      await page.getByTestId('cancel-ticket').click();
      await page.getByRole('button', { name: 'Left before being seen' }).click();
    },
  },
  {
    name: 'reception-register-duplicate',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('register-open').click();
      await fillRegistration(page, 'S1234567D');
      await page.getByTestId('register-submit').click();
      await page.getByTestId('register-error').waitFor();
    },
  },
  {
    name: 'reception-duplicate-found',
    fake: { role: 'reception', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('register-open').click();
      await fillRegistration(page, 'S1234567D');
      await page.getByTestId('register-submit').click();
      await page.getByRole('button', { name: 'Find this patient' }).click();
      await page.getByTestId('search-result').first().waitFor();
    },
  },
  ...registrationShots(SMALL, ''),
  ...registrationShots(LARGE, '-1920'),
  {
    name: 'reception-offline-1920',
    fake: {
      role: 'reception',
      signedIn: true,
      sync: { online: false, pending: 3, lastError: 'Central database unreachable (connect ECONNREFUSED 10.0.0.5:5432)' },
    },
    viewport: LARGE,
    act: async (page) => {
      await page.getByTestId('search-input').fill('Soo Hock');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('issue-ticket').click();
      await page.getByTestId('issued-ticket-number').waitFor();
      await page.waitForSelector('[data-testid="sync-indicator"][data-pending="4"]');
    },
  },
  {
    name: 'reception-first-load-and-attention',
    fake: {
      role: 'reception',
      signedIn: true,
      sync: { initialSync: { loaded: 41_250, total: 130_270 }, attention: 1 },
      attention: [
        {
          what: 'Registration of Lee Mei Ling (S****345H)',
          reason: 'A patient with NRIC S****345H is already registered.',
          action: 'Someone else got there first: check the current record before doing it again.',
        },
      ],
    },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('attention-open').click();
      await page.getByTestId('attention-item').waitFor();
    },
  },
  { name: 'reception-1920', fake: { role: 'reception', signedIn: true }, viewport: LARGE },
  { name: 'consult', fake: { role: 'consult', signedIn: true }, viewport: SMALL },
  {
    name: 'consult-ready',
    fake: { role: 'consult', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('complete').click();
      await page.waitForSelector('[data-testid="call-next"]:not([disabled])');
    },
  },
  { name: 'consult-1920', fake: { role: 'consult', signedIn: true }, viewport: LARGE },
  {
    name: 'consult-after-complete-and-call',
    fake: { role: 'consult', signedIn: true },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('current-ticket-number').waitFor();
      await page.keyboard.press('c');
      await page.waitForSelector('[data-testid="call-next"]:not([disabled])');
      await page.keyboard.press('n');
      await page.waitForFunction(() => document.querySelector('[data-testid="current-ticket-number"]')?.textContent !== 'A006');
    },
  },
  {
    name: 'consult-nobody-waiting',
    fake: { role: 'consult', signedIn: true, scenario: 'empty' },
    viewport: SMALL,
  },
  ...displayShots(),
  { name: 'display-one-room-1920', fake: { role: 'display', rooms: 1 }, viewport: LARGE },
  { name: 'display-empty-1920', fake: { role: 'display', scenario: 'empty' }, viewport: LARGE },
  { name: 'display-signin-1920', fake: { role: 'display', signedIn: false }, viewport: LARGE },
  { name: 'display-signin-1366', fake: { role: 'display', signedIn: false }, viewport: SMALL },
  ...[
    { name: 'devices-reception', viewport: LARGE },
    { name: 'devices-reception-1366', viewport: SMALL },
  ].map(({ name, viewport }): Shot => ({
    name,
    fake: { role: 'reception', signedIn: true },
    viewport,
    act: async (page) => {
      await page.getByTestId('devices-open').click();
      await page.getByTestId('print-preview').first().waitFor();
      await page.getByTestId('print-job').first().waitFor();
    },
  })),
  { name: 'reception-admin-1366', fake: { role: 'reception', signedInAs: 'admin' }, viewport: SMALL },
  {
    name: 'reception-admin-check-in-window-1366',
    fake: { role: 'reception', signedInAs: 'admin' },
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('check-in-window-edit').click();
      await page.getByTestId('check-in-window-minutes').fill('90a');
      await page.getByTestId('check-in-window-save').click();
      await page.getByTestId('check-in-window-problem').waitFor();
    },
  },
  { name: 'reception-nurse-1366', fake: { role: 'reception', signedInAs: 'nurse' }, viewport: SMALL },
  { name: 'reception-nurse-1920', fake: { role: 'reception', signedInAs: 'nurse' }, viewport: LARGE },
  { name: 'reception-admin-1920', fake: { role: 'reception', signedInAs: 'admin' }, viewport: LARGE },
  ...[
    { name: 'stations-admin-1920', viewport: LARGE },
    { name: 'stations-admin-1366', viewport: SMALL },
  ].map(({ name, viewport }): Shot => ({
    name,
    fake: { role: 'reception', signedInAs: 'admin' },
    viewport,
    act: async (page) => {
      await page.getByTestId('stations-open').click();
      await page.getByTestId('enrol-role').selectOption('consult');
      await page.getByTestId('enrol-room').selectOption('R3');
      await page.getByTestId('enrol-make-code').click();
      await page.getByTestId('enrol-code-made').waitFor();
      await page.locator('[data-station-code="BDK-RECEPTION-2"]').getByTestId('station-revoke').click();
      await page.getByTestId('revoke-reason').fill('PC replaced after water damage');
    },
  })),
  { name: 'first-run-1366', fake: { role: 'reception' }, hash: '#first-run', viewport: SMALL },
  {
    name: 'first-run-problems-1366',
    fake: { role: 'reception' },
    hash: '#first-run',
    viewport: SMALL,
    act: async (page) => {
      await page.getByTestId('first-run-gateway').fill('gateway.clinic');
      await page.getByTestId('first-run-code').fill('K7QF-2MPX');
      await page.getByTestId('first-run-submit').click();
      await page.getByTestId('first-run-code-problem').waitFor();
    },
  },
  {
    name: 'first-run-untrusted-1920',
    fake: { role: 'reception' },
    hash: '#first-run',
    viewport: LARGE,
    act: async (page) => {
      await page.getByTestId('first-run-gateway').fill('https://untrusted.gabriel-clinics.sg');
      await page.getByTestId('first-run-code').fill('k7qf-2mpx-9tdr-w4hn');
      await page.getByTestId('first-run-ca-open').click();
      await page.getByTestId('first-run-submit').click();
      await page.getByTestId('first-run-error').waitFor();
    },
  },
  {
    name: 'first-run-done-1920',
    fake: { role: 'reception' },
    hash: '#first-run',
    viewport: LARGE,
    act: async (page) => {
      await page.getByTestId('first-run-gateway').fill('https://gateway.gabriel-clinics.sg');
      await page.getByTestId('first-run-code').fill('K7QF-2MPX-9TDR-W4HN');
      await page.getByTestId('first-run-submit').click();
      await page.getByTestId('first-run-done').waitFor();
    },
  },
];

/**
 * The two-room waiting room at each TV size, quiet and while announcing: Room 1 calls, Room 2 calls a second
 * later, and the shot is taken while Room 2's newer call is said first.
 */
function displayShots(): Shot[] {
  return [
    { suffix: '1366', viewport: SMALL },
    { suffix: '1920', viewport: LARGE },
    { suffix: '3840', viewport: TV_4K },
  ].flatMap(({ suffix, viewport }): Shot[] => [
    { name: `display-${suffix}`, fake: { role: 'display' }, viewport },
    {
      name: `display-announcing-${suffix}`,
      fake: { role: 'display' },
      viewport,
      act: async (page) => {
        await page.evaluate(() => (window as unknown as FakeInPage).__fakeClinic.callNextFor(0));
        await page.waitForTimeout(1000);
        await page.evaluate(() => (window as unknown as FakeInPage).__fakeClinic.callNextFor(1));
        await page.waitForSelector('[data-testid="room-tile"][data-room-name="Room 2"][data-speaking="true"]');
      },
    },
  ]);
}

/** The registration form empty, checked while typing, refused field by field, and accepted, at one screen size. */
function registrationShots(viewport: Shot['viewport'], suffix: string): Shot[] {
  const shot = (name: string, act: (page: Page) => Promise<void>): Shot => ({
    name: `${name}${suffix}`,
    fake: { role: 'reception', signedIn: true },
    viewport,
    act: async (page) => {
      await page.getByTestId('register-open').click();
      await act(page);
    },
  });
  return [
    shot('reception-register-empty', (page) => page.getByTestId('register-nric').waitFor()),
    shot('reception-register-typing', async (page) => {
      await page.getByTestId('register-nric').pressSequentially('s1234567a');
      await page.getByTestId('register-nric-problem').waitFor();
    }),
    shot('reception-register-errors', async (page) => {
      await page.getByTestId('register-nric').fill('S1234567A');
      await page.getByTestId('register-submit').click();
      await page.getByTestId('register-dob-problem').waitFor();
    }),
    shot('reception-register-field-errors', async (page) => {
      await page.getByTestId('register-nric').fill('T0123456');
      await page.getByTestId('register-name').fill(' A ');
      await page.getByTestId('register-dob').fill('1958-03-07');
      await page.getByTestId('register-gender').selectOption('male');
      await page.getByTestId('register-phone').fill('1234 5678');
      await page.getByTestId('register-submit').click();
      await page.getByTestId('register-phone-problem').waitFor();
    }),
    shot('reception-register-filled', async (page) => {
      await page.getByTestId('register-nric').fill('S8876543E');
      await page.getByTestId('register-name').fill('Tan Hui Yi');
      await page.getByTestId('register-native-name').fill('陈慧怡');
      await page.getByTestId('register-dob').fill('7/3/1958');
      await page.getByTestId('register-gender').selectOption('female');
      await page.getByTestId('register-phone').fill('96612840');
      await page.getByTestId('register-phone').blur();
      await page.waitForFunction(() => (document.querySelector('[data-testid="register-dob"]') as HTMLInputElement | null)?.value === '07/03/1958');
    }),
    shot('reception-registered', async (page) => {
      await fillRegistration(page, 'M1234567K');
      await page.getByTestId('register-submit').click();
      await page.getByTestId('issue-ticket').waitFor();
    }),
  ];
}

async function fillRegistration(page: Page, nric: string): Promise<void> {
  await page.getByTestId('register-nric').fill(nric);
  await page.getByTestId('register-name').fill('Ong Bee Hoon');
  await page.getByTestId('register-native-name').fill('王美云');
  await page.getByTestId('register-dob').fill('15/06/1990');
  await page.getByTestId('register-gender').selectOption('female');
  await page.getByTestId('register-phone').fill('9876 5432');
}

/** A fresh page on the fake station for one shot, with the shot's clock, size and locale; problems collects page errors. */
export async function openShotPage(browser: Browser, shot: Shot, fake: string) {
  const context = await browser.newContext({ viewport: shot.viewport, locale: 'en-SG', timezoneId: 'Asia/Singapore' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.clock.setFixedTime(new Date(NOW));
  const options: FakeClinicOptions = { now: NOW, ...shot.fake };
  await page.addInitScript({ content: `window.__fakeClinicOptions = ${JSON.stringify(options)};\n${fake}` });
  return { context, page, problems };
}

/** Loads the screen and brings it to the shot's state. */
export async function showShot(page: Page, url: string, shot: Shot): Promise<void> {
  await page.goto(`${url}${shot.hash ?? ''}`);
  await page.waitForSelector('.app, .signin, .display');
  await page.waitForLoadState('networkidle');
  await shot.act?.(page);
  await page.waitForTimeout(300);
}

async function main(): Promise<void> {
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error('dist/renderer is missing: run `npx vite build` first.');
  }
  mkdirSync(outDir, { recursive: true });
  const only = process.argv.slice(2);
  const server = await serveDist();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const fake = await fakeBundle();
  let browser: Browser | null = null;
  const failures: string[] = [];
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const shot of shots) {
      if (only.length && !only.includes(shot.name)) continue;
      const { context, page, problems } = await openShotPage(browser, shot, fake);
      try {
        await showShot(page, url, shot);
        const file = join(outDir, `${shot.name}.png`);
        await page.screenshot({ path: file });
        console.log(`${problems.length ? 'WARN' : 'ok  '} ${file}${problems.length ? `\n     ${problems.join('\n     ')}` : ''}`);
        if (problems.length) failures.push(shot.name);
      } catch (error) {
        failures.push(shot.name);
        await page.screenshot({ path: join(outDir, `${shot.name}.failed.png`) }).catch(() => undefined);
        console.error(`FAIL ${shot.name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser?.close();
    server.close();
  }
  if (failures.length) {
    console.error(`${failures.length} screen(s) had problems: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
