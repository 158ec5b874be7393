import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shot } from '../support/screenshots';
import { startFakeScreens, type FakeScreens } from '../support/fake-screens';

/*
 * Issue 11, item 18, in Chromium on the in-memory station: a burst of messages never stacks more than two toasts, and
 * they stay off the queue, the search and a dialog's buttons; a form's problems are sentences beside their fields.
 */
type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function boxes(locator: Locator): Promise<Box[]> {
  const found: Box[] = [];
  for (const element of await locator.all()) {
    const box = await element.boundingBox();
    if (box) found.push(box);
  }
  return found;
}

describe('messages that do not get in the way', () => {
  let screens: FakeScreens;

  beforeAll(async () => {
    screens = await startFakeScreens();
  });

  afterAll(async () => {
    await screens?.close();
  });

  it('four quick corrections leave at most two toasts, none over the queue, the search or the register dialog’s buttons', { timeout: 60_000 }, async () => {
    const shot: Shot = { name: 'toasts', fake: { role: 'reception', signedIn: true }, viewport: { width: 1366, height: 768 } };
    const { context, page } = await screens.open(shot);
    try {
      const waiting = page.locator('[data-testid="queue-row"][data-status="waiting"]').first();
      for (const priority of [2, 0, 2, 0]) {
        await waiting.getByTestId('ticket-change').click();
        await page.getByTestId(`priority-${priority}`).click();
        await page.getByTestId('ticket-actions').waitFor({ state: 'detached' });
      }
      const toasts = page.getByTestId('toast');
      expect(await toasts.count()).toBeGreaterThan(0);
      expect(await toasts.count()).toBeLessThanOrEqual(2);
      const toastBoxes = await boxes(toasts);
      const work = [...(await boxes(page.getByTestId('queue-row'))), ...(await boxes(page.getByTestId('search-input')))];
      expect(toastBoxes.flatMap((t) => work.filter((w) => overlaps(t, w)))).toEqual([]);

      await page.getByTestId('register-open').click();
      const buttons = await boxes(page.locator('.dialog button'));
      expect(buttons.length).toBeGreaterThan(0);
      expect(toastBoxes.flatMap((t) => buttons.filter((b) => overlaps(t, b)))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a board form left empty says what to fill in, beside each field, in sentences', { timeout: 60_000 }, async () => {
    const shot: Shot = { name: 'board-form', fake: { role: 'reception', signedIn: true }, viewport: { width: 1366, height: 768 } };
    const { context, page } = await screens.open(shot);
    try {
      await page.getByTestId('devices-open').click();
      await page.getByTestId('board-add').click();
      expect(await page.getByTestId('board-name-problem').innerText()).toBe('Give the board a name.');
      expect(await page.getByTestId('board-address-problem').innerText()).toBe('Enter the serial port or host:port.');
      expect(await page.getByTestId('board-name').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('.devices').innerText()).not.toMatch(/\b(name|address): /);
    } finally {
      await context.close();
    }
  });

  it('the manager is told in words when the check-in window is not a number; a nurse marks a patient urgent in one press', { timeout: 60_000 }, async () => {
    const asAdmin: Shot = { name: 'admin', fake: { role: 'reception', signedInAs: 'admin' }, viewport: { width: 1366, height: 768 } };
    const admin = await screens.open(asAdmin);
    try {
      await admin.page.getByTestId('check-in-window-edit').click();
      await admin.page.getByTestId('check-in-window-minutes').fill('90a');
      await admin.page.getByTestId('check-in-window-save').click();
      expect(await admin.page.getByTestId('check-in-window-problem').innerText()).toBe('Enter a whole number of minutes, from 0 to 720.');
      await admin.page.getByTestId('check-in-window-minutes').fill('90');
      await admin.page.getByTestId('check-in-window-save').click();
      await expect.poll(() => admin.page.getByTestId('check-in-window').innerText()).toContain('Check-in opens 90 min before');
    } finally {
      await admin.context.close();
    }

    const asNurse: Shot = { name: 'nurse', fake: { role: 'reception', signedInAs: 'nurse' }, viewport: { width: 1366, height: 768 } };
    const nurse = await screens.open(asNurse);
    try {
      const waiting = nurse.page.locator('[data-testid="queue-row"][data-status="waiting"]');
      const order = () => waiting.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ticket-number')));
      const before = await order();
      const number = before[before.length - 1]!;
      const urgentAlready = await waiting.evaluateAll((rows) => rows.filter((r) => r.textContent?.includes('Not urgent')).length);
      await waiting.last().getByTestId('triage-urgent').click();
      // Behind the patients already urgent, ahead of everyone else.
      await expect.poll(async () => (await order()).indexOf(number)).toBe(urgentAlready);
      expect(await nurse.page.locator(`[data-testid="queue-row"][data-ticket-number="${number}"]`).innerText()).toContain('Not urgent');
    } finally {
      await nurse.context.close();
    }
  });
});
