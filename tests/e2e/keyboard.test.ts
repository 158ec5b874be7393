import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shot } from '../support/screenshots';
import { startFakeScreens, type FakeScreens } from '../support/fake-screens';

/*
 * Issue 11, item 16, in Chromium on the in-memory station: focus starts where the work starts, dialogs keep Tab
 * inside and ask before throwing typed work away, and reception works from the keyboard (F2, F3, F4).
 */
const testIdOfFocus = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);
const focusInside = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.contains(document.activeElement) ?? false, selector);

describe('the keyboard at the desk and in the consult room', () => {
  let screens: FakeScreens;

  beforeAll(async () => {
    screens = await startFakeScreens();
  });

  afterAll(async () => {
    await screens?.close();
  });

  async function signedIn(role: 'reception' | 'consult', username: string) {
    const shot: Shot = { name: role, fake: { role }, viewport: { width: 1366, height: 768 } };
    const opened = await screens.open(shot);
    await opened.page.getByTestId('signin-username').fill(username);
    await opened.page.getByTestId('signin-password').fill('demo1234');
    await opened.page.getByTestId('signin-submit').click();
    return opened;
  }

  it('reception: search has focus after sign-in; F3 registers, F2 searches, F4 issues; the dialog keeps Tab and asks before discarding', { timeout: 90_000 }, async () => {
    const { context, page } = await signedIn('reception', 'reception');
    try {
      await expect.poll(() => testIdOfFocus(page)).toBe('search-input');

      await page.keyboard.press('F3');
      await page.getByTestId('register-nric').waitFor();
      await expect.poll(() => testIdOfFocus(page)).toBe('register-nric');
      for (let i = 0; i < 25; i += 1) {
        await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
        expect(await focusInside(page, '.dialog')).toBe(true);
      }

      await page.getByTestId('register-name').fill('Ong Bee Hoon');
      await page.keyboard.press('Escape');
      await page.getByTestId('discard-confirm').waitFor();
      await expect.poll(() => testIdOfFocus(page)).toBe('discard-keep');
      await page.keyboard.press('Enter');
      expect(await page.getByTestId('discard-confirm').count()).toBe(0);
      expect(await page.getByTestId('register-name').inputValue()).toBe('Ong Bee Hoon');

      await page.mouse.click(5, 400);
      await page.getByTestId('discard-yes').click();
      expect(await page.getByTestId('register-nric').count()).toBe(0);
      await expect.poll(() => testIdOfFocus(page)).toBe('search-input');

      await page.keyboard.press('F3');
      await page.getByTestId('register-nric').waitFor();
      await page.keyboard.press('Escape');
      expect(await page.getByTestId('register-nric').count()).toBe(0);

      await page.getByTestId('devices-open').click();
      await page.getByTestId('devices').waitFor();
      for (let i = 0; i < 30; i += 1) {
        await page.keyboard.press('Tab');
        expect(await focusInside(page, '.devices-overlay')).toBe(true);
      }
      await page.keyboard.press('Escape');
      expect(await page.getByTestId('devices').count()).toBe(0);

      await page.getByTestId('queue-row').first().click();
      await page.keyboard.press('F2');
      await expect.poll(() => testIdOfFocus(page)).toBe('search-input');
      await page.keyboard.type('567D');
      await page.getByTestId('search-result').first().click();
      await page.getByTestId('selected-patient').waitFor();
      await page.keyboard.press('F4');
      await page.getByTestId('issued-ticket-number').waitFor();
      expect(await page.getByTestId('issued-ticket-number').innerText()).toMatch(/^[A-Z]\d{3}$/);
    } finally {
      await context.close();
    }
  });

  it('consult: focus is on Complete while a patient is in the room, then on Call next', { timeout: 60_000 }, async () => {
    const { context, page } = await signedIn('consult', 'doctor1');
    try {
      await expect.poll(() => testIdOfFocus(page)).toBe('complete');
      await page.keyboard.press('Enter');
      await expect.poll(() => testIdOfFocus(page)).toBe('call-next');
    } finally {
      await context.close();
    }
  });
});
