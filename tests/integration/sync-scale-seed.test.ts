import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { seedScale, type SeedScaleResult } from '../../seeds/scale';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { clinicDay } from '../../src/shared/clinic-day';
import { isValidNric, maskNric } from '../../src/shared/nric';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** The key tmpl_demo's patients were encrypted with, so the scale rows sit beside them like any others. */
let crypto: Promise<FieldCrypto> | null = null;
const testCrypto = () => (crypto ??= openLocalKeyFile(inject('pg').keyFile));

// seeds/scale.ts on top of the demo chain, small: counts, valid NRIC/FINs, no doctor double-booked.

const PATIENTS = 2_000;
const APPOINTMENTS = 6_000;

let db: TestDatabase;
let client: pg.Client;
let result: SeedScaleResult;
let before: { patients: number; appointments: number; changes: number };

const counts = async (clinicId: string | null) => {
  const { rows } = await client.query<{ patients: number; appointments: number; changes: number }>(
    `SELECT (SELECT count(*)::int FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id WHERE c.code = 'GFC-BDK') AS patients,
            (SELECT count(*)::int FROM clinic.appointments a JOIN clinic.clinics c ON c.id = a.clinic_id WHERE c.code = 'GFC-BDK') AS appointments,
            (SELECT count(*)::int FROM sync.changes WHERE clinic_id = $1 AND table_name IN ('patients', 'appointments')) AS changes`,
    [clinicId],
  );
  return rows[0]!;
};

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  client = new pg.Client(db.url);
  await client.connect();
  const clinicId = (await client.query<{ id: string }>(`SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'`)).rows[0]!.id;
  before = await counts(clinicId);
  result = await seedScale(client, {
    clinicCode: 'GFC-BDK',
    patients: PATIENTS,
    appointments: APPOINTMENTS,
    crypto: await testCrypto(),
    seed: 11,
    rowsPerTransaction: 2_500,
    batchSize: 700,
  });
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('scale seed', () => {
  test('adds exactly the rows asked for, each captured by the change feed', async () => {
    expect(result.patients).toBe(PATIENTS);
    expect(result.appointments).toBe(APPOINTMENTS);
    const after = await counts(result.clinicId);
    expect(after.patients - before.patients).toBe(PATIENTS);
    expect(after.appointments - before.appointments).toBe(APPOINTMENTS);
    expect(after.changes - before.changes).toBe(PATIENTS + APPOINTMENTS);
    const numbers = await client.query<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT appointment_number)::int AS distinct
         FROM clinic.appointments WHERE clinic_id = $1 AND appointment_number LIKE 'BDK-Z%'`,
      [result.clinicId],
    );
    expect(numbers.rows[0]).toEqual({ n: APPOINTMENTS, distinct: APPOINTMENTS });
  });

  test('NRIC/FINs decrypt to valid numbers matching their hash and mask; none repeats', async () => {
    const fieldCrypto = await testCrypto();
    const { rows } = await client.query<{ nric_enc: string; nric_hash: string; nric_masked: string; id_type: string }>(
      `SELECT nric_enc, nric_hash, nric_masked, id_type FROM clinic.patients WHERE clinic_id = $1 ORDER BY random() LIMIT 200`,
      [result.clinicId],
    );
    for (const row of rows) {
      const nric = await fieldCrypto.decrypt(row.nric_enc);
      expect(isValidNric(nric), nric).toBe(true);
      expect(await fieldCrypto.lookupHash('nric', nric)).toBe(row.nric_hash);
      expect(maskNric(nric)).toBe(row.nric_masked);
    }
    const dupes = await client.query(`SELECT nric_hash FROM clinic.patients WHERE clinic_id = $1 GROUP BY 1 HAVING count(*) > 1`, [
      result.clinicId,
    ]);
    expect(dupes.rowCount).toBe(0);
  });

  test('no doctor is double-booked, and appointments lie both in the past and ahead', async () => {
    // Sorted by start, a doctor's appointment overlaps an earlier one exactly when it starts before the latest end so far.
    const overlaps = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n
         FROM (SELECT starts_at,
                      max(ends_at) OVER (PARTITION BY doctor_id ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_end
                 FROM clinic.appointments WHERE clinic_id = $1) a
        WHERE latest_end > starts_at`,
      [result.clinicId],
    );
    expect(overlaps.rows[0]!.n).toBe(0);
    const today = clinicDay(new Date());
    const spread = await client.query<{ past: number; ahead: number; doctors: number; patients: number }>(
      `SELECT count(*) FILTER (WHERE (starts_at AT TIME ZONE 'Asia/Singapore')::date < $2::date)::int AS past,
              count(*) FILTER (WHERE (starts_at AT TIME ZONE 'Asia/Singapore')::date >= $2::date)::int AS ahead,
              count(DISTINCT doctor_id)::int AS doctors, count(DISTINCT patient_id)::int AS patients
         FROM clinic.appointments WHERE clinic_id = $1 AND appointment_number LIKE 'BDK-Z%'`,
      [result.clinicId, today],
    );
    const s = spread.rows[0]!;
    // futureShare defaults to 0.1.
    expect(s.ahead).toBe(APPOINTMENTS / 10);
    expect(s.past).toBe(APPOINTMENTS - APPOINTMENTS / 10);
    expect(s.doctors).toBe(3);
    expect(s.patients).toBeGreaterThan(PATIENTS / 2);
    expect(result.firstDay! < today && result.lastDay! > today).toBe(true);
  });

  test('a second run adds more without colliding with the first (NRICs, numbers, booked cells)', async () => {
    const again = await seedScale(client, { patients: 300, appointments: 900, crypto: await testCrypto(), seed: 11 });
    expect(again.patients).toBe(300);
    const after = await counts(result.clinicId);
    expect(after.patients - before.patients).toBe(PATIENTS + 300);
    expect(after.appointments - before.appointments).toBe(APPOINTMENTS + 900);
  });
});
