import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { StationCore } from '../../src/main/station';
import { readIdentityFile, stationKeyOf } from '../../src/main/enrolment/identity';
import { startBenchCentre } from './stations';
import { Cache } from '../../src/main/cache/cache';
import { Central } from '../../src/sync/central';
import type { Change } from '../../src/sync/pull';
import { generatePeople } from '../../seeds/people';
import { seedScale } from '../../seeds/scale';
import { physicalLimitBaseline } from './sync-scale';
import { TcpProxy } from '../support/tcp-proxy';
import { notifyRoundTrips, type BenchContext } from './context';
import { emit, percentile } from './report';
import { maskNric, nricIdType, normalizeNric } from '../../src/shared/nric';

/*
 * Issue 4's numbers: initial sync against its physical limit, incremental apply with a million
 * rows in the cache, replay of 1,000 offline mutations, station-to-station propagation and the
 * memory an initial sync needs. Scale with BENCH_PATIENTS / BENCH_APPOINTMENTS.
 */
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 100_000);
const APPOINTMENTS = Number(process.env.BENCH_APPOINTMENTS ?? 300_000);
const CACHE_ROWS = 1_000_000;
const OFFLINE_MUTATIONS = 1000;
const PROPAGATIONS = 200;

export async function benchSync(ctx: BenchContext): Promise<void> {
  const url = await ctx.newDatabase('bench_sync', { patientsPerClinic: 50 });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const stations: StationCore[] = [];
  const centre = await startBenchCentre(ctx, url);
  const station = async (code: string, role: 'reception' | 'consult' = 'reception', gatewayUrl?: string) => {
    const core = await centre.station(code, role, { room: role === 'consult' ? 'R2' : undefined, gatewayUrl, pollIntervalMs: 2000 });
    stations.push(core);
    return core;
  };
  try {
    await seedScale(admin, { clinicCode: 'GFC-BDK', patients: PATIENTS, appointments: APPOINTMENTS, crypto: ctx.crypto, seed: 11 });
    await admin.query('VACUUM ANALYZE');
    const clinicId = (await admin.query("SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'")).rows[0].id as string;

    // --- initial sync, with its memory ---------------------------------------------------------
    const baseline = await physicalLimitBaseline(url, clinicId, join(ctx.workDir, 'baseline.sqlite'));
    const big = await station('BENCH-BIG');
    await big.start();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    // Signing in starts the load, so the clock starts before it (one bcrypt check, a few ms of a multi-second load).
    const started = performance.now();
    await big.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await big.requestSync();
    while (!big.cache.readCursor()) await big.requestSync();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const loaded = Number(big.cache.db.prepare('SELECT (SELECT count(*) FROM patients) + (SELECT count(*) FROM appointments) + (SELECT count(*) FROM queue_tickets)').pluck().get());
    emit({ metric: 'initial_sync_rows_per_s', value: loaded / seconds, unit: 'rows/s', baseline: baseline.rowsPerSecond, ratio: loaded / seconds / baseline.rowsPerSecond, rows: loaded, baseline_name: 'minimal_pg_read_plus_one_txn_sqlite_insert' });
    emit({ metric: 'initial_sync_peak_rss', value: rssPeak / 2 ** 20, unit: 'MiB', baseline: rssBefore / 2 ** 20, ratio: rssPeak / rssBefore, rows: loaded, baseline_name: 'rss_before_sync' });

    // --- incremental apply with a million rows cached ------------------------------------------
    // Measured on the cache file alone: a running station would pull the same changes itself.
    await big.stop();
    stations.splice(stations.indexOf(big), 1);
    const cache = new Cache(join(ctx.workDir, 'BENCH-BIG', 'cache.sqlite'));
    fillCache(cache, clinicId, CACHE_ROWS);
    cache.db.pragma('wal_checkpoint(TRUNCATE)');
    const cachedRows = Number(cache.db.prepare('SELECT (SELECT count(*) FROM patients) + (SELECT count(*) FROM appointments)').pluck().get());
    const empty = new Cache(join(ctx.workDir, 'empty.sqlite'));
    const bigSamples: number[] = [];
    const emptySamples: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const cursor = cache.readCursor()!;
      const changed = (await admin.query<{ id: string }>('SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id OFFSET $2 LIMIT 1000', [clinicId, round * 1000])).rows.map((r) => r.id);
      await admin.query('UPDATE clinic.patients SET phone = $2 WHERE id = ANY($1::uuid[])', [changed, `+65 9000 ${String(round).padStart(4, '0')}`]);
      const batch = (await admin.query<{ result: { changes: Change[] } }>('SELECT sync.pull($1::uuid, $2::xid8, $3::bigint, NULL, 5000) AS result', [clinicId, cursor.xid, cursor.seq])).rows[0]!.result.changes;
      const end = { xid: batch.at(-1)!.xid, seq: batch.at(-1)!.seq };
      // The same batch into an empty cache whose statements are as warm as the big one's.
      empty.db.exec('DELETE FROM patients; DELETE FROM tombstones;');
      let started = performance.now();
      empty.applyChanges(batch, end);
      emptySamples.push(performance.now() - started);
      started = performance.now();
      cache.applyChanges(batch, end);
      bigSamples.push(performance.now() - started);
    }
    empty.close();
    cache.close();
    const bigMs = percentile(bigSamples, 50);
    const emptyMs = percentile(emptySamples, 50);
    emit({ metric: 'incremental_apply_1000_changes_p50', value: bigMs, unit: 'ms', baseline: emptyMs, ratio: bigMs / emptyMs, cached_rows: cachedRows, rounds: 5, baseline_name: 'same_batch_into_empty_cache' });

    // --- replay of 1,000 offline mutations -----------------------------------------------------
    // The cable between the desk and the gateway is pulled, as a clinic's network would fail.
    const target = new URL(centre.gatewayUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    const desk = await station('BENCH-OFFLINE-DESK', 'reception', `http://127.0.0.1:${await proxy.listen()}`);
    await desk.start();
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await desk.requestSync();
    const known = new Set((await admin.query<{ nric_hash: string }>('SELECT nric_hash FROM clinic.patients')).rows.map((r) => r.nric_hash));
    const people = [];
    for (const person of generatePeople(OFFLINE_MUTATIONS * 3, 99, { today: new Date('2026-01-15T00:00:00Z') })) {
      if (people.length === OFFLINE_MUTATIONS * 2) break;
      if (!known.has(await ctx.crypto.lookupHash('nric', normalizeNric(person.nric)))) people.push(person);
    }
    const offline = people.slice(0, OFFLINE_MUTATIONS);
    proxy.cut();
    for (const p of offline) await desk.handle('patients.register', { nric: p.nric, fullName: p.fullName, dateOfBirth: p.dateOfBirth, gender: p.gender, phone: p.phone });
    proxy.restore();
    const replayStart = performance.now();
    while (desk.cache.pendingCount() > 0) await desk.requestSync();
    const replaySeconds = (performance.now() - replayStart) / 1000;
    const delivered = Number((await admin.query("SELECT count(*) FROM clinic.request_log WHERE procedure = 'register_patient'")).rows[0].count);

    // The same work as single calls, each its own round trip through the gateway: what batching saves.
    const deskIdentity = readIdentityFile(join(ctx.workDir, 'BENCH-OFFLINE-DESK', 'identity.json'));
    const deskKey = stationKeyOf(deskIdentity);
    const direct = new Central({ gatewayUrl: centre.gatewayUrl, key: () => deskKey });
    const token = JSON.parse(desk.cache.getMeta('session')!).token as string;
    const directStart = performance.now();
    for (const p of people.slice(OFFLINE_MUTATIONS)) {
      const nric = normalizeNric(p.nric);
      await direct.callProcedure('register_patient', randomUUID(), {
        id: randomUUID(),
        nric_hash: await ctx.crypto.lookupHash('nric', nric),
        nric_enc: await ctx.crypto.encrypt(nric),
        nric_masked: maskNric(nric),
        id_type: nricIdType(nric),
        full_name: p.fullName,
        date_of_birth: p.dateOfBirth,
        gender: p.gender,
      }, token);
    }
    const directSeconds = (performance.now() - directStart) / 1000;
    await direct.close();
    await proxy.close();
    emit({ metric: 'outbox_replay_1000', value: replaySeconds, unit: 's', baseline: directSeconds, ratio: replaySeconds / directSeconds, delivered_exactly_once: delivered === OFFLINE_MUTATIONS, baseline_name: '1000_one_by_one_calls_through_the_gateway' });

    // --- station A → station B --------------------------------------------------------------------
    const a = await station('BENCH-DESK-A');
    const b = await station('BENCH-DESK-B');
    await Promise.all([a.start(), b.start()]);
    await a.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await b.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await Promise.all([a.requestSync(), b.requestSync()]);
    const seen = new Map<string, () => void>();
    b.on('queue.changed', () => {
      for (const [id, done] of seen) if (b.cache.readRow('queue_tickets', id)) done();
    });
    const patients = a.cache.db.prepare('SELECT id FROM patients ORDER BY id LIMIT ?').pluck().all(PROPAGATIONS) as string[];
    const samples: number[] = [];
    for (const patientId of patients) {
      const start = performance.now();
      const ticket = await a.handle('queue.issueTicket', { patientId, urgent: false });
      await new Promise<void>((resolve) => {
        if (b.cache.readRow('queue_tickets', ticket.id)) return resolve();
        seen.set(ticket.id, () => {
          seen.delete(ticket.id);
          resolve();
        });
      });
      samples.push(performance.now() - start);
    }
    const notify = await notifyRoundTrips(url, PROPAGATIONS);
    for (const p of [50, 95]) {
      const value = percentile(samples, p);
      const base = percentile(notify, p);
      emit({ metric: `station_to_station_p${p}`, value, unit: 'ms', baseline: base, ratio: value / base, samples: PROPAGATIONS, baseline_name: 'notify_listen_round_trip' });
    }
  } finally {
    await Promise.all(stations.map((s) => s.stop().catch(() => undefined)));
    await centre.close();
    await admin.end();
  }
}

/** Tops the cache up to `total` rows with past appointments, as years of use would leave it. */
function fillCache(cache: Cache, clinicId: string, total: number): void {
  const have = Number(cache.db.prepare('SELECT (SELECT count(*) FROM patients) + (SELECT count(*) FROM appointments)').pluck().get());
  const patientId = cache.db.prepare('SELECT id FROM patients LIMIT 1').pluck().get() as string;
  const doctorId = cache.db.prepare('SELECT id FROM doctors LIMIT 1').pluck().get() as string;
  const insert = cache.db.prepare(
    "INSERT INTO appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, status, sync_seq) VALUES (?, ?, ?, ?, ?, ?, 'completed', 1)",
  );
  cache.transaction(() => {
    for (let i = have; i < total; i += 1) {
      insert.run(clinicId, randomUUID(), `HIST-${i}`, patientId, doctorId, new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString());
    }
  });
}
