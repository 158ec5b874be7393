import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CLINIC_CODE, defaultDataDir, demoStations, prepareDemoClinic, prepareElectronStations, startDemoClinic } from './demo-clinic';
import { startEmbeddedPostgres } from './embedded-postgres';
import { BrowserHost } from '../src/main/host/browser-host';
import { openLocalKeyFile } from '../src/main/crypto/field-crypto';
import { StationCore } from '../src/main/station';
import { enrolStation, readIdentityFile, writeIdentityFile } from '../src/main/enrolment/identity';
import { isServerCommand, runServerCommand, serverUsage } from '../src/server/cli';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = join(projectRoot, 'dist', 'renderer');

const usage = `Gabriel Clinic Workstation

Usage: npm run cli -- <command> [options]      (npm start = the start command)

  start [--reset] [--data-dir DIR] [--browser]
      Central database (embedded unless DATABASE_URL is set), migrated and seeded, and the
      reception, consult and display stations of clinic ${DEMO_CLINIC_CODE}. Opens Electron windows
      when the Electron binary is installed, otherwise serves each station to a browser.
      --reset deletes DIR first. DIR defaults to ./.data (or GABRIEL_DATA_DIR).
${serverUsage}
  station [--gateway https://… --enrol-code CODE [--ca FILE]] [--station-dir DIR]
          [--port 0] [--host 127.0.0.1] [--data-dir DIR]
      One station served to a browser (e.g. the waiting-room TV). The first time, it enrols at the
      gateway with a one-time code (npm run cli -- enrol …); later it starts from its identity file.

The central database is DATABASE_URL when set; otherwise the embedded one in the data folder.`;

async function main(argv: string[]): Promise<void> {
  const [command = 'help', ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' } }, strict: false, allowPositionals: true });
  const dataDir = typeof values['data-dir'] === 'string' ? resolve(values['data-dir']) : defaultDataDir();
  if (isServerCommand(command)) return withCentral(dataDir, (url) => runServerCommand(command, rest, url, dataDir));
  switch (command) {
    case 'start': {
      const { values: options } = parseArgs({
        args: rest,
        options: { reset: { type: 'boolean', default: false }, browser: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } },
        strict: true,
      });
      return start(dataDir, options.reset ?? false, options.browser ?? false);
    }
    case 'station':
      return station(rest, dataDir);
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return;
    default:
      throw new Error(`Unknown command "${command}".\n\n${usage}`);
  }
}

async function start(dataDir: string, reset: boolean, forceBrowser: boolean): Promise<void> {
  const electron = forceBrowser ? null : findElectronBinary();
  if (electron) return startElectron(electron, dataDir, reset);
  if (!forceBrowser) console.log('Electron binary not available here: serving the three stations to a browser instead.');
  const clinic = await startDemoClinic({ dataDir, reset, databaseUrl: process.env.DATABASE_URL, log: (line) => console.log(line) });
  const hosts: BrowserHost[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping stations and the central database…');
    await Promise.all(hosts.map((h) => h.close()));
    await clinic.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const basePort = Number(process.env.GABRIEL_PORT ?? 5170);
  for (const [index, station] of clinic.stations.entries()) {
    const host = new BrowserHost({ station: station.core, rendererDir });
    hosts.push(host);
    const url = await host.listen(basePort + index).catch(() => host.listen(0));
    console.log(`  ${station.role.padEnd(9)} ${url}   (${demoStations[index]!.code})`);
  }
  console.log('Demo sign-in: reception / demo1234 at reception, dr.tan / demo1234 at consult. Ctrl-C stops everything.');
}

/**
 * The demo's database and station list here; the stations themselves in the Electron app, which
 * knows nothing of the demo: it gets the list with --stations and starts each core on its own.
 */
async function startElectron(electron: string, dataDir: string, reset: boolean): Promise<void> {
  if (!existsSync(join(projectRoot, 'dist', 'electron', 'main.cjs'))) {
    throw new Error('The Electron app has not been built yet: run `npm run build:electron` (npm start does it for you).');
  }
  const prepared = await prepareDemoClinic({ dataDir, reset, databaseUrl: process.env.DATABASE_URL, log: (line) => console.log(line) });
  try {
    const stationsFile = await prepareElectronStations(prepared, (line) => console.log(line));
    console.log('Demo sign-in: reception / demo1234 at reception, dr.tan / demo1234 at consult. Close the windows to stop.');
    const child = spawn(electron, [projectRoot, '--stations', stationsFile], { stdio: 'inherit' });
    const code = await new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)));
    if (code) console.error(`Electron exited with code ${code}.`);
  } finally {
    console.log('Stopping the central database…');
    await prepared.stop();
  }
}

/**
 * The electron package's install script downloads the binary; where that could not happen the
 * package is there (for its types) but `dist/` is not, and requiring it would try to download.
 */
function findElectronBinary(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

async function withCentral(dataDir: string, work: (url: string) => Promise<void>): Promise<void> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL);
  const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
  try {
    const url = new URL(embedded.url);
    url.pathname = '/gabriel_clinic';
    await work(url.toString());
  } finally {
    await embedded.stop();
  }
}

async function station(args: string[], dataDir: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'station-dir': { type: 'string' },
      gateway: { type: 'string' },
      ca: { type: 'string' },
      'enrol-code': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
    },
    strict: true,
  });
  const stationDir = resolve(typeof values['station-dir'] === 'string' ? values['station-dir'] : join(dataDir, 'stations', 'browser-station'));
  const identityFile = join(stationDir, 'identity.json');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port number, not "${values.port}".`);
  if (!existsSync(identityFile)) {
    if (typeof values.gateway !== 'string' || typeof values['enrol-code'] !== 'string') {
      throw new Error(`${stationDir} holds no enrolled station yet: give --gateway https://… and --enrol-code CODE (from: npm run cli -- enrol …).`);
    }
    const caPem = typeof values.ca === 'string' ? readFileSync(values.ca, 'utf8') : null;
    writeIdentityFile(identityFile, await enrolStation({ gatewayUrl: values.gateway, gatewayCaPem: caPem, code: values['enrol-code'] }));
  }
  const identity = readIdentityFile(identityFile);
  const core = new StationCore({ dataDir: stationDir, identity, crypto: await openLocalKeyFile(join(dataDir, 'keys', 'local-key.json')) });
  await core.start();
  const host = new BrowserHost({ station: core, rendererDir, host: String(values.host) });
  console.log(`${identity.station.role} station ${identity.station.code} of ${identity.clinic.code}: ${await host.listen(port)}`);
  const stop = async () => {
    await host.close();
    await core.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
