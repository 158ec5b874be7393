import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/contract';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../src/shared/electron-ipc';
import { ValidatedIpc } from '../../src/main/electron/ipc';
import { coresReady, startTestApp } from '../support/electron-app';
import { FakeFrame } from '../support/fake-electron';

const FORBIDDEN = { ok: false, error: { code: 'forbidden', message: 'This window may not call the station.' } };

/*
 * Calls from the pages reach a station only from the main frame of one of our station windows,
 * showing app://station/ (VS Code's validatedIpcMain checks), and only that window's own station.
 */
describe('IPC from the pages', () => {
  it('carries a station window’s call to its own core process and back', async () => {
    const app = await startTestApp();
    const [reception, consult] = app.fake.windows;
    const answer = await app.fake.ipcMain.invoke(consult!.webContents, CALL_CHANNEL, ['station.info', {}]);
    expect(answer).toMatchObject({ ok: true, value: { stationCode: 'T-CONSULT', role: 'consult' } });
    await app.fake.ipcMain.invoke(reception!.webContents, CALL_CHANNEL, ['station.info', {}]);
    expect(app.cores.get('T-CONSULT')!.calls).toEqual([{ method: 'station.info', input: {} }]);
    expect(app.cores.get('T-RECEPTION')!.calls).toEqual([{ method: 'station.info', input: {} }]);
  });

  it('refuses a call from a subframe, even one showing app://station/', async () => {
    const app = await startTestApp();
    const { webContents } = app.fake.windows[0]!;
    await expect(app.fake.ipcMain.invoke(webContents, CALL_CHANNEL, ['station.info', {}], webContents.subframe('app://station/index.html'))).resolves.toEqual(FORBIDDEN);
    expect(app.logs.some((l) => l.includes('subframe'))).toBe(true);
  });

  it('refuses a call from any other origin', async () => {
    const app = await startTestApp();
    const { webContents } = app.fake.windows[0]!;
    for (const url of ['https://evil.example/', 'app://station.evil/index.html', 'app://evil/index.html', 'file:///tmp/index.html', 'about:blank']) {
      await expect(app.fake.ipcMain.invoke(webContents, CALL_CHANNEL, ['station.info', {}], new FakeFrame(url)), url).resolves.toEqual(FORBIDDEN);
    }
    await expect(app.fake.ipcMain.invoke(webContents, CALL_CHANNEL, ['station.info', {}], null)).resolves.toEqual(FORBIDDEN);
  });

  it('refuses a call from a webContents that is not one of our station windows', async () => {
    const app = await startTestApp();
    const stray = app.fake.strayWebContents();
    stray.mainFrame.url = 'app://station/index.html';
    await expect(app.fake.ipcMain.invoke(stray, CALL_CHANNEL, ['station.info', {}])).resolves.toEqual(FORBIDDEN);

    const closed = app.fake.windows[0]!;
    closed.close();
    await expect(app.fake.ipcMain.invoke(closed.webContents, CALL_CHANNEL, ['station.info', {}])).resolves.toEqual(FORBIDDEN);
    await coresReady(app, 3);
    for (const core of app.cores.values()) expect(core.calls).toEqual([]);
  });

  it('answers an unknown method as not_found without reaching the core', async () => {
    const app = await startTestApp();
    const { webContents } = app.fake.windows[0]!;
    for (const method of ['toString', '__proto__', 'no.such', 42]) {
      const answer = await app.fake.ipcMain.invoke(webContents, CALL_CHANNEL, [method, {}]);
      expect(answer).toEqual({ ok: false, error: { code: 'not_found', message: `Unknown method ${String(method)}` } });
    }
    await coresReady(app, 3);
    expect(app.cores.get('T-RECEPTION')!.calls).toEqual([]);
  });

  it('relays the core’s ApiError as a plain body', async () => {
    const app = await startTestApp({
      answers: {
        'patients.search': () => {
          throw new ApiError('not_signed_in', 'Sign in first.');
        },
      },
    });
    const answer = await app.fake.ipcMain.invoke(app.fake.windows[0]!.webContents, CALL_CHANNEL, ['patients.search', { query: 'tan' }]);
    expect(answer).toEqual({ ok: false, error: { code: 'not_signed_in', message: 'Sign in first.' } });
  });

  it('sends a station’s events to its own window only, and stops when the window closes', async () => {
    const app = await startTestApp();
    await coresReady(app, 3);
    // A core forwards events once it is serving; an answered call proves each one is.
    for (const window of app.fake.windows) await app.fake.ipcMain.invoke(window.webContents, CALL_CHANNEL, ['station.info', {}]);
    const [reception, consult, display] = app.fake.windows;
    app.cores.get('T-CONSULT')!.emit('queue.changed', { at: '2026-03-02T09:00:00.000+08:00' });
    await expectSoon(() => consult!.webContents.sent.length === 1);
    expect(consult!.webContents.sent).toEqual([{ channel: EVENT_CHANNEL, args: ['queue.changed', { at: '2026-03-02T09:00:00.000+08:00' }] }]);
    expect(reception!.webContents.sent).toEqual([]);
    expect(display!.webContents.sent).toEqual([]);

    consult!.close();
    app.cores.get('T-CONSULT')!.emit('queue.changed', { at: '2026-03-02T09:01:00.000+08:00' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(consult!.webContents.sent).toHaveLength(1);
  });

  it('registers only channels under clinic:', () => {
    const ipc = new ValidatedIpc({ handle: () => undefined }, () => true, () => undefined);
    expect(() => ipc.handle('other:call', async () => ({ ok: true, value: null }))).toThrow(/must start with clinic:/);
  });
});

async function expectSoon(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
