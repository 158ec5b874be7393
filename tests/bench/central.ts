import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { BenchContext } from './context';
import { emit, percentile } from './report';

/*
 * The central database's own costs (issue 3 "Tests and benchmarks"), each beside a same-run baseline:
 *   audit_write_throughput   single-row UPDATE transactions on an audited table, vs the same with the audit trigger
 *                            disabled (a scratch database; only a superuser can do that);
 *   booking_throughput       booking.create_booking on distinct slots as a signed-in station, vs a bare single-row
 *                            INSERT transaction;
 *   rls_query_p50/p95        a page of patients read by a station under row-level security, vs the same query by
 *                            the owner (no RLS).
 */

const WRITES = Number(process.env.BENCH_CENTRAL_WRITES ?? 2000);
const BOOKINGS = Number(process.env.BENCH_CENTRAL_BOOKINGS ?? 1000);
const QUERIES = Number(process.env.BENCH_CENTRAL_QUERIES ?? 1000);

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function tx(client: pg.Client, work: () => Promise<unknown>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** Rounds alternate between the variant and the baseline, so drift (autovacuum, cache warm-up) hits both. */
async function alternate(rounds: number, variant: () => Promise<number>, baseline: () => Promise<number>): Promise<{ v: number; b: number }> {
  let v = 0;
  let b = 0;
  for (let r = 0; r < rounds; r += 1) {
    b += await baseline();
    v += await variant();
  }
  return { v, b };
}

async function writeThroughput(ctx: BenchContext): Promise<void> {
  const withAudit = await connect(await ctx.newDatabase('bench_central_audit', { patientsPerClinic: 500 }));
  const without = await connect(await ctx.newDatabase('bench_central_noaudit', { patientsPerClinic: 500 }));
  try {
    await without.query('ALTER TABLE clinic.patients DISABLE TRIGGER audit_capture');
    const ids = async (c: pg.Client) => (await c.query<{ clinic_id: string; id: string }>('SELECT clinic_id, id FROM clinic.patients ORDER BY id')).rows;
    const rowsA = await ids(withAudit);
    const rowsB = await ids(without);
    const round = (c: pg.Client, rows: { clinic_id: string; id: string }[]) => async () => {
      const n = Math.ceil(WRITES / 4);
      const start = performance.now();
      for (let i = 0; i < n; i += 1) {
        const r = rows[i % rows.length]!;
        await tx(c, () => c.query(`UPDATE clinic.patients SET phone = $3 WHERE clinic_id = $1 AND id = $2`, [r.clinic_id, r.id, `9${String(i).padStart(7, '0')}`]));
      }
      return (performance.now() - start) / n;
    };
    const { v, b } = await alternate(4, round(withAudit, rowsA), round(without, rowsB));
    const value = 1000 / (v / 4);
    const base = 1000 / (b / 4);
    emit({ metric: 'audit_write_throughput', value, unit: 'tx/s', baseline: base, ratio: value / base, samples: WRITES, baseline_name: 'same_update_audit_trigger_disabled' });
  } finally {
    await withAudit.end();
    await without.end();
  }
}

async function bookingThroughput(ctx: BenchContext, url: string): Promise<void> {
  const admin = await connect(url);
  const station = await connect(url);
  try {
    await admin.query('CREATE TABLE public.bench_bare (id uuid PRIMARY KEY, at timestamptz NOT NULL, note text)');
    const session = (await admin.query<{ r: { token: string } }>(`SELECT clinic.sign_in('GFC-BDK', 'reception', 'demo1234', 'BENCH-DESK', 'reception') AS r`)).rows[0]!.r;
    const clinicId = (await admin.query<{ id: string }>(`SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'`)).rows[0]!.id;
    const doctors = (await admin.query<{ id: string }>('SELECT id FROM clinic.doctors WHERE clinic_id = $1 AND is_active ORDER BY id', [clinicId])).rows.map((r) => r.id);
    const patients = (await admin.query<{ id: string }>('SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id', [clinicId])).rows.map((r) => r.id);
    await station.query('SET ROLE clinic_station');
    // Distinct 15-minute slots far ahead (a year out, past anything the demo seed booked).
    const origin = Date.UTC(new Date().getUTCFullYear() + 1, 0, 1, 1, 0);
    let next = 0;
    const book = async () => {
      const n = Math.ceil(BOOKINGS / 4);
      const start = performance.now();
      for (let i = 0; i < n; i += 1, next += 1) {
        const at = new Date(origin + Math.floor(next / doctors.length) * 15 * 60_000).toISOString();
        const key = randomUUID();
        await tx(station, async () => {
          await station.query(`SELECT set_config('app.session_token', $1, true), set_config('app.request_id', $2, true)`, [session.token, key]);
          await station.query('SELECT booking.create_booking($1, $2)', [
            key,
            JSON.stringify({ patient_id: patients[next % patients.length], doctor_id: doctors[next % doctors.length], starts_at: at, duration_minutes: 15 }),
          ]);
        });
      }
      return (performance.now() - start) / n;
    };
    const bare = async () => {
      const n = Math.ceil(BOOKINGS / 4);
      const start = performance.now();
      for (let i = 0; i < n; i += 1) await tx(admin, () => admin.query('INSERT INTO public.bench_bare (id, at, note) VALUES ($1, now(), $2)', [randomUUID(), 'x']));
      return (performance.now() - start) / n;
    };
    const { v, b } = await alternate(4, book, bare);
    const value = 1000 / (v / 4);
    const base = 1000 / (b / 4);
    emit({ metric: 'booking_throughput', value, unit: 'tx/s', baseline: base, ratio: value / base, samples: BOOKINGS, baseline_name: 'bare_single_row_insert_tx' });
    await admin.query('DROP TABLE public.bench_bare');
  } finally {
    await station.end();
    await admin.end();
  }
}

async function rlsQuery(url: string): Promise<void> {
  const admin = await connect(url);
  const station = await connect(url);
  try {
    const session = (await admin.query<{ r: { token: string; clinic: { id: string } } }>(`SELECT clinic.sign_in('GFC-BDK', 'nurse', 'demo1234', 'BENCH-NURSE', 'reception') AS r`)).rows[0]!.r;
    await station.query('SET ROLE clinic_station');
    const sql = `SELECT id, full_name, nric_masked, date_of_birth FROM clinic.patients WHERE clinic_id = $1 ORDER BY full_name LIMIT 50`;
    const run = (c: pg.Client, samples: number[]) => async () => {
      for (let i = 0; i < QUERIES / 4; i += 1) {
        const start = performance.now();
        await tx(c, async () => {
          await c.query(`SELECT set_config('app.session_token', $1, true)`, [session.token]);
          const { rowCount } = await c.query(sql, [session.clinic.id]);
          if (rowCount !== 50) throw new Error(`expected 50 rows, got ${rowCount}`);
        });
        samples.push(performance.now() - start);
      }
      return 0;
    };
    const rls: number[] = [];
    const owner: number[] = [];
    await alternate(4, run(station, rls), run(admin, owner));
    for (const p of [50, 95]) {
      const value = percentile(rls, p);
      const base = percentile(owner, p);
      emit({ metric: `rls_query_p${p}`, value, unit: 'ms', baseline: base, ratio: value / base, samples: QUERIES, baseline_name: 'same_query_as_owner_no_rls' });
    }
  } finally {
    await station.end();
    await admin.end();
  }
}

export async function benchCentral(ctx: BenchContext): Promise<void> {
  await writeThroughput(ctx);
  const url = await ctx.newDatabase('bench_central', { patientsPerClinic: 2000 });
  await bookingThroughput(ctx, url);
  await rlsQuery(url);
}
