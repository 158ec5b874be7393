import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { FieldCrypto } from '../src/main/crypto/field-crypto';
import { clinicDay } from '../src/shared/clinic-day';
import { maskNric, nricIdType } from '../src/shared/nric';
import { chasCard, generatePeople, mulberry32, type Rng } from './people';

/*
 * The demo chain: two clinics with doctors, rooms, staff accounts, synthetic patients and today's appointments.
 * Every account's password is DEMO_PASSWORD. Rows are inserted directly as the database owner (no procedures, no
 * session) but with the change-feed triggers firing, so stations pull them like any other change.
 */

export const DEMO_PASSWORD = 'demo1234';

export interface SeedDemoOptions {
  crypto: FieldCrypto;
  patientsPerClinic?: number;
  /** The day appointments are made around; now by default. */
  today?: Date;
  /** Same seed, same people and appointments. */
  seed?: number;
}

export interface SeedDemoResult {
  /** Codes of the clinics this call created. */
  created: string[];
  /** Codes of the clinics that already existed and were left alone. */
  skipped: string[];
}

interface DemoAccount {
  username: string;
  fullName: string;
  role: 'receptionist' | 'nurse' | 'clinic_admin' | 'doctor' | 'display';
  /** Doctors only. */
  mcr?: string;
  /** Non-doctor staff only. */
  position?: string;
}

interface DemoClinicSpec {
  code: string;
  name: string;
  address: string;
  gstRegNo: string;
  phone: string;
  accounts: DemoAccount[];
}

// Invented names, numbers and registration numbers; addresses are ordinary HDB shopfront blocks.
const DEMO_CLINICS: DemoClinicSpec[] = [
  {
    code: 'GFC-BDK',
    name: 'Gabriel Family Clinic (Bedok)',
    address: 'Blk 204 Bedok North Street 1, #01-401, Singapore 460204',
    gstRegNo: '201912345K',
    phone: '+65 6441 2203',
    accounts: [
      { username: 'reception', fullName: 'Lim Mei Ling', role: 'receptionist', position: 'Clinic Assistant' },
      { username: 'nurse', fullName: 'Nur Aisyah binte Rahman', role: 'nurse', position: 'Staff Nurse' },
      { username: 'admin', fullName: 'Gabriel Koh', role: 'clinic_admin', position: 'Clinic Manager' },
      { username: 'dr.tan', fullName: 'Dr Tan Wei Ming', role: 'doctor', mcr: 'M12345A' },
      { username: 'dr.siti', fullName: 'Dr Siti Hajar binte Osman', role: 'doctor', mcr: 'M23456B' },
      { username: 'dr.kumar', fullName: 'Dr Arun Kumar', role: 'doctor', mcr: 'M34567C' },
      // The waiting-room display's device account: it reads ticket numbers and calls, nothing else.
      { username: 'display', fullName: 'Waiting-room display', role: 'display' },
    ],
  },
  {
    code: 'GFC-TPY',
    name: 'Gabriel Family Clinic (Toa Payoh)',
    address: 'Blk 190 Lorong 6 Toa Payoh, #01-550, Singapore 310190',
    gstRegNo: '201912345K',
    phone: '+65 6253 1190',
    accounts: [
      { username: 'reception', fullName: 'Chua Hui Min', role: 'receptionist', position: 'Clinic Assistant' },
      { username: 'nurse', fullName: 'Priya d/o Subramaniam', role: 'nurse', position: 'Staff Nurse' },
      { username: 'admin', fullName: 'Daniel Ong', role: 'clinic_admin', position: 'Clinic Manager' },
      { username: 'dr.wong', fullName: 'Dr Wong Li Ting', role: 'doctor', mcr: 'M45678D' },
      { username: 'dr.farah', fullName: 'Dr Farah binte Ismail', role: 'doctor', mcr: 'M56789E' },
      { username: 'dr.menon', fullName: 'Dr Vikram Menon', role: 'doctor', mcr: 'M67890F' },
      { username: 'display', fullName: 'Waiting-room display', role: 'display' },
    ],
  },
];

const ROOMS = [1, 2, 3].map((n) => ({ code: `R${n}`, name: `Room ${n}` }));

// Appointment grid: 15-minute slots, 09:00 to 17:00 Singapore time.
const SLOT_MINUTES = 15;
const DAY_START_MINUTES = 9 * 60;
const SLOTS_PER_DAY = 32;
const TODAY_APPOINTMENTS_PER_DOCTOR = 12;
const FUTURE_DAYS = 5;
const FUTURE_APPOINTMENTS_PER_DOCTOR_DAY = 4;
const REASONS = ['Follow-up', 'Chronic disease review', 'Fever and cough', 'Vaccination', 'Medical check-up', 'Blood test results'];


function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The instant of minute `minutes` after midnight on `day` in Singapore (UTC+8 all year, no daylight saving). */
function sgInstant(day: string, minutes: number): string {
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${day}T${hh}:${mm}:00+08:00`;
}

/** One INSERT per table from a JSON array; ids are generated here so rows can refer to each other. */
async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: Record<string, string>,
  rows: Record<string, unknown>[],
): Promise<void> {
  const names = Object.keys(columns);
  await client.query(
    `INSERT INTO clinic.${table} (${names.join(', ')})
     SELECT ${names.join(', ')}
       FROM jsonb_to_recordset($1::jsonb) AS r(${names.map((n) => `${n} ${columns[n]}`).join(', ')})`,
    [JSON.stringify(rows)],
  );
}

async function seedClinic(
  client: pg.ClientBase,
  spec: DemoClinicSpec,
  index: number,
  options: Required<Omit<SeedDemoOptions, 'today'>> & { today: Date },
): Promise<void> {
  const rng = mulberry32(options.seed * 31 + index);
  const {
    rows: [clinic],
  } = await client.query<{ id: string }>(
    `INSERT INTO clinic.clinics (code, name, address, gst_reg_no, phone) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [spec.code, spec.name, spec.address, spec.gstRegNo, spec.phone],
  );
  const clinicId = clinic!.id;

  // Each account gets its own salt; bcrypt at cost 10 makes this the slow part of seeding.
  const { rows: hashes } = await client.query<{ hash: string }>(
    'SELECT clinic.hash_password($1) AS hash FROM generate_series(1, $2)',
    [DEMO_PASSWORD, spec.accounts.length],
  );
  const accounts = spec.accounts.map((a) => ({ ...a, userId: randomUUID() }));
  await insertRows(
    client,
    'users',
    { clinic_id: 'uuid', id: 'uuid', username: 'text', full_name: 'text', role: 'clinic.user_role', password_hash: 'text' },
    accounts.map((a, i) => ({
      clinic_id: clinicId,
      id: a.userId,
      username: a.username,
      full_name: a.fullName,
      role: a.role,
      password_hash: hashes[i]!.hash,
    })),
  );
  const doctors = accounts
    .filter((a) => a.mcr)
    .map((a) => ({ clinic_id: clinicId, id: randomUUID(), user_id: a.userId, full_name: a.fullName, mcr_number: a.mcr }));
  await insertRows(
    client,
    'doctors',
    { clinic_id: 'uuid', id: 'uuid', user_id: 'uuid', full_name: 'text', mcr_number: 'text' },
    doctors,
  );
  const doctorIds = doctors.map((d) => d.id);
  await insertRows(
    client,
    'staff',
    { clinic_id: 'uuid', user_id: 'uuid', full_name: 'text', position: 'text' },
    accounts
      .filter((a) => a.position)
      .map((a) => ({ clinic_id: clinicId, user_id: a.userId, full_name: a.fullName, position: a.position })),
  );
  await insertRows(
    client,
    'rooms',
    { clinic_id: 'uuid', code: 'text', name: 'text' },
    ROOMS.map((r) => ({ clinic_id: clinicId, ...r })),
  );

  const people = generatePeople(options.patientsPerClinic, options.seed * 1000 + index, { today: options.today });
  const patients = await Promise.all(
    people.map(async (p) => ({
      clinic_id: clinicId,
      id: randomUUID(),
      nric_hash: await options.crypto.lookupHash('nric', p.nric),
      nric_enc: await options.crypto.encrypt(p.nric),
      nric_masked: maskNric(p.nric),
      id_type: nricIdType(p.nric),
      full_name: p.fullName,
      native_name: p.nativeName,
      date_of_birth: p.dateOfBirth,
      gender: p.gender,
      phone: p.phone,
      email: p.email,
      address: p.address,
      chas_card: chasCard(rng, p),
    })),
  );
  await insertRows(
    client,
    'patients',
    {
      clinic_id: 'uuid',
      id: 'uuid',
      nric_hash: 'text',
      nric_enc: 'text',
      nric_masked: 'text',
      id_type: 'text',
      full_name: 'text',
      native_name: 'text',
      date_of_birth: 'date',
      gender: 'clinic.gender',
      phone: 'text',
      email: 'text',
      address: 'text',
      chas_card: 'clinic.chas_card_type',
    },
    patients,
  );
  const patientIds = patients.map((p) => p.id);

  // Appointments: a dozen today per doctor, a few on each of the next days, each on a free slot of that doctor.
  const today = clinicDay(options.today);
  const suffix = spec.code.replace(/^GFC-/, '');
  const appointments: { id: string; [column: string]: unknown }[] = [];
  const booked = new Map<string, string>(); // `${doctor}|${day}|${slot}` -> appointment id
  const patientOrder = shuffled(rng, patientIds);
  let nextPatient = 0;
  for (let d = 0; d <= FUTURE_DAYS; d++) {
    const day = addDays(today, d);
    let dayCount = 0;
    for (const doctorId of doctorIds) {
      const perDoctor = d === 0 ? TODAY_APPOINTMENTS_PER_DOCTOR : FUTURE_APPOINTMENTS_PER_DOCTOR_DAY;
      const slots = shuffled(rng, [...Array(SLOTS_PER_DAY).keys()]).slice(0, perDoctor).sort((a, b) => a - b);
      for (const slot of slots) {
        const start = DAY_START_MINUTES + slot * SLOT_MINUTES;
        const id = randomUUID();
        booked.set(`${doctorId}|${day}|${slot}`, id);
        appointments.push({
          clinic_id: clinicId,
          id,
          appointment_number: `${suffix}-${day.replaceAll('-', '')}-${String(++dayCount).padStart(3, '0')}`,
          patient_id: patientOrder[nextPatient++ % patientOrder.length],
          doctor_id: doctorId,
          starts_at: sgInstant(day, start),
          ends_at: sgInstant(day, start + SLOT_MINUTES),
          status: rng() < 0.5 ? 'confirmed' : 'scheduled',
          reason: REASONS[Math.floor(rng() * REASONS.length)],
        });
      }
    }
  }
  await insertRows(
    client,
    'appointments',
    {
      clinic_id: 'uuid',
      id: 'uuid',
      appointment_number: 'text',
      patient_id: 'uuid',
      doctor_id: 'uuid',
      starts_at: 'timestamptz',
      ends_at: 'timestamptz',
      status: 'clinic.appointment_status',
      reason: 'text',
    },
    appointments,
  );

  const slots: Record<string, unknown>[] = [];
  for (let d = 0; d <= FUTURE_DAYS; d++) {
    const day = addDays(today, d);
    for (const doctorId of doctorIds) {
      for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
        const start = DAY_START_MINUTES + slot * SLOT_MINUTES;
        const appointment = booked.get(`${doctorId}|${day}|${slot}`);
        slots.push({
          clinic_id: clinicId,
          doctor_id: doctorId,
          starts_at: sgInstant(day, start),
          ends_at: sgInstant(day, start + SLOT_MINUTES),
          is_available: appointment === undefined,
          appointment_id: appointment ?? null,
        });
      }
    }
  }
  await insertRows(
    client,
    'appointment_slots',
    {
      clinic_id: 'uuid',
      doctor_id: 'uuid',
      starts_at: 'timestamptz',
      ends_at: 'timestamptz',
      is_available: 'boolean',
      appointment_id: 'uuid',
    },
    slots,
  );
}

/**
 * Creates the demo clinics that do not exist yet, each in its own transaction (so do not call it inside one).
 * Concurrent seeders serialize on an advisory lock and the later one skips what the first created.
 */
export async function seedDemo(client: pg.ClientBase, options: SeedDemoOptions): Promise<SeedDemoResult> {
  const resolved = {
    crypto: options.crypto,
    patientsPerClinic: options.patientsPerClinic ?? 500,
    today: options.today ?? new Date(),
    seed: options.seed ?? 2024,
  };
  const result: SeedDemoResult = { created: [], skipped: [] };
  for (const [index, spec] of DEMO_CLINICS.entries()) {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('gabriel-seed-demo'))`);
      const { rowCount } = await client.query('SELECT 1 FROM clinic.clinics WHERE code = $1', [spec.code]);
      if (rowCount) {
        result.skipped.push(spec.code);
      } else {
        await seedClinic(client, spec, index, resolved);
        result.created.push(spec.code);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    }
  }
  return result;
}

/** Seeds the demo chain into a database that has no clinic yet; true when it did. */
export async function seedDemoIfEmpty(url: string, crypto: FieldCrypto): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, application_name: 'gabriel-seed' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM clinic.clinics LIMIT 1');
    if (rowCount) return false;
    const { created } = await seedDemo(client, { crypto });
    return created.length > 0;
  } finally {
    await client.end();
  }
}
