import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/main/central/embedded';
import { migrate } from '../../src/main/central/migrate';
import { openLocalKeyFile } from '../../src/main/crypto/field-crypto';
import { StationCore } from '../../src/main/station';
import { seedDemo } from '../../seeds/demo';

/*
 * npm run bench: one JSON line per metric, each beside a baseline measured in the same run on the
 * same server (DESIGN §7). Not a test: nothing here passes or fails on timing.
 */

const CALLS = Number(process.env.BENCH_CALLS ?? 240);

interface Metric {
  metric: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  [extra: string]: unknown;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function emit(metric: Metric): void {
  console.log(JSON.stringify({ ...metric, value: round(metric.value), baseline: round(metric.baseline), ratio: round(metric.ratio) }));
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The floor for any "something changed at the centre, a station hears of it" path. */
async function notifyRoundTrips(url: string, count: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const notifier = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), notifier.connect()]);
  await listener.query('LISTEN bench_baseline');
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
    const start = performance.now();
    await notifier.query(`NOTIFY bench_baseline, '${i}'`);
    await heard;
    samples.push(performance.now() - start);
  }
  await Promise.all([listener.end(), notifier.end()]);
  return samples;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'gabriel-bench-'));
  // Run as root, Postgres runs as the postgres user, which must be able to reach its data folder.
  chmodSync(workDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), disposable: true });
  const stations: StationCore[] = [];
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/bench';
    const dbUrl = url.toString();
    await migrate(dbUrl);
    const crypto = await openLocalKeyFile(join(workDir, 'key.json'));
    const seeder = new pg.Client({ connectionString: dbUrl });
    await seeder.connect();
    await seedDemo(seeder, { crypto, patientsPerClinic: CALLS + 20 });
    await seeder.end();

    const station = (role: 'reception' | 'consult' | 'display', code: string, roomCode?: string) => {
      const core = new StationCore({ dataDir: join(workDir, code), stationCode: code, role, clinicCode: 'GFC-BDK', roomCode, centralUrl: dbUrl, crypto });
      stations.push(core);
      return core;
    };
    const reception = station('reception', 'BENCH-RECEPTION');
    const consult = station('consult', 'BENCH-CONSULT', 'R1');
    const display = station('display', 'BENCH-DISPLAY');
    await Promise.all(stations.map((s) => s.start()));
    await reception.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await consult.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });

    const patients = reception.cache.db.prepare('SELECT id FROM patients ORDER BY full_name LIMIT ?').pluck().all(CALLS) as string[];
    for (const patientId of patients) await reception.handle('queue.issueTicket', { patientId, urgent: false });
    await consult.requestSync();

    // The display may hear of a call before callNext has returned to the doctor, so every sighting
    // is recorded as it happens and matched afterwards.
    const seenAt = new Map<string, number>();
    const waiting = new Map<string, (at: number) => void>();
    display.on('display.called', (call) => {
      const at = performance.now();
      seenAt.set(call.ticketNumber, at);
      waiting.get(call.ticketNumber)?.(at);
    });
    const shownAt = (ticketNumber: string) =>
      new Promise<number>((resolve) => {
        const at = seenAt.get(ticketNumber);
        if (at !== undefined) resolve(at);
        else waiting.set(ticketNumber, resolve);
      });

    const latencies: number[] = [];
    for (let i = 0; i < CALLS; i += 1) {
      const start = performance.now();
      const ticket = await consult.handle('queue.callNext', {});
      if (!ticket) throw new Error(`The queue ran dry after ${i} calls`);
      latencies.push((await shownAt(ticket.ticketNumber)) - start);
      waiting.delete(ticket.ticketNumber);
      await consult.handle('queue.complete', { ticketId: ticket.id });
    }

    const baseline = await notifyRoundTrips(dbUrl, CALLS);
    for (const p of [50, 95]) {
      const value = percentile(latencies, p);
      const base = percentile(baseline, p);
      emit({ metric: `call_to_display_p${p}`, value, unit: 'ms', baseline: base, ratio: value / base, samples: CALLS, baseline_name: 'notify_listen_round_trip' });
    }
  } finally {
    await Promise.all(stations.map((s) => s.stop().catch(() => undefined)));
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
