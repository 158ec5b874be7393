import { parseArgs } from 'node:util';
import { eventNames } from '../../shared/contract';
import { CoreHost } from './core-host';
import type { ElectronApi, WindowLike } from './electron-api';
import { EVENT_CHANNEL, FIRST_RUN_CHANNEL, type CallResult } from '../../shared/electron-ipc';
import { describeIssues, ApiError } from '../../shared/contract';
import { firstRunInputSchema } from '../../shared/first-run-contract';
import { enrolThisPc } from '../enrolment/first-run';
import { ValidatedIpc, registerStationCalls } from './ipc';
import { APP_SCHEME, appProtocolHandler } from './protocol';
import { StationsFileError, readStationsFile, stationsFilePath, type StationPlan } from './stations-file';
import { startUpdater, type UpdaterLike } from './updater';
import { FIRST_RUN_URL, STATION_START_URL, denyAllPermissions, firstRunWindowOptions, followDisplays, hardenWebContents, stationWindowOptions } from './windows';

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
/** How long the first-run screen says who this PC now is before it gives way to the station's window. */
const FIRST_RUN_THANKS_MS = 1500;

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

  // The one window of a PC that is not enrolled yet; enrolling turns it into the station's own window.
  let firstRun: WindowLike | null = null;
  new ValidatedIpc(electron.ipcMain, (id) => firstRun?.webContents.id === id, log).handle(FIRST_RUN_CHANNEL, async (_event, raw): Promise<CallResult> => {
    const input = firstRunInputSchema.safeParse(raw);
    if (!input.success) return { ok: false, error: new ApiError('validation', describeIssues(input.error)).toBody() };
    const userData = app.getPath('userData');
    const stationsFile = stationsFilePath(undefined, userData);
    try {
      const enrolled = await enrolThisPc(input.data, { userData, stationsFile }, electron.safeStorage);
      log(`Enrolled this PC as ${enrolled.role} station ${enrolled.stationCode} of ${enrolled.clinicName}.`);
      const window = firstRun;
      firstRun = null;
      for (const plan of readStationsFile(stationsFile, userData, electron.safeStorage)) openStation(plan);
      startUpdater(app, options.updater, log);
      // Closed after the station window opened, so closing it does not quit the app.
      setTimeout(() => window?.close(), FIRST_RUN_THANKS_MS);
      return { ok: true, value: enrolled };
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('internal', `Enrolment failed: ${error instanceof Error ? error.message : String(error)}`);
      log(`Enrolment refused: ${apiError.message}`);
      return { ok: false, error: apiError.toBody() };
    }
  });

  const openFirstRun = (): void => {
    firstRun = new electron.BrowserWindow(firstRunWindowOptions(options.preloadPath));
    const window = firstRun;
    window.on('closed', () => {
      if (firstRun === window) firstRun = null;
    });
    window.loadURL(FIRST_RUN_URL).catch((error: unknown) => log(`The first-run screen could not load: ${String(error)}`));
  };

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
        plans = readStationsFile(stationsFilePath(argv.path, app.getPath('userData')), app.getPath('userData'), electron.safeStorage);
      } catch (error) {
        // A PC with no list of its own has never been enrolled: ask for the gateway and the code. A list named on
        // the command line that is not there is a mistake to report.
        if (error instanceof StationsFileError && error.missing && !argv.path) return openFirstRun();
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
