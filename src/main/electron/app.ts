import { parseArgs } from 'node:util';
import { eventNames } from '../../shared/contract';
import { CoreHost } from './core-host';
import type { ElectronApi, WindowLike } from './electron-api';
import { EVENT_CHANNEL } from '../../shared/electron-ipc';
import { ValidatedIpc, registerStationCalls } from './ipc';
import { APP_SCHEME, appProtocolHandler } from './protocol';
import { StationsFileError, readStationsFile, stationsFilePath, type StationPlan } from './stations-file';
import { startUpdater, type UpdaterLike } from './updater';
import { STATION_START_URL, denyAllPermissions, followDisplays, hardenWebContents, stationWindowOptions } from './windows';

/*
 * The Electron host, composed: one window and one core process per station of this PC, the
 * renderer from app://, calls relayed from each window to its own core. The Electron API comes in
 * as a parameter so every rule here can be tested under plain Node with a fake of it.
 */

export interface AppOptions {
  /** process.argv after the executable (and, unpackaged, after the app folder). */
  argv: string[];
  preloadPath: string;
  /** The bundled core-process entry, run in each utilityProcess. */
  coreEntryPath: string;
  rendererRoot: string;
  updater: () => UpdaterLike;
  log?: (line: string) => void;
  /** For tests: how a crashed core's restarts are paced. */
  restartDelaysMs?: number[];
}

interface OpenStation {
  window: WindowLike;
  host: CoreHost;
}

const TITLE = 'Gabriel Clinic Workstation';

/** Resolves once the windows are open, or the app has decided it cannot start (and is exiting). */
export function runApp(electron: ElectronApi, options: AppOptions): Promise<void> {
  const { app } = electron;
  const log = options.log ?? ((line: string) => console.log(line));
  // Both must happen before the app is ready. The sandbox for every renderer, not only those whose
  // options ask for it: a window opened by mistake without the option is still sandboxed.
  app.enableSandbox();
  electron.protocol.registerSchemesAsPrivileged([APP_SCHEME]);

  // Two copies would run two cores on the same station folders and SQLite files.
  if (!app.requestSingleInstanceLock()) {
    log(`${TITLE} is already running on this PC; bringing its windows forward instead.`);
    app.quit();
    return Promise.resolve();
  }

  const stations = new Map<number, OpenStation>();
  const hosts: CoreHost[] = [];

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));
  app.on('second-instance', () => {
    const first = [...stations.values()][0]?.window;
    if (!first) return;
    if (first.isMinimized()) first.restore();
    first.focus();
  });
  app.on('window-all-closed', () => app.quit());

  let stopping: Promise<void> | null = null;
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped || hosts.length === 0) return;
    // Each core closes its SQLite cache and finishes its push before the app goes.
    event.preventDefault();
    stopping ??= Promise.all(hosts.map((host) => host.stop())).then(() => {
      stopped = true;
      app.quit();
    });
  });

  registerStationCalls(new ValidatedIpc(electron.ipcMain, (id) => stations.has(id), log), (id) => stations.get(id)?.host);

  const cannotStart = (message: string) => {
    log(message);
    electron.dialog.showErrorBox(`${TITLE} cannot start`, message);
    app.exit(1);
  };

  const openStation = (plan: StationPlan): void => {
    const host = new CoreHost(electron, { entryPath: options.coreEntryPath, config: plan.core, log, restartDelaysMs: options.restartDelaysMs });
    hosts.push(host);
    // A core that cannot start says why in its window (every call answers with the reason) and in the log.
    host.start().catch(() => undefined);
    const window = new electron.BrowserWindow(stationWindowOptions({ code: plan.code, role: plan.role }, options.preloadPath));
    const contents = window.webContents;
    stations.set(contents.id, { window, host });
    const unsubscribes = eventNames.map((name) =>
      host.on(name, (payload) => {
        if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload);
      }),
    );
    window.on('closed', () => {
      stations.delete(contents.id);
      for (const unsubscribe of unsubscribes) unsubscribe();
    });
    if (plan.role === 'display') followDisplays(electron.screen, window, plan.displayMonitor);
    window.loadURL(STATION_START_URL).catch((error: unknown) => log(`Station ${plan.code} could not load its screen: ${String(error)}`));
  };

  return app
    .whenReady()
    .then(() => {
      denyAllPermissions(electron.session.defaultSession, log);
      electron.protocol.handle(APP_SCHEME.scheme, appProtocolHandler({ rendererRoot: options.rendererRoot, fetchFile: (url) => electron.net.fetch(url), log }));

      const argv = parseStationsArg(options.argv);
      if (argv.error) return cannotStart(argv.error);
      let plans: StationPlan[];
      try {
        plans = readStationsFile(stationsFilePath(argv.path, app.getPath('userData')), app.getPath('userData'));
      } catch (error) {
        if (error instanceof StationsFileError) return cannotStart(error.message);
        throw error;
      }
      for (const plan of plans) openStation(plan);
      startUpdater(app, options.updater, log);
    })
    .catch((error: unknown) => cannotStart(`Something went wrong while starting: ${error instanceof Error ? error.message : String(error)}`));
}

function parseStationsArg(argv: string[]): { path?: string; error?: string } {
  // Not strict: Chromium and the OS add switches of their own.
  const { values } = parseArgs({ args: argv, options: { stations: { type: 'string' } }, strict: false, allowPositionals: true });
  if (values.stations === undefined) return {};
  if (typeof values.stations !== 'string' || !values.stations) return { error: '--stations needs the path of a station list, e.g. --stations C:\\Clinic\\stations.json' };
  return { path: values.stations };
}
