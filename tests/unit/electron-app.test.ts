import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coresReady, startTestApp, THREE_STATIONS } from '../support/electron-app';

/*
 * The app's lifecycle: one copy per PC, pages without permissions, a core process per station from
 * the station list, a clear refusal when the list is wrong, updates only when installed, and the
 * cores stopped cleanly on quit.
 */
describe('the Electron app', () => {
  it('quits at once, opening nothing, when another copy holds the single-instance lock', async () => {
    const { fake, logs } = await startTestApp({ gotLock: false });
    expect(fake.app.lockRequested).toBe(true);
    expect(fake.app.quitRequested).toBe(1);
    expect(fake.windows).toEqual([]);
    expect(fake.utilityProcesses).toEqual([]);
    expect(logs.join('\n')).toMatch(/already running/);
  });

  it('brings the first window forward when the app is started again', async () => {
    const { fake } = await startTestApp({ gotLock: true });
    const first = fake.windows[0]!;
    first.minimize();
    fake.app.launchAgain();
    expect(first.isMinimized()).toBe(false);
    expect(first.focused).toBe(1);
  });

  it('denies every permission request and check, and every device', async () => {
    const { fake } = await startTestApp();
    const contents = fake.windows[0]!.webContents;
    for (const permission of ['media', 'geolocation', 'notifications', 'fullscreen', 'clipboard-read', 'serial', 'hid', 'usb', 'openExternal']) {
      await expect(fake.session.request(contents, permission), permission).resolves.toBe(false);
      expect(fake.session.check(contents, permission), permission).toBe(false);
    }
    expect(fake.session.checkDevice({ deviceType: 'serial', origin: 'app://station' })).toBe(false);
  });

  it('starts one core process per station with its configuration, paths resolved against the list', async () => {
    const app = await startTestApp();
    expect(app.fake.utilityProcesses.map((p) => [p.modulePath, p.options.serviceName])).toEqual([
      ['/app/dist/electron/core-process.cjs', 'Station core T-RECEPTION'],
      ['/app/dist/electron/core-process.cjs', 'Station core T-CONSULT'],
      ['/app/dist/electron/core-process.cjs', 'Station core T-DISPLAY'],
    ]);
    await coresReady(app, 3);
    expect(app.cores.get('T-CONSULT')!.config).toEqual({
      dataDir: join(app.folder, 'user-data', 'stations', 'T-CONSULT'),
      stationCode: 'T-CONSULT',
      role: 'consult',
      identityFile: join(app.folder, 'user-data', 'stations', 'T-CONSULT', 'identity.json'),
      keyFile: join(app.folder, 'keys', 'local-key.json'),
    });
  });

  it('reads <userData>/stations.json when no --stations is given, and asks to enrol when there is none', async () => {
    const app = await startTestApp({ stations: null, argv: [] });
    expect(app.fake.errorBoxes).toEqual([]);
    expect(app.fake.windows.map((w) => w.loadedUrl)).toEqual(['app://station/index.html#first-run']);
    mkdirSync(join(app.folder, 'user-data'), { recursive: true });
    writeFileSync(join(app.folder, 'user-data', 'stations.json'), JSON.stringify(THREE_STATIONS));
    const second = await startTestApp({ stations: null, argv: [], userData: join(app.folder, 'user-data') });
    expect(second.fake.windows).toHaveLength(3);
  });

  it('shows a clear error and exits 1 when the station list is missing, not JSON, or invalid', async () => {
    const missing = await startTestApp({ stations: null });
    expect(missing.fake.errorBoxes).toEqual([{ title: 'Gabriel Clinic Workstation cannot start', content: expect.stringContaining('There is no station list at') }]);
    expect(missing.fake.app.exitCode).toBe(1);
    expect(missing.fake.windows).toEqual([]);
    expect(missing.logs).toContain(missing.fake.errorBoxes[0]!.content);

    const broken = await startTestApp({ stations: '{"stations": [' });
    expect(broken.fake.errorBoxes[0]!.content).toMatch(/^The station list .*stations\.json is not valid JSON: /);
    expect(broken.fake.app.exitCode).toBe(1);

    const [reception, consult] = THREE_STATIONS.stations;
    const invalid = await startTestApp({
      stations: { stations: [reception!, { ...consult!, keyFile: '' }, { ...reception!, role: 'pharmacy' as never }] },
    });
    const content = invalid.fake.errorBoxes[0]!.content;
    expect(content).toContain('stations.1.keyFile: KeyFile is required.');
    expect(content).toContain('stations.2.role: Role must be one of: reception, consult, display.');
    expect(invalid.fake.app.exitCode).toBe(1);
    expect(invalid.fake.utilityProcesses).toEqual([]);

    const twice = await startTestApp({ stations: { stations: [reception!, consult!, reception!] } });
    expect(twice.fake.errorBoxes[0]!.content).toMatch(/is not valid: stations\.2\.code: T-RECEPTION is listed twice\.$/);

    const noFile = await startTestApp({ argv: ['--stations'] });
    expect(noFile.fake.errorBoxes[0]!.content).toMatch(/^--stations needs the path of a station list/);
  });

  it('checks for updates only when installed', async () => {
    expect((await startTestApp({ isPackaged: false })).updateChecks()).toBe(0);
    expect((await startTestApp({ isPackaged: true })).updateChecks()).toBe(1);
  });

  it('stops every core cleanly before quitting', async () => {
    const app = await startTestApp();
    await coresReady(app, 3);
    app.fake.app.quit();
    expect(app.fake.app.quitted).toBe(false);
    await waitUntil(() => app.fake.app.quitted);
    for (const core of app.cores.values()) expect(core.stopped).toBe(true);
    expect(app.fake.utilityProcesses.map((p) => [p.exitCode, p.killed])).toEqual([
      [0, false],
      [0, false],
      [0, false],
    ]);
  });

  it('quits when the last window closes', async () => {
    const app = await startTestApp();
    await coresReady(app, 3);
    for (const window of app.fake.windows) window.close();
    expect(app.fake.app.quitRequested).toBe(1);
    await waitUntil(() => app.fake.app.quitted);
  });
});

async function waitUntil(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
