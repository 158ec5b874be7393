import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shots } from '../support/screenshots';
import { startFakeScreens, type FakeScreens } from '../support/fake-screens';

/*
 * axe-core on every screen and state the screenshots show (sign-in, reception with its dialogs and panels, consult,
 * display, devices, stations, first run), against the in-memory station: no serious or critical finding, and each
 * screen has its one top-level heading.
 */
describe('accessibility of every screen', () => {
  let screens: FakeScreens;

  beforeAll(async () => {
    screens = await startFakeScreens();
  });

  afterAll(async () => {
    await screens?.close();
  });

  // One state of each screen and each dialog or panel on it, at the size it is mostly used; every shot would be twice
  // as slow for layouts that differ only in size.
  const states = [
    'signin',
    'reception-issued',
    'reception-register-duplicate',
    'reception-appointment-offer',
    'reception-queue-change',
    'reception-queue-cancel-1920',
    'reception-first-load-and-attention',
    'devices-reception-1366',
    'stations-admin-1366',
    'consult',
    'display-announcing-1920',
    'display-signin-1366',
    'first-run-problems-1366',
  ];

  it('covers states that exist in the screenshot set', () => {
    expect(states.filter((name) => !shots.some((s) => s.name === name))).toEqual([]);
  });

  it.each(states)('%s: no serious or critical axe finding, and one h1', { timeout: 60_000 }, async (name) => {
    const shot = shots.find((s) => s.name === name)!;
    const { context, page } = await screens.open(shot);
    try {
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
      const findings = result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(findings).toEqual([]);
      expect(await page.locator('h1').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
