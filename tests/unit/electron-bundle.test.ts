import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, type Metafile } from 'esbuild';
import { bundles } from '../../build/bundle-electron.mjs';

/*
 * What each Electron bundle is made of, built with the options `npm run build:electron` uses: the
 * main process holds no demo, no seed data and no station core; the core holds no Electron.
 */
async function inputsOf(name: keyof typeof bundles): Promise<{ ours: string[]; external: string[] }> {
  const result = await build({ ...bundles[name], write: false, metafile: true, sourcemap: false, logLevel: 'silent' });
  const metafile: Metafile = result.metafile;
  const ours = Object.keys(metafile.inputs).filter((path) => !path.includes('node_modules/'));
  const external = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path));
  return { ours, external };
}

/** What must never ship in the app: the demo's password, the embedded cluster's password, any database address. */
const SECRETS = [/demo1234/, /gabriel-local/, /postgres(ql)?:\/\//i];

function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the Electron bundles', () => {
  it('hold no demo secret and no database address, in any bundle or in the built screens', async () => {
    const texts: { name: string; text: string }[] = [];
    for (const name of Object.keys(bundles) as (keyof typeof bundles)[]) {
      const result = await build({ ...bundles[name], write: false, sourcemap: false, logLevel: 'silent' });
      for (const file of result.outputFiles) texts.push({ name: `${name}: ${file.path}`, text: file.text });
    }
    for (const file of filesUnder(join(process.cwd(), 'dist', 'renderer'))) texts.push({ name: file, text: readFileSync(file, 'latin1') });
    expect(texts.length).toBeGreaterThanOrEqual(3);
    const found = texts.flatMap(({ name, text }) => SECRETS.filter((secret) => secret.test(text)).map((secret) => `${name} contains ${secret}`));
    expect(found).toEqual([]);
  });

  it('main: windows, relay and first-run enrolment only, never the demo, the seeds or the station core', async () => {
    const { ours, external } = await inputsOf('main');
    expect(ours).toContain('src/main/electron/main.ts');
    expect(ours.filter((path) => /^(dev|seeds)\//.test(path))).toEqual([]);
    // Enrolling a new PC is one signed request to the gateway; syncing, the cache and devices stay in the core.
    expect(ours.filter((path) => /^src\/(main\/(station|cache|devices|crypto|sync-engine)|sync\/(push|pull|live|tables))\b/.test(path))).toEqual([]);
    expect(ours.filter((path) => path.startsWith('src/sync/')).sort()).toEqual(['src/sync/central.ts', 'src/sync/station-key.ts']);
    expect(external).not.toContain('better-sqlite3');
  });

  it('core: the station core under Node, with nothing of Electron', async () => {
    const { ours, external } = await inputsOf('core');
    expect(ours).toEqual(expect.arrayContaining(['src/main/core-process/entry.ts', 'src/main/station.ts']));
    expect(ours.filter((path) => /^(dev|seeds|src\/main\/electron|src\/preload)\//.test(path))).toEqual([]);
    expect(external.filter((path) => path === 'electron' || path.startsWith('electron/'))).toEqual([]);
    expect(external).toContain('better-sqlite3');
  });

  it('preload: the contract and nothing else of ours', async () => {
    const { ours } = await inputsOf('preload');
    expect(ours.filter((path) => !/^src\/(preload|shared)\//.test(path))).toEqual([]);
  });
});
