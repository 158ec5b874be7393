import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import pg from 'pg';

/*
 * The physical limit an initial sync is measured against (issue 4, DESIGN §7): the least work that moves the same
 * rows from the central Postgres into a SQLite file. Read: one server-side cursor over a plain SELECT, fetched in
 * large batches as raw text (no type parsing, no row objects), the next batch already on its way while the current
 * one is written. Write: one transaction of prepared INSERTs into bare tables (no keys, no indexes, no FTS).
 * Self-contained on purpose: it shares no code with the sync engine it is the yardstick for.
 */

export interface BaselineOptions {
  /**
   * Which appointments: 'station' (default) the rows an initial sync loads, from the start of yesterday in
   * Singapore; 'all' every appointment of the clinic.
   */
  appointments?: 'station' | 'all';
  /** Rows per FETCH. */
  fetchSize?: number;
  /** The moment 'station' counts yesterday from; now by default. */
  now?: Date;
  /**
   * Copies to make; the fastest is the result (a limit is the best case). On a 2-core machine single copies of
   * 130,000 rows scattered from 87,000 to 140,000 rows/s, so the default is 3.
   */
  repeat?: number;
}

export interface BaselineResult {
  rows: number;
  patients: number;
  appointments: number;
  seconds: number;
  rowsPerSecond: number;
  /** Time spent waiting for Postgres, and inside SQLite; together about `seconds`. */
  readSeconds: number;
  writeSeconds: number;
  /** rows/s of every copy made, in order. */
  samples: number[];
}

// The columns a station mirrors (src/sync/tables.ts), repeated here so the yardstick stays independent.
const PATIENT_COLUMNS = ['clinic_id', 'id', 'nric_hash', 'nric_masked', 'id_type', 'full_name', 'native_name', 'date_of_birth', 'gender', 'phone', 'sync_seq'];
const APPOINTMENT_COLUMNS = ['clinic_id', 'id', 'appointment_number', 'patient_id', 'doctor_id', 'starts_at', 'ends_at', 'status', 'reason', 'sync_seq'];

/** Every value as the text Postgres sent, like COPY's text format. */
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** Midnight starting yesterday in Singapore (UTC+8, no daylight saving), as an ISO instant. */
function yesterdayStart(now: Date): string {
  const sgToday = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  return new Date(Date.parse(`${sgToday}T00:00:00+08:00`) - 86_400_000).toISOString();
}

async function copyTable(
  client: pg.Client,
  sqlite: Database.Database,
  table: string,
  columns: string[],
  where: string,
  params: unknown[],
  fetchSize: number,
  time: { read: number; write: number },
): Promise<number> {
  sqlite.exec(`CREATE TABLE ${table} (${columns.join(', ')})`);
  const insert = sqlite.prepare(`INSERT INTO ${table} VALUES (${columns.map(() => '?').join(', ')})`);
  await client.query(`DECLARE c NO SCROLL CURSOR FOR SELECT ${columns.join(', ')} FROM clinic.${table} WHERE ${where}`, params);
  const fetch = () => client.query<unknown[]>({ text: `FETCH ${fetchSize} FROM c`, rowMode: 'array', types: rawText });
  let count = 0;
  let next = fetch();
  for (;;) {
    const readStart = performance.now();
    const { rows } = await next;
    time.read += performance.now() - readStart;
    if (rows.length === 0) break;
    if (rows.length === fetchSize) next = fetch();
    const writeStart = performance.now();
    for (const row of rows) insert.run(row);
    time.write += performance.now() - writeStart;
    count += rows.length;
    if (rows.length < fetchSize) break;
  }
  await client.query('CLOSE c');
  return count;
}

/**
 * Copies the clinic's patients and (by default the station's window of) appointments from `url` into a new SQLite
 * file at `sqliteFile` (replaced each time), `repeat` times, and returns the fastest copy's rows/s.
 */
export async function physicalLimitBaseline(url: string, clinicId: string, sqliteFile: string, options: BaselineOptions = {}): Promise<BaselineResult> {
  let best: BaselineResult | null = null;
  const samples: number[] = [];
  for (let i = 0; i < Math.max(1, options.repeat ?? 3); i++) {
    const result = await copyOnce(url, clinicId, sqliteFile, options);
    samples.push(result.rowsPerSecond);
    if (!best || result.rowsPerSecond > best.rowsPerSecond) best = result;
  }
  return { ...best!, samples };
}

async function copyOnce(url: string, clinicId: string, sqliteFile: string, options: BaselineOptions): Promise<BaselineResult> {
  const fetchSize = options.fetchSize ?? 20_000;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqliteFile}${suffix}`, { force: true });
  const sqlite = new Database(sqliteFile);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const client = new pg.Client({ connectionString: url, application_name: 'bench-baseline' });
  await client.connect();
  const time = { read: 0, write: 0 };
  try {
    const started = performance.now();
    // One snapshot for both tables, as an initial sync has; read only, so it holds back no station's pull.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    sqlite.exec('BEGIN');
    const patients = await copyTable(client, sqlite, 'patients', PATIENT_COLUMNS, 'clinic_id = $1', [clinicId], fetchSize, time);
    const appointments =
      options.appointments === 'all'
        ? await copyTable(client, sqlite, 'appointments', APPOINTMENT_COLUMNS, 'clinic_id = $1', [clinicId], fetchSize, time)
        : await copyTable(
            client,
            sqlite,
            'appointments',
            APPOINTMENT_COLUMNS,
            'clinic_id = $1 AND starts_at >= $2::timestamptz',
            [clinicId, yesterdayStart(options.now ?? new Date())],
            fetchSize,
            time,
          );
    const commitStart = performance.now();
    sqlite.exec('COMMIT');
    time.write += performance.now() - commitStart;
    await client.query('COMMIT');
    const seconds = (performance.now() - started) / 1000;
    const rows = patients + appointments;
    const rowsPerSecond = rows / seconds;
    return { rows, patients, appointments, seconds, rowsPerSecond, readSeconds: time.read / 1000, writeSeconds: time.write / 1000, samples: [rowsPerSecond] };
  } finally {
    await client.end();
    sqlite.close();
  }
}
