import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { call, failure, newPatientArgs, signIn, stationClient, type Row } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// clinic.update_patient (migration 023): reception edits a patient's details, audited, once per request key, never
// over a change the desk did not see.

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;
let crypto: FieldCrypto;
let reception: { token: string; userId: string; stationId: string };
let drTan: string;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  station = await stationClient(db.url);
  crypto = await openLocalKeyFile(inject('pg').keyFile);
  const r = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-1', 'reception');
  reception = { token: r.token, userId: r.user.id, stationId: r.station.id };
  drTan = (await signIn(station, 'GFC-BDK', 'dr.tan', 'BDK-CONSULT-1', 'consult')).token;
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

async function newPatient(): Promise<Row> {
  const { args } = await newPatientArgs(admin, crypto, { full_name: 'Tan Mei Ling', phone: '91234567' });
  return (await call<{ patient: Row }>(station, reception.token, 'register_patient', args)).patient;
}

/** The edit a desk sends: the patient as read, with `changes` made in the form. */
function editOf(patient: Row, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    patient_id: patient.id,
    expected_updated_at: patient.updated_at,
    full_name: patient.full_name,
    date_of_birth: patient.date_of_birth,
    gender: patient.gender,
    phone: patient.phone,
    preferred_language: 'en',
    payer_kind: 'self',
    ...changes,
  };
}

describe('update_patient', () => {
  test('changes the details, in stored forms, and the audit row names the station, the actor, old and new', async () => {
    const patient = await newPatient();
    const key = randomUUID();
    const { patient: edited } = await call<{ patient: Row }>(station, reception.token, 'update_patient', editOf(patient, {
      address: 'Blk 123 Bedok North Ave 3, #05-67, Singapore 460123',
      preferred_language: 'zh',
      next_of_kin_name: 'Tan  Ah Kow',
      next_of_kin_relationship: 'Father',
      next_of_kin_phone: '9876 5432',
      payer_kind: 'company',
      payer_name: 'Acme Pte Ltd',
    }), key);
    expect(edited).toMatchObject({
      address: 'Blk 123 Bedok North Ave 3, #05-67, Singapore 460123',
      preferred_language: 'zh',
      next_of_kin_name: 'Tan Ah Kow',
      next_of_kin_phone: '+6598765432',
      payer_kind: 'company',
      payer_name: 'Acme Pte Ltd',
      phone: '+6591234567',
    });
    expect(edited).not.toHaveProperty('nric_enc');

    const { rows } = await admin.query(`SELECT * FROM audit.log WHERE request_id = $1`, [key]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      table_name: 'patients',
      op: 'U',
      row_id: patient.id,
      actor_user_id: reception.userId,
      actor_role: 'receptionist',
      station_id: reception.stationId,
      old_row: { address: null, preferred_language: 'en', next_of_kin_name: null, payer_kind: 'self', payer_name: null },
      new_row: { address: 'Blk 123 Bedok North Ave 3, #05-67, Singapore 460123', preferred_language: 'zh',
                 next_of_kin_name: 'Tan Ah Kow', payer_kind: 'company', payer_name: 'Acme Pte Ltd' },
    });
    expect(rows[0].changed_columns).not.toContain('full_name');
  });

  test('a replay of the same request is answered with the first result and writes nothing more', async () => {
    const patient = await newPatient();
    const key = randomUUID();
    const args = editOf(patient, { address: '1 Jalan Besar' });
    const first = await call<{ patient: Row }>(station, reception.token, 'update_patient', args, key);
    const second = await call<{ patient: Row }>(station, reception.token, 'update_patient', args, key);
    expect(second).toEqual(first);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM audit.log WHERE row_id = $1 AND op = 'U'`, [patient.id]);
    expect(rows[0].n).toBe(1);
  });

  test('an edit of a record someone changed since it was read is refused with the time of that change', async () => {
    const patient = await newPatient();
    const { patient: changed } = await call<{ patient: Row }>(station, reception.token, 'update_patient',
      editOf(patient, { address: 'First desk' }));
    const e = await failure(call(station, reception.token, 'update_patient', editOf(patient, { address: 'Second desk' })));
    const hhmm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Singapore', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .format(new Date(String(changed.updated_at)));
    expect(e.code).toBe('GC409');
    expect(e.message).toBe(`Someone else changed this patient's record at ${hhmm}; reload it and make your change again.`);
    const { rows } = await admin.query(`SELECT address FROM clinic.patients WHERE id = $1`, [patient.id]);
    expect(rows[0].address).toBe('First desk');
  });

  test.each([
    [{ full_name: 'Tan 123' }, 'full_name', /Full name can only have letters/],
    [{ full_name: '' }, 'full_name', /Full name is required/],
    [{ native_name: '陈😀' }, 'native_name', /Name in own script can only have letters/],
    [{ date_of_birth: '2999-01-01' }, 'date_of_birth', /cannot be in the future/],
    [{ gender: 'x' }, 'gender', /male, female or other/],
    [{ phone: '1234' }, 'phone', /not a Singapore number/],
    [{ email: 'mei@' }, 'email', /not an address/],
    [{ preferred_language: 'fr' }, 'preferred_language', /English, Chinese, Malay or Tamil/],
    [{ next_of_kin_phone: '12' , next_of_kin_name: 'Tan Ah Kow' }, 'next_of_kin_phone', /not a Singapore number/],
    [{ next_of_kin_relationship: 'Father' }, 'next_of_kin_name', /next of kin's name/],
    [{ payer_kind: 'company' }, 'payer_name', /Company is required/],
    [{ payer_kind: 'insurer', payer_name: ' ' }, 'payer_name', /Insurer is required/],
    [{ payer_kind: 'self', payer_name: 'Acme' }, 'payer_name', /pays for themselves/],
    [{ payer_kind: 'boss' }, 'payer_kind', /company or an insurer/],
    [{ expected_updated_at: 'yesterday' }, 'expected_updated_at', /time zone/],
  ])('refuses %o, naming the field', async (changes, column, message) => {
    const patient = await newPatient();
    const e = await failure(call(station, reception.token, 'update_patient', editOf(patient, changes)));
    expect(e.code).toBe('GC400');
    expect(e.column).toBe(column);
    expect(e.message).toMatch(message);
  });

  test('accepts the names Singapore registers write', async () => {
    const patient = await newPatient();
    const { patient: edited } = await call<{ patient: Row }>(station, reception.token, 'update_patient',
      editOf(patient, { full_name: "Rajesh Kumar s/o Subramaniam", native_name: '陈美玲', next_of_kin_name: "Md. Nur'aini binte Osman" }));
    expect(edited).toMatchObject({ full_name: 'Rajesh Kumar s/o Subramaniam', native_name: '陈美玲' });
  });

  test('a doctor may not edit a patient, and an unknown patient is not found', async () => {
    const patient = await newPatient();
    const e = await failure(call(station, drTan, 'update_patient', editOf(patient, { address: 'x' })));
    expect(e.code).toBe('GC403');
    const missing = await failure(call(station, reception.token, 'update_patient', editOf(patient, { patient_id: randomUUID() })));
    expect([missing.code, missing.column]).toEqual(['GC404', 'patient_id']);
  });
});
