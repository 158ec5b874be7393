import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { openLocalKeyFile } from '../../src/main/crypto/field-crypto';
import { databaseFactory, type BenchContext } from './context';
import { benchCallToDisplay } from './queue';
import { benchDevices } from './devices';
import { benchSync } from './sync';
import { benchCentral } from './central';
import { benchUiEventLoop } from './ui-event-loop';
import { benchGateway } from './gateway';

/*
 * npm run bench: one JSON line per metric, each beside a baseline measured in the same run on the
 * same server (DESIGN §7). Not a test: nothing here passes or fails on timing. BENCH_ONLY=a,b runs
 * only the named groups.
 */

const CALLS = Number(process.env.BENCH_CALLS ?? 240);
const only = process.env.BENCH_ONLY?.split(',');
const wanted = (group: string) => !only || only.includes(group);

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'gabriel-bench-'));
  // Run as root, Postgres runs as the postgres user, which must be able to reach its data folder.
  chmodSync(workDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), disposable: true });
  try {
    const keyFile = join(workDir, 'key.json');
    const crypto = await openLocalKeyFile(keyFile);
    const ctx: BenchContext = { workDir, crypto, keyFile, newDatabase: databaseFactory(server.url, crypto) };
    if (wanted('queue')) await benchCallToDisplay(ctx, CALLS);
    if (wanted('devices')) await benchDevices();
    if (wanted('sync')) await benchSync(ctx);
    if (wanted('central')) await benchCentral(ctx);
    if (wanted('ui')) await benchUiEventLoop(ctx);
    if (wanted('gateway')) await benchGateway(ctx);
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
