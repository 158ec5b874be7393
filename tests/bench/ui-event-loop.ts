import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import pg from 'pg';
import { eventNames, type SyncStatus } from '../../src/shared/contract';
import { seedScale } from '../../seeds/scale';
import { forkCore } from '../support/core-child';
import type { BenchContext } from './context';
import { startBenchCentre, type BenchCentre } from './stations';
import { emit } from './report';

/*
 * Issue 8: how long the process that serves the windows stalls while a station makes its first
 * load of a 100,000-patient clinic. With the core in its own process (the app's arrangement) the
 * window process only relays; with the core in the same process (the arrangement before) every
 * page of the load runs on its event loop. Both beside the idle delay of the same process.
 */
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 100_000);
const IDLE_MS = 3000;

function histogram() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return {
    maxMs: () => h.max / 1e6,
    stop: () => h.disable(),
  };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const loaded = (status: SyncStatus) => status.initialSync === null && status.lastSyncedAt !== null;

export async function benchUiEventLoop(ctx: BenchContext): Promise<void> {
  const url = await ctx.newDatabase('bench_ui', { patientsPerClinic: 50 });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await seedScale(admin, { clinicCode: 'GFC-BDK', patients: PATIENTS, appointments: 0, crypto: ctx.crypto, seed: 23 });
    await admin.query('VACUUM ANALYZE');
  } finally {
    await admin.end();
  }
  const centre = await startBenchCentre(ctx, url, { ownProcess: true });
  try {
    await measure(ctx, centre);
  } finally {
    await centre.close();
  }
}

async function measure(ctx: BenchContext, centre: BenchCentre): Promise<void> {
  // --- the core in its own process: this process only relays, as the Electron main does ---------
  const core = forkCore({
    dataDir: join(ctx.workDir, 'BENCH-UI-CHILD'),
    stationCode: 'BENCH-UI-CHILD',
    role: 'reception',
    identityFile: await centre.identityFile('BENCH-UI-CHILD', 'reception'),
    keyFile: ctx.keyFile,
    pollIntervalMs: 2000,
  });
  await core.client.started;
  const relayed: string[] = [];
  const unsubscribe = eventNames.map((name) => core.client.on(name, (payload) => relayed.push(JSON.stringify([name, payload]))));
  const idle = histogram();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idleMax = idle.maxMs();
  idle.stop();
  const apart = histogram();
  await core.client.handle('session.signIn', { username: 'reception', password: 'demo1234' });
  await until(async () => loaded(await core.client.handle('sync.status', {})), 'the first load in the core process');
  const apartMax = apart.maxMs();
  apart.stop();
  unsubscribe.forEach((off) => off());
  await core.client.stop();

  // --- the core in this process, as before ------------------------------------------------------
  const inline = await centre.station('BENCH-UI-INLINE', 'reception', { pollIntervalMs: 2000 });
  await inline.start();
  const together = histogram();
  await inline.handle('session.signIn', { username: 'reception', password: 'demo1234' });
  await until(async () => loaded(await inline.handle('sync.status', {})), 'the first load in this process');
  const togetherMax = together.maxMs();
  together.stop();
  await inline.stop();

  const rows = PATIENTS;
  emit({ metric: 'ui_event_loop_max_delay_first_load', value: apartMax, unit: 'ms', baseline: idleMax, ratio: apartMax / idleMax, patients: rows, core: 'own_process', events_relayed: relayed.length, baseline_name: 'same_process_idle_3s' });
  emit({ metric: 'ui_event_loop_max_delay_first_load_core_in_process', value: togetherMax, unit: 'ms', baseline: idleMax, ratio: togetherMax / idleMax, patients: rows, core: 'same_process', baseline_name: 'same_process_idle_3s' });
}
