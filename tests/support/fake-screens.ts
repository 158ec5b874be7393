import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { fakeBundle, openShotPage, serveDist, showShot, type Shot } from './screenshots';

/** The built renderer served over loopback with the in-memory station, in Chromium: for screen tests that need no database. */
export async function startFakeScreens() {
  const server = await serveDist();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const fake = await fakeBundle();
  const browser: Browser = await launchChromium();
  return {
    /** A fresh page brought to the shot's state; close its context when done. */
    async open(shot: Shot) {
      const opened = await openShotPage(browser, shot, fake);
      try {
        await showShot(opened.page, url, shot);
      } catch (error) {
        await opened.context.close();
        throw error;
      }
      return opened;
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
}
export type FakeScreens = Awaited<ReturnType<typeof startFakeScreens>>;
