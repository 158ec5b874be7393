import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * PgBouncer in transaction pool mode, on a free loopback port in front of the test cluster, as a centre that
 * outgrows direct connections runs it: each server connection serves whichever gateway client has a transaction
 * open, so nothing may live in a session beyond its transaction. Debian's pgbouncer (installed by .ci/run).
 */

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export const pgbouncerInstalled = (): boolean => existsSync(PGBOUNCER);

export interface PgBouncerOptions {
  /** The Postgres server behind it. */
  upstream: { host: string; port: number };
  /** Login roles it lets through, with their passwords (it authenticates them, then logs in as them upstream). */
  users: { name: string; password: string }[];
  /** Server connections per database and user: small, so that gateway clients share them. */
  poolSize?: number;
}

export interface PgBouncer {
  host: string;
  port: number;
  /** `url` (of the upstream) rewritten to go through PgBouncer: same user, password and database. */
  through(url: string): string;
  /** What it logged, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('No free port.'))));
    });
  });
}

const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'gabriel-pgbouncer-'));
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const userlist = join(dir, 'userlist.txt');
  await writeFile(
    ini,
    [
      '[databases]',
      // Any database name goes to the database of that name upstream.
      `* = host=${options.upstream.host} port=${options.upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // The cluster stores SCRAM verifiers; with the plain passwords here PgBouncer speaks SCRAM on both sides.
      'auth_type = scram-sha-256',
      `auth_file = ${userlist}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 500',
      'server_check_delay = 0',
      '',
    ].join('\n'),
  );
  await writeFile(userlist, options.users.map((u) => `${quoted(u.name)} ${quoted(u.password)}\n`).join(''), { mode: 0o600 });
  // PgBouncer refuses to run as root: it runs as the postgres user (the test cluster's), which must read its files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    for (const path of [dir, ini, userlist]) await chown(path, uid, gid);
    await chmod(dir, 0o700);
  }

  let output = '';
  const child: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const cleanUp = async () => {
    if (!gone) {
      // SIGTERM: immediate shutdown, whatever clients are still connected.
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let tries = 0; !(await accepting(port)); tries += 1) {
    if (gone || tries > 100) {
      await cleanUp();
      throw new Error(`PgBouncer did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let stopped: Promise<void> | null = null;
  return {
    host: '127.0.0.1',
    port,
    through(url) {
      const rewritten = new URL(url);
      rewritten.hostname = '127.0.0.1';
      rewritten.port = String(port);
      return rewritten.toString();
    },
    output: () => output,
    stop: () => (stopped ??= cleanUp()),
  };
}
