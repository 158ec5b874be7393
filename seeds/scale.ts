import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { openLocalKeyFile, type FieldCrypto } from '../src/main/crypto/field-crypto';
import { clinicDay } from '../src/shared/clinic-day';
import { maskNric, nricIdType } from '../src/shared/nric';
import { chasCard, generatePeople, mulberry32, type Person, type Rng } from './people';

/*
 * Scale data for issue 4's benchmarks and fault tests: 100,000 patients and 300,000 appointments in one clinic of
 * an already demo-seeded database (the clinic, its doctors and rooms exist). Rows go in with the triggers firing
 * (change feed, audit), exactly as seedDemo's do, so stations pull them like any other change; they are batched
 * as INSERT ... SELECT FROM unnest(arrays) in transactions of rowsPerTransaction rows, and the next batch is
 * prepared (encrypted, hashed) while Postgres inserts the previous one.
 *
 * Appointments sit on a 15-minute grid from 08:30 to 21:30 (Singapore time), spread over past days and the days
 * ahead, never on a cell a doctor already has booked (the EXCLUDE constraint of migration 005), numbered
 * `<clinic suffix>-Z0000001` onwards, continuing after an earlier scale run's numbers.
 *
 *   npx tsx seeds/scale.ts <database-url> [patients=100000] [appointments=300000]
 *
 * (SEED_CONNECTIONS=2 by default: batches are spread over that many connections.)
 * The runner encrypts with the key file in GABRIEL_KEY_FILE, else <GABRIEL_DATA_DIR or ./.data>/keys/local-key.json
 * (the app's key, so stations can read what it wrote).
 */

export interface SeedScaleOptions {
  /** The clinic to fill; it must exist with its doctors. */
  clinicCode?: string;
  patients: number;
  appointments: number;
  crypto: FieldCrypto;
  /** Same seed, same people and the same appointment grid (ids and ciphertexts still differ). */
  seed?: number;
  /** The day appointments are spread around; now by default. */
  today?: Date;
  /** Share of appointments from today on (0.1: 30,000 of 300,000, about eight months ahead); the rest lie in the past. */
  futureShare?: number;
  /** Rows per transaction: large, but a transaction holds back every station's pull while it runs (DESIGN §4). */
  rowsPerTransaction?: number;
  /** Rows per INSERT statement. */
  batchSize?: number;
  /**
   * More connections to the same database (connected, not in a transaction): batches are spread over them and
   * `client`, each in its own transactions. The triggers make Postgres the bottleneck, so on a 2-core machine one
   * extra connection makes seeding about a third faster; more does not help.
   */
  extraClients?: pg.ClientBase[];
  log?: (message: string) => void;
}

export interface SeedScaleResult {
  clinicId: string;
  patients: number;
  appointments: number;
  /** First and last day with a new appointment (YYYY-MM-DD, Singapore). */
  firstDay: string | null;
  lastDay: string | null;
  patientSeconds: number;
  appointmentSeconds: number;
  seconds: number;
  rowsPerSecond: number;
}

// 15-minute appointments, 08:30 to 21:30 Singapore time (many HDB clinics run evening sessions).
const SLOT_MINUTES = 15;
const DAY_START_MINUTES = 8 * 60 + 30;
const SLOTS_PER_DAY = 52;
/** Share of a doctor's grid cells that get an appointment, before the count needs more days. */
const DENSITY = 0.8;
const REASONS = ['Follow-up', 'Chronic disease review', 'Fever and cough', 'Vaccination', 'Medical check-up', 'Blood test results', null];


const DAY_MS = 86_400_000;
/** Midnight of a Singapore day as a UTC epoch (Singapore is UTC+8 all year). */
const dayEpoch = (day: string) => Date.parse(`${day}T00:00:00+08:00`);
const dayOf = (epoch: number) => new Date(epoch + 8 * 3_600_000).toISOString().slice(0, 10);

/** Spreads batches round-robin over one BatchWriter per connection. */
class WriterPool {
  private next = 0;
  constructor(private readonly writers: BatchWriter[]) {}

  write(sql: string, params: unknown[], rows: number): Promise<void> {
    const writer = this.writers[this.next++ % this.writers.length]!;
    return writer.write(sql, params, rows);
  }

  async commit(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.commit()));
  }

  async abort(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.abort()));
  }
}

/**
 * Sends batches one after another on one connection, committing every `rowsPerTransaction` rows, with at most one
 * statement in flight so the caller can prepare the next batch meanwhile.
 */
class BatchWriter {
  private inflight: Promise<unknown> | null = null;
  private inTransaction = 0;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly rowsPerTransaction: number,
  ) {}

  async write(sql: string, params: unknown[], rows: number): Promise<void> {
    await this.drain();
    if (this.inTransaction === 0) await this.client.query('BEGIN');
    this.inTransaction += rows;
    const query = this.client.query(sql, params);
    // Observed at once so a failure never goes unhandled while the caller prepares the next batch.
    query.catch(() => undefined);
    this.inflight = query;
    if (this.inTransaction >= this.rowsPerTransaction) await this.commit();
  }

  async commit(): Promise<void> {
    await this.drain();
    if (this.inTransaction > 0) await this.client.query('COMMIT');
    this.inTransaction = 0;
  }

  async abort(): Promise<void> {
    await this.inflight?.catch(() => undefined);
    this.inflight = null;
    if (this.inTransaction > 0) await this.client.query('ROLLBACK').catch(() => undefined);
    this.inTransaction = 0;
  }

  private async drain(): Promise<void> {
    const pending = this.inflight;
    this.inflight = null;
    await pending;
  }
}

const PATIENT_SQL = `
  INSERT INTO clinic.patients (clinic_id, id, nric_hash, nric_enc, nric_masked, id_type, full_name, native_name,
                               date_of_birth, gender, phone, email, address, chas_card)
  SELECT $1::uuid, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::date[], $10::clinic.gender[], $11::text[], $12::text[], $13::text[],
                                 $14::clinic.chas_card_type[])`;

const APPOINTMENT_SQL = `
  INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at,
                                   status, reason)
  SELECT $1::uuid, * FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::timestamptz[],
                                 $7::timestamptz[], $8::clinic.appointment_status[], $9::text[])`;

/** People the clinic does not have yet: generated with `seed`, skipping anyone whose NRIC/FIN is already there. */
async function newPeople(client: pg.ClientBase, clinicId: string, options: SeedScaleOptions, seed: number): Promise<{ person: Person; hash: string }[]> {
  const { rows } = await client.query<{ nric_hash: string }>('SELECT nric_hash FROM clinic.patients WHERE clinic_id = $1', [clinicId]);
  const existing = new Set(rows.map((r) => r.nric_hash));
  // generatePeople's people are unique among themselves, so each existing patient can take out at most one.
  const people = generatePeople(options.patients + existing.size, seed, { today: options.today });
  const out: { person: Person; hash: string }[] = [];
  for (const person of people) {
    if (out.length === options.patients) break;
    const hash = await options.crypto.lookupHash('nric', person.nric);
    if (!existing.has(hash)) out.push({ person, hash });
  }
  return out;
}

async function insertPatients(
  client: pg.ClientBase,
  clinicId: string,
  options: SeedScaleOptions,
  writer: WriterPool,
  rng: Rng,
  seed: number,
  batchSize: number,
  log: (message: string) => void,
): Promise<string[]> {
  const people = await newPeople(client, clinicId, options, seed);
  const ids: string[] = [];
  for (let from = 0; from < people.length; from += batchSize) {
    const batch = people.slice(from, from + batchSize);
    const cols: unknown[][] = Array.from({ length: 13 }, () => []);
    for (const { person, hash } of batch) {
      const id = randomUUID();
      ids.push(id);
      const values = [
        id,
        hash,
        await options.crypto.encrypt(person.nric),
        maskNric(person.nric),
        nricIdType(person.nric),
        person.fullName,
        person.nativeName,
        person.dateOfBirth,
        person.gender,
        person.phone,
        person.email,
        person.address,
        chasCard(rng, person),
      ];
      for (let c = 0; c < values.length; c++) cols[c]!.push(values[c]);
    }
    await writer.write(PATIENT_SQL, [clinicId, ...cols], batch.length);
    if ((from / batchSize) % 10 === 9) log(`patients: ${from + batch.length} of ${people.length}`);
  }
  await writer.commit();
  return ids;
}

interface Grid {
  /** Selected cells, ascending: ((day * doctors) + doctor) * SLOTS_PER_DAY + slot, day counted from firstDay. */
  cells: Int32Array;
  firstDay: string;
}

/** Picks `count` free grid cells at random, `futureShare` of them from today on. */
async function pickCells(
  client: pg.ClientBase,
  clinicId: string,
  doctorIds: string[],
  count: number,
  today: string,
  futureShare: number,
  rng: Rng,
): Promise<Grid> {
  // Cells already taken by an active appointment, as `${doctor index}:${15-minute cell since the epoch}`.
  const taken = new Set<string>();
  const { rows } = await client.query<{ doctor_id: string; s: string; e: string }>(
    `SELECT doctor_id, extract(epoch FROM starts_at)::bigint::text AS s, extract(epoch FROM ends_at)::bigint::text AS e
       FROM clinic.appointments WHERE clinic_id = $1 AND status NOT IN ('cancelled', 'no_show')`,
    [clinicId],
  );
  const doctorIndex = new Map(doctorIds.map((id, i) => [id, i]));
  const cellSeconds = SLOT_MINUTES * 60;
  for (const row of rows) {
    const d = doctorIndex.get(row.doctor_id);
    if (d === undefined) continue;
    for (let c = Math.floor(Number(row.s) / cellSeconds); c < Math.ceil(Number(row.e) / cellSeconds); c++) taken.add(`${d}:${c}`);
  }

  const perDay = doctorIds.length * SLOTS_PER_DAY;
  const futureCount = Math.round(count * futureShare);
  const pastCount = count - futureCount;
  // Days each side, grown until enough cells are free.
  let futureDays = Math.max(1, Math.ceil(futureCount / (perDay * DENSITY)));
  let pastDays = Math.ceil(pastCount / (perDay * DENSITY));
  for (;;) {
    const firstEpoch = dayEpoch(today) - pastDays * DAY_MS;
    const free = (dayCount: number, fromDay: number): Int32Array => {
      const out = new Int32Array(dayCount * perDay);
      let n = 0;
      for (let day = fromDay; day < fromDay + dayCount; day++) {
        const midnightCell = (firstEpoch + day * DAY_MS) / 1000 / cellSeconds;
        for (let d = 0; d < doctorIds.length; d++) {
          for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
            const cell = midnightCell + DAY_START_MINUTES / SLOT_MINUTES + slot;
            if (!taken.has(`${d}:${cell}`)) out[n++] = (day * doctorIds.length + d) * SLOTS_PER_DAY + slot;
          }
        }
      }
      return out.subarray(0, n);
    };
    const past = free(pastDays, 0);
    const future = free(futureDays, pastDays);
    if (past.length < pastCount) {
      pastDays = Math.ceil(pastDays * 1.25) + 1;
      continue;
    }
    if (future.length < futureCount) {
      futureDays = Math.ceil(futureDays * 1.25) + 1;
      continue;
    }
    // Partial Fisher-Yates: the first k of each side are a uniform random choice.
    const choose = (cells: Int32Array, k: number) => {
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rng() * (cells.length - i));
        const t = cells[i]!;
        cells[i] = cells[j]!;
        cells[j] = t;
      }
      return cells.subarray(0, k);
    };
    const cells = new Int32Array(count);
    cells.set(choose(past, pastCount), 0);
    cells.set(choose(future, futureCount), pastCount);
    cells.sort();
    return { cells, firstDay: dayOf(firstEpoch) };
  }
}

async function insertAppointments(
  client: pg.ClientBase,
  clinicId: string,
  suffix: string,
  doctorIds: string[],
  patientIds: string[],
  options: SeedScaleOptions,
  writer: WriterPool,
  rng: Rng,
  batchSize: number,
  log: (message: string) => void,
): Promise<{ firstDay: string | null; lastDay: string | null }> {
  if (options.appointments === 0) return { firstDay: null, lastDay: null };
  if (doctorIds.length === 0) throw new Error('The clinic has no active doctor to give appointments to.');
  if (patientIds.length === 0) throw new Error('Appointments need patients: seed at least one.');
  const today = clinicDay(options.today ?? new Date());
  const { cells, firstDay } = await pickCells(client, clinicId, doctorIds, options.appointments, today, options.futureShare ?? 0.1, rng);
  const prefix = `${suffix}-Z`;
  const { rows } = await client.query<{ n: number | null }>(
    `SELECT max(substr(appointment_number, length($2) + 1)::int) AS n
       FROM clinic.appointments WHERE clinic_id = $1 AND appointment_number ~ ('^' || $2 || '[0-9]+$')`,
    [clinicId, prefix],
  );
  let number = rows[0]?.n ?? 0;
  const firstEpoch = dayEpoch(firstDay);
  const todayEpoch = dayEpoch(today);
  let lastDay: string | null = null;
  let first: string | null = null;

  for (let from = 0; from < cells.length; from += batchSize) {
    const batch = cells.subarray(from, from + batchSize);
    const cols: unknown[][] = Array.from({ length: 8 }, () => []);
    for (const cell of batch) {
      const slot = cell % SLOTS_PER_DAY;
      const doctor = Math.floor(cell / SLOTS_PER_DAY) % doctorIds.length;
      const day = Math.floor(cell / SLOTS_PER_DAY / doctorIds.length);
      const dayStart = firstEpoch + day * DAY_MS;
      const starts = dayStart + (DAY_START_MINUTES + slot * SLOT_MINUTES) * 60_000;
      const r = rng();
      const status =
        dayStart < todayEpoch
          ? r < 0.85
            ? 'completed'
            : r < 0.93
              ? 'cancelled'
              : 'no_show'
          : r < 0.5
            ? 'scheduled'
            : r < 0.95
              ? 'confirmed'
              : 'cancelled';
      const values = [
        randomUUID(),
        `${prefix}${String(++number).padStart(7, '0')}`,
        patientIds[Math.floor(rng() * patientIds.length)],
        doctorIds[doctor],
        new Date(starts).toISOString(),
        new Date(starts + SLOT_MINUTES * 60_000).toISOString(),
        status,
        REASONS[Math.floor(rng() * REASONS.length)],
      ];
      for (let c = 0; c < values.length; c++) cols[c]!.push(values[c]);
      lastDay = dayOf(dayStart);
      first ??= lastDay;
    }
    await writer.write(APPOINTMENT_SQL, [clinicId, ...cols], batch.length);
    if ((from / batchSize) % 10 === 9) log(`appointments: ${from + batch.length} of ${cells.length}`);
  }
  await writer.commit();
  return { firstDay: first, lastDay };
}

/**
 * Adds `patients` patients and `appointments` appointments to one clinic. Do not call it inside a transaction; it
 * commits every rowsPerTransaction rows, so a failure leaves the batches committed before it in place.
 */
export async function seedScale(client: pg.ClientBase, options: SeedScaleOptions): Promise<SeedScaleResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 2025;
  const rng = mulberry32(seed * 7919 + 17);
  const batchSize = options.batchSize ?? 5000;
  const rowsPerTransaction = options.rowsPerTransaction ?? 50_000;
  const writer = new WriterPool([client, ...(options.extraClients ?? [])].map((c) => new BatchWriter(c, rowsPerTransaction)));
  const code = options.clinicCode ?? 'GFC-BDK';
  const clinic = await client.query<{ id: string }>('SELECT id FROM clinic.clinics WHERE code = $1', [code]);
  const clinicId = clinic.rows[0]?.id;
  if (!clinicId) throw new Error(`Clinic ${code} does not exist: seed the demo chain first.`);
  const doctors = await client.query<{ id: string }>('SELECT id FROM clinic.doctors WHERE clinic_id = $1 AND is_active ORDER BY mcr_number', [clinicId]);
  const doctorIds = doctors.rows.map((r) => r.id);
  const suffix = code.split('-').at(-1)!;

  try {
    const patientIds = await insertPatients(client, clinicId, options, writer, rng, seed * 1000 + 500, batchSize, log);
    const patientsDone = performance.now();
    log(`patients: ${patientIds.length} in ${((patientsDone - started) / 1000).toFixed(1)} s`);
    const days = await insertAppointments(client, clinicId, suffix, doctorIds, patientIds, options, writer, rng, batchSize * 2, log);
    const done = performance.now();
    log(`appointments: ${options.appointments} in ${((done - patientsDone) / 1000).toFixed(1)} s`);
    const seconds = (done - started) / 1000;
    return {
      clinicId,
      patients: patientIds.length,
      appointments: options.appointments,
      ...days,
      patientSeconds: (patientsDone - started) / 1000,
      appointmentSeconds: (done - patientsDone) / 1000,
      seconds,
      rowsPerSecond: (patientIds.length + options.appointments) / seconds,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function main(argv: string[]): Promise<void> {
  const [url, patients = '100000', appointments = '300000'] = argv;
  if (!url) throw new Error('Usage: npx tsx seeds/scale.ts <database-url> [patients=100000] [appointments=300000]');
  const keyFile = process.env.GABRIEL_KEY_FILE ?? join(resolve(process.env.GABRIEL_DATA_DIR ?? '.data'), 'keys', 'local-key.json');
  const crypto = await openLocalKeyFile(keyFile);
  const connect = async () => {
    const client = new pg.Client({ connectionString: url, application_name: 'gabriel-seed-scale' });
    await client.connect();
    return client;
  };
  const connections = Math.max(1, Number(process.env.SEED_CONNECTIONS ?? 2));
  const [client, ...extraClients] = await Promise.all(Array.from({ length: connections }, connect));
  try {
    const result = await seedScale(client!, {
      patients: Number(patients),
      appointments: Number(appointments),
      crypto,
      extraClients,
      log: (message) => console.log(message),
    });
    console.log(
      `Seeded ${result.patients} patients in ${result.patientSeconds.toFixed(1)} s (${Math.round(result.patients / result.patientSeconds)} rows/s), ` +
        `${result.appointments} appointments in ${result.appointmentSeconds.toFixed(1)} s (${Math.round(result.appointments / result.appointmentSeconds)} rows/s), ` +
        `${Math.round(result.rowsPerSecond)} rows/s overall; appointments ${result.firstDay} to ${result.lastDay}; key file ${keyFile}`,
    );
  } finally {
    await Promise.all([client!, ...extraClients].map((c) => c.end()));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
