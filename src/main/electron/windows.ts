import type { BrowserWindowConstructorOptions } from 'electron';
import type { StationRole } from '../../shared/contract';
import type { ScreenLike, SessionLike, WebContentsLike, WindowLike } from './electron-api';

/*
 * Station windows and the rules every page lives by (Electron's security checklist): isolated,
 * sandboxed, no Node, web security on, no new windows, no navigation away from app://station/.
 */

export const STATION_HOST = 'station';
export const STATION_START_URL = `app://${STATION_HOST}/index.html`;

/** True only for our own pages: scheme app:, host station. Parsed, so `app://station.evil/` is not ours. */
export function isStationUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'app:' && parsed.host === STATION_HOST;
  } catch {
    return false;
  }
}

/** The page of a PC not yet enrolled: the same renderer, showing its first-run screen. */
export const FIRST_RUN_URL = `app://${STATION_HOST}/index.html#first-run`;

export function firstRunWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  const station = stationWindowOptions({ code: 'not enrolled', role: 'reception' }, preloadPath);
  return { ...station, width: 900, height: 720, title: 'Gabriel Clinic — set up this PC' };
}

export function stationWindowOptions(station: { code: string; role: StationRole }, preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1366,
    height: 800,
    title: `Gabriel Clinic — ${station.role} (${station.code})`,
    backgroundColor: station.role === 'display' ? '#0b1320' : '#f5f7fa',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      // The waiting room hears its calls without anyone touching the screen first.
      autoplayPolicy: station.role === 'display' ? 'no-user-gesture-required' : 'document-user-activation-required',
    },
  };
}

/**
 * Applied to every webContents the app creates, ours or not (from app 'web-contents-created'), so
 * no page can open a window, leave app://station/, or embed a webview, whatever it was told.
 */
export function hardenWebContents(contents: WebContentsLike, log: (line: string) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`Refused to open a new window for ${url}`);
    return { action: 'deny' };
  });
  const stayHome = (event: { preventDefault(): void }, url: string) => {
    if (isStationUrl(url)) return;
    event.preventDefault();
    log(`Refused to navigate to ${url}`);
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('Refused to attach a webview');
  });
}

/**
 * The waiting-room screen goes on the monitor the clinic chose (counted from 1 in the order the OS
 * lists them), else on the first one that is not the desk's own, else on the only one there is.
 */
export function placeDisplayWindow(screen: ScreenLike, window: WindowLike, monitor?: number): void {
  const primary = screen.getPrimaryDisplay();
  const all = screen.getAllDisplays();
  const target = (monitor !== undefined ? all[monitor - 1] : undefined) ?? all.find((d) => d.id !== primary.id) ?? primary;
  window.setFullScreen(false);
  window.setBounds(target.bounds);
  window.setFullScreen(true);
}

/** Re-places the display whenever a monitor comes or goes: unplug the TV, plug it back, the board returns. */
export function followDisplays(screen: ScreenLike, window: WindowLike, monitor?: number): void {
  placeDisplayWindow(screen, window, monitor);
  const rehome = () => {
    if (!window.isDestroyed()) placeDisplayWindow(screen, window, monitor);
  };
  screen.on('display-added', rehome);
  screen.on('display-removed', rehome);
  window.on('closed', () => {
    screen.off('display-added', rehome);
    screen.off('display-removed', rehome);
  });
}

/**
 * No page gets a permission: not the camera, not notifications, not the serial port (devices are
 * the core's business, not the page's). Checks are refused as well as requests, since Chromium
 * consults the check handler for permissions it never asks about.
 */
export function denyAllPermissions(session: SessionLike, log: (line: string) => void): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`Refused the page permission ${permission}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
