import electron from 'electron';
import { autoUpdater } from 'electron-updater';
import { join } from 'node:path';
import { runApp } from './app';

/*
 * The Electron entry (dist/electron/main.cjs): the real Electron API and the bundle's own paths,
 * handed to the app. Passing `electron` here is also what makes the compiler check that Electron
 * satisfies the narrow API the glue is written against.
 */
void runApp(electron, {
  argv: process.argv.slice(electron.app.isPackaged ? 1 : 2),
  preloadPath: join(__dirname, 'preload.cjs'),
  coreEntryPath: join(__dirname, 'core-process.cjs'),
  rendererRoot: join(electron.app.getAppPath(), 'dist', 'renderer'),
  updater: () => autoUpdater,
});
