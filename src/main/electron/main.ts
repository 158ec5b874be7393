import { app, BrowserWindow, ipcMain, net, protocol, screen, type IpcMainInvokeEvent } from 'electron';
import { autoUpdater } from 'electron-updater';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiError, eventNames, type MethodName } from '../../shared/contract';
import { defaultDataDir, startDemoClinic, type DemoClinic, type DemoStation } from '../../../dev/demo-clinic';
import { CONTENT_SECURITY_POLICY } from '../host/browser-host';

/*
 * The Electron host: one window per station, the renderer loaded from app:// and talking to its
 * station core only through the preload's contract over IPC. Everything else lives in the core.
 */

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const { values } = parseArgs({
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  options: { 'data-dir': { type: 'string' }, reset: { type: 'boolean', default: false }, 'display-monitor': { type: 'string' } },
  strict: false,
});

const rendererRoot = join(app.getAppPath(), 'dist', 'renderer');
const stationByWebContents = new Map<number, DemoStation>();
let clinic: DemoClinic | null = null;

async function serveRenderer(request: Request): Promise<Response> {
  const path = normalize(decodeURIComponent(new URL(request.url).pathname)).replace(/^([/\\])+/, '');
  const file = join(rendererRoot, path || 'index.html');
  if (!file.startsWith(rendererRoot + sep)) return new Response('Forbidden', { status: 403 });
  const response = await net.fetch(pathToFileURL(file).toString());
  const headers = new Headers(response.headers);
  headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
  return new Response(response.body, { status: response.status, headers });
}

/** Only our own pages, in windows we opened for a station, may call a station. */
function stationFor(event: IpcMainInvokeEvent): DemoStation {
  const station = stationByWebContents.get(event.sender.id);
  const origin = event.senderFrame?.url ?? '';
  if (!station || !origin.startsWith('app://station/')) throw new ApiError('forbidden', 'This window may not call the station.');
  return station;
}

/**
 * The waiting-room screen goes on the monitor the clinic chose (--display-monitor N, counted from 1
 * in the order the OS lists them), else on the first one that is not the desk's own, else on the
 * only one there is. Called again whenever a monitor comes or goes, so unplugging the TV and
 * plugging it back in puts the board back on it.
 */
function placeDisplayWindow(window: BrowserWindow): void {
  const primary = screen.getPrimaryDisplay();
  const all = screen.getAllDisplays();
  const chosen = Number(values['display-monitor']);
  const target = (Number.isInteger(chosen) && chosen >= 1 ? all[chosen - 1] : undefined) ?? all.find((d) => d.id !== primary.id) ?? primary;
  window.setFullScreen(false);
  window.setBounds(target.bounds);
  window.setFullScreen(true);
}

function openStationWindow(station: DemoStation): BrowserWindow {
  const window = new BrowserWindow({
    width: 1366,
    height: 800,
    title: `Gabriel Clinic — ${station.role}`,
    backgroundColor: station.role === 'display' ? '#0b1320' : '#f5f7fa',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // The waiting room hears its calls without anyone touching the screen first.
      autoplayPolicy: station.role === 'display' ? 'no-user-gesture-required' : 'document-user-activation-required',
    },
  });
  stationByWebContents.set(window.webContents.id, station);
  const unsubscribes = eventNames.map((name) => station.core.on(name, (payload) => window.webContents.send('clinic:event', name, payload)));
  window.on('closed', () => unsubscribes.forEach((unsubscribe) => unsubscribe()));
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith('app://station/')) event.preventDefault();
  });
  if (station.role === 'display') {
    placeDisplayWindow(window);
    const rehome = () => placeDisplayWindow(window);
    screen.on('display-added', rehome);
    screen.on('display-removed', rehome);
    window.on('closed', () => {
      screen.off('display-added', rehome);
      screen.off('display-removed', rehome);
    });
  }
  void window.loadURL('app://station/index.html');
  return window;
}

ipcMain.handle('clinic:call', async (event, method: unknown, input: unknown) => {
  try {
    const station = stationFor(event);
    return { ok: true, value: await station.core.handle(String(method) as MethodName, input) };
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError('internal', error instanceof Error ? error.message : String(error));
    return { ok: false, error: apiError.toBody() };
  }
});

app.whenReady().then(async () => {
  protocol.handle('app', serveRenderer);
  clinic = await startDemoClinic({
    dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : app.isPackaged ? join(app.getPath('userData'), 'data') : defaultDataDir(),
    reset: values.reset === true,
    databaseUrl: process.env.DATABASE_URL,
    migrationsDir: app.isPackaged ? join(process.resourcesPath, 'app-migrations') : join(app.getAppPath(), 'migrations'),
    log: (line) => console.log(line),
  });
  for (const station of clinic.stations) openStationWindow(station);
  if (app.isPackaged) void autoUpdater.checkForUpdatesAndNotify();
}).catch((error: unknown) => {
  console.error(error);
  app.exit(1);
});

app.on('window-all-closed', () => app.quit());

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !clinic) return;
  quitting = true;
  event.preventDefault();
  void clinic.stop().finally(() => app.quit());
});
