import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { fakeBundle, openShotPage, serveDist, shots, showShot } from '../support/screenshots';

/*
 * axe-core on every screen and state the screenshots show (sign-in, reception with its dialogs and panels, consult,
 * display, devices, stations, first run), against the in-memory station: no serious or critical finding, and each
 * screen has its one top-level heading.
 */
describe('accessibility of every screen', () => {
  let server: Server;
  let url: string;
  let fake: string;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveDist();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    fake = await fakeBundle();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('finds no serious or critical problem, and an h1 on each screen', { timeout: 240_000 }, async () => {
    const findings: string[] = [];
    for (const shot of shots) {
      const { context, page } = await openShotPage(browser, shot, fake);
      try {
        await showShot(page, url, shot);
        const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
        for (const v of result.violations) {
          if (v.impact === 'serious' || v.impact === 'critical') {
            findings.push(`${shot.name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
          }
        }
        if ((await page.locator('h1').count()) !== 1) findings.push(`${shot.name}: ${await page.locator('h1').count()} h1 elements`);
      } finally {
        await context.close();
      }
    }
    expect(findings).toEqual([]);
  });
});
