import { describe, expect, it } from 'vitest';
import { startTestApp, THREE_STATIONS } from '../support/electron-app';

/*
 * The Electron security checklist, as the app applies it: every station window isolated and
 * sandboxed, no page leaving app://station/, no new windows, no webviews.
 */
describe('station windows', () => {
  it('opens one window per station, each isolated, sandboxed, without Node and with web security', async () => {
    const { fake } = await startTestApp();
    expect(fake.app.sandboxEnabled).toBe(true);
    expect(fake.windows).toHaveLength(3);
    for (const window of fake.windows) {
      expect(window.options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        webviewTag: false,
        preload: '/app/dist/electron/preload.cjs',
      });
      expect(window.loadedUrl).toBe('app://station/index.html');
    }
    expect(fake.windows.map((w) => w.options.title)).toEqual([
      'Gabriel Clinic — reception (T-RECEPTION)',
      'Gabriel Clinic — consult (T-CONSULT)',
      'Gabriel Clinic — display (T-DISPLAY)',
    ]);
  });

  it('prevents navigation and redirects away from app://station/', async () => {
    const { fake } = await startTestApp();
    for (const { webContents } of fake.windows) {
      for (const url of ['https://evil.example/', 'app://station.evil/index.html', 'app://other/index.html', 'file:///etc/passwd', 'http://127.0.0.1:5170/']) {
        expect(webContents.navigate(url), url).toBe(false);
        expect(webContents.redirect(url), url).toBe(false);
      }
      expect(webContents.mainFrame.url).toBe('app://station/index.html');
      expect(webContents.navigate('app://station/index.html#reload')).toBe(true);
    }
  });

  it('denies window.open and webviews, in station windows and in any other webContents', async () => {
    const { fake } = await startTestApp();
    const stray = fake.strayWebContents();
    for (const contents of [...fake.windows.map((w) => w.webContents), stray]) {
      expect(contents.openWindow('https://evil.example/')).toBe('deny');
      expect(contents.openWindow('app://station/index.html')).toBe('deny');
      expect(contents.attachWebview()).toBe(false);
      expect(contents.navigate('https://evil.example/')).toBe(false);
    }
  });

  it('puts the display fullscreen on the monitor that is not the desk’s, and brings it back when the TV returns', async () => {
    const desk = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } };
    const tv = { id: 2, bounds: { x: 1920, y: 0, width: 3840, height: 2160 } };
    const { fake } = await startTestApp({ displays: [desk, tv] });
    const display = fake.windows[2]!;
    expect(display.bounds).toEqual(tv.bounds);
    expect(display.fullScreen).toBe(true);
    expect(fake.windows[0]!.bounds).toBeNull();

    fake.screen.unplug(2);
    expect(display.bounds).toEqual(desk.bounds);
    fake.screen.plug(tv);
    expect(display.bounds).toEqual(tv.bounds);
  });

  it('uses the monitor the station list names for the display', async () => {
    const monitors = [1, 2, 3].map((id) => ({ id, bounds: { x: (id - 1) * 1920, y: 0, width: 1920, height: 1080 } }));
    const stations = { stations: THREE_STATIONS.stations.map((s) => (s.role === 'display' ? { ...s, displayMonitor: 3 } : s)) };
    const { fake } = await startTestApp({ displays: monitors, stations });
    expect(fake.windows[2]!.bounds).toEqual(monitors[2]!.bounds);
  });
});
