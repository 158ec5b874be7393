import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodName } from '../../src/shared/contract';
import { runApp } from '../../src/main/electron/app';
import type { StationsFile } from '../../src/shared/station-list';
import { createFakeElectron, type FakeElectronOptions } from './fake-electron';
import { runScriptedCores, type ScriptedStation } from './fake-core';

/** The app under the fake Electron, with scripted cores behind its utility processes. */
export interface TestApp {
  fake: ReturnType<typeof createFakeElectron>;
  cores: Map<string, ScriptedStation>;
  logs: string[];
  updateChecks: () => number;
  folder: string;
  stationsFile: string;
}

export const THREE_STATIONS: StationsFile = {
  stations: [
    { code: 'T-RECEPTION', role: 'reception', keyFile: 'keys/local-key.json' },
    { code: 'T-CONSULT', role: 'consult', keyFile: 'keys/local-key.json' },
    { code: 'T-DISPLAY', role: 'display', keyFile: 'keys/local-key.json' },
  ],
};

export interface StartOptions extends FakeElectronOptions {
  /** The list to write, or raw text for a broken file; null writes nothing. */
  stations?: StationsFile | string | null;
  /** Defaults to `--stations <the written file>`. */
  argv?: string[];
  answers?: Partial<Record<MethodName, (input: unknown) => unknown>>;
}

export async function startTestApp(options: StartOptions = {}): Promise<TestApp> {
  const folder = mkdtempSync(join(tmpdir(), 'electron-app-'));
  const rendererRoot = join(folder, 'renderer');
  mkdirSync(rendererRoot);
  writeFileSync(join(rendererRoot, 'index.html'), '<!doctype html><title>station</title>');
  const stationsFile = join(folder, 'stations.json');
  const stations = options.stations === undefined ? THREE_STATIONS : options.stations;
  if (stations !== null) writeFileSync(stationsFile, typeof stations === 'string' ? stations : JSON.stringify(stations));

  const fake = createFakeElectron({ userData: join(folder, 'user-data'), ...options });
  const cores = new Map<string, ScriptedStation>();
  runScriptedCores(fake.utilityProcess, cores, options.answers);
  let checks = 0;
  const logs: string[] = [];
  const running = runApp(fake.electron, {
    argv: options.argv ?? ['--stations', stationsFile],
    preloadPath: '/app/dist/electron/preload.cjs',
    coreEntryPath: '/app/dist/electron/core-process.cjs',
    rendererRoot,
    updater: () => ({
      checkForUpdatesAndNotify: async () => {
        checks += 1;
      },
    }),
    log: (line) => logs.push(line),
    restartDelaysMs: [20],
  });
  fake.makeReady();
  await running;
  return { fake, cores, logs, updateChecks: () => checks, folder, stationsFile };
}

/** Until the scripted cores behind every utility process have received their init. */
export async function coresReady(app: TestApp, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (app.cores.size < count) {
    if (Date.now() > deadline) throw new Error(`only ${app.cores.size} of ${count} cores started`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
