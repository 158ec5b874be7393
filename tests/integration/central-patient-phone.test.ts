import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { defaultMigrationsDir, migrate } from '../../src/server/migrate';
import { parsePhone } from '../../src/shared/phone';
import { call, failure, newPatientArgs, signIn, stationClient, type Row } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Migration 022: the centre keeps patients' phones in E.164 whoever writes them, by the rules of src/shared/phone.ts.

const PHONE_MIGRATION = 22;
const databases: TestDatabase[] = [];

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

async function database(template: 'demo' | 'empty'): Promise<TestDatabase> {
  const db = await createTestDatabase({ template });
  databases.push(db);
  return db;
}

describe('register_patient', () => {
  let admin: pg.Client;
  let station: pg.Client;
  let crypto: FieldCrypto;
  let token: string;

  beforeAll(async () => {
    const db = await database('demo');
    admin = new pg.Client(db.url);
    await admin.connect();
    station = await stationClient(db.url);
    crypto = await openLocalKeyFile(inject('pg').keyFile);
    token = (await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-1', 'reception')).token;
  });

  afterAll(async () => {
    await station?.end();
    await admin?.end();
  });

  async function register(phone: string | null): Promise<Row> {
    const { args } = await newPatientArgs(admin, crypto, { phone });
    return (await call<{ patient: Row }>(station, token, 'register_patient', args)).patient;
  }

  test.each([
    ['9123 4567', '+6591234567'],
    ['+65 9123-4567', '+6591234567'],
    ['65 6123 4567', '+6561234567'],
    ['+60 12 345 6789', '+60123456789'],
  ])('stores %s as %s, and answers the station with the stored form', async (typed, stored) => {
    expect((await register(typed)).phone).toBe(stored);
  });

  test('stores a blank phone as none', async () => {
    expect((await register('  ')).phone).toBeNull();
    expect((await register(null)).phone).toBeNull();
  });

  test('refuses a number that is not one, as GC400 on the phone field, in words', async () => {
    const e = await failure(register('1234 5678'));
    expect(e.code).toBe('GC400');
    expect(e.column).toBe('phone');
    expect(e.message).toBe('Phone 1234 5678 is not a Singapore number (8 digits starting with 3, 6, 8 or 9) or a number abroad written with + and its country code.');
  });

  test('agrees with the station on every number the station accepts or refuses', async () => {
    const typed = ['91234567', '6591234567', '+6591234567', '(65) 8123 4567', '3123 4567', '5123 4567', '+65 1234 5678', '912345678', '+0 1234 5678', '+1 234', '+8613800138000', 'call me'];
    const { rows } = await admin.query<{ typed: string; stored: string | null }>('SELECT t AS typed, clinic.e164_phone(t) AS stored FROM unnest($1::text[]) t', [typed]);
    expect(rows.map((r) => r.stored)).toEqual(typed.map((t) => {
      const parsed = parsePhone(t);
      return parsed.ok ? parsed.e164 : null;
    }));
  });

  test('holds the seeds, which write rows directly, to the same form', async () => {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinic.patients WHERE phone !~ '^\\+[1-9][0-9]{7,14}$'`);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('the phones stored before migration 022', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'phone-migration-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('are rewritten in E.164 and reach the stations through the change feed; one it cannot read is left alone', async () => {
    const before = join(scratch, 'before');
    await cp(defaultMigrationsDir(), before, { recursive: true });
    for (const file of await readdir(before)) if (Number(file.slice(0, file.indexOf('.'))) >= PHONE_MIGRATION) await rm(join(before, file));
    const db = await database('empty');
    await migrate(db.url, { dir: before });

    const admin = new pg.Client(db.url);
    await admin.connect();
    try {
      const { rows: clinic } = await admin.query<{ id: string }>(`INSERT INTO clinic.clinics (code, name) VALUES ('PHONE-TEST', 'Phone Test Clinic') RETURNING id`);
      const typed = ['9123 4567', '+65 8123-4567', '+6591110000', '', 'call after 6pm', null, '+60 12 345 6789'];
      const ids: string[] = [];
      for (const [i, phone] of typed.entries()) {
        const id = randomUUID();
        ids.push(id);
        await admin.query(
          `INSERT INTO clinic.patients (clinic_id, id, nric_hash, nric_enc, nric_masked, id_type, full_name, date_of_birth, gender, phone)
           VALUES ($1, $2, $3, '{"ct":"x"}', $4, 'NRIC', 'Old Phone', '1970-01-01', 'male', $5)`,
          [clinic[0]!.id, id, randomBytes(32).toString('hex'), `S****${String(i).padStart(3, '0')}A`, phone],
        );
      }
      const { rows: last } = await admin.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM sync.changes');

      await migrate(db.url);

      const { rows } = await admin.query<{ id: string; phone: string | null }>('SELECT id, phone FROM clinic.patients WHERE id = ANY($1)', [ids]);
      const stored = ids.map((id) => rows.find((r) => r.id === id)!.phone);
      expect(stored).toEqual(['+6591234567', '+6581234567', '+6591110000', null, 'call after 6pm', null, '+60123456789']);
      const { rows: feed } = await admin.query<{ phone: string | null }>(`SELECT row ->> 'phone' AS phone FROM sync.changes WHERE table_name = 'patients' AND seq > $1`, [last[0]!.seq]);
      expect(feed.map((c) => c.phone).sort()).toEqual(['+60123456789', '+6581234567', '+6591234567', null].sort());
    } finally {
      await admin.end();
    }
  });
});
