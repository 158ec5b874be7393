import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { DEMO_PASSWORD, seedDemo, seedDemoIfEmpty } from '../../seeds/demo';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { clinicDay } from '../../src/shared/clinic-day';
import { isValidNric, maskNric } from '../../src/shared/nric';
import { signIn, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// The demo chain as global-setup seeds it into tmpl_demo.

let demo: TestDatabase;
let admin: pg.Client;
let crypto: FieldCrypto;

beforeAll(async () => {
  demo = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(demo.url);
  await admin.connect();
  crypto = await openLocalKeyFile(inject('pg').keyFile);
});

afterAll(async () => {
  await admin?.end();
  await demo?.drop();
});

describe('demo chain', () => {
  test('two clinics, each with three doctors, three rooms, staff accounts and 500 patients', async () => {
    const { rows } = await admin.query(
      `SELECT c.code, c.gst_reg_no IS NOT NULL AS has_gst, c.address <> '' AS has_address,
              (SELECT count(*)::int FROM clinic.doctors d WHERE d.clinic_id = c.id AND d.mcr_number ~ '^M\\d{5}[A-Z]$') AS doctors,
              (SELECT array_agg(r.code || ' ' || r.name ORDER BY r.code) FROM clinic.rooms r WHERE r.clinic_id = c.id) AS rooms,
              (SELECT array_agg(u.role::text ORDER BY u.role::text) FROM clinic.users u WHERE u.clinic_id = c.id) AS roles,
              (SELECT count(*)::int FROM clinic.patients p WHERE p.clinic_id = c.id) AS patients
         FROM clinic.clinics c ORDER BY c.code`,
    );
    const roles = ['receptionist', 'nurse', 'doctor', 'doctor', 'doctor', 'clinic_admin', 'display'].sort();
    const rooms = ['R1 Room 1', 'R2 Room 2', 'R3 Room 3'];
    expect(rows).toEqual([
      { code: 'GFC-BDK', has_gst: true, has_address: true, doctors: 3, rooms, roles, patients: 500 },
      { code: 'GFC-TPY', has_gst: true, has_address: true, doctors: 3, rooms, roles, patients: 500 },
    ]);
  });

  test('every account signs in with the demo password', async () => {
    const station = await stationClient(demo.url);
    try {
      const { rows } = await admin.query<{ code: string; username: string; role: string }>(
        `SELECT c.code, u.username, u.role FROM clinic.users u JOIN clinic.clinics c ON c.id = u.clinic_id`,
      );
      expect(rows).toHaveLength(14);
      for (const [i, row] of rows.entries()) {
        const stationRole = row.role === 'doctor' ? 'consult' : 'display';
        const session = await signIn(station, row.code, row.username, `SEED-CHECK-${i}`, stationRole, DEMO_PASSWORD);
        expect(session.user.username).toBe(row.username);
      }
    } finally {
      await station.end();
    }
  });

  test('NRICs are valid, stored only encrypted, hashed with the run key and masked', async () => {
    const { rows } = await admin.query<{ nric_enc: string; nric_hash: string; nric_masked: string; id_type: string }>(
      `SELECT nric_enc, nric_hash, nric_masked, id_type FROM clinic.patients ORDER BY random() LIMIT 40`,
    );
    const prefixes = new Set<string>();
    for (const row of rows) {
      const nric = await crypto.decrypt(row.nric_enc);
      expect(isValidNric(nric)).toBe(true);
      expect(row.nric_hash).toBe(await crypto.lookupHash('nric', nric));
      expect(row.nric_masked).toBe(maskNric(nric));
      expect(row.id_type).toBe(/^[ST]/.test(nric) ? 'NRIC' : 'FIN');
      prefixes.add(nric[0]!);
    }
    expect(prefixes.size).toBeGreaterThan(1);
    const plaintext = await admin.query(
      `SELECT count(*)::int AS n FROM clinic.patients WHERE nric_enc ~ '[STFGM][0-9]{7}[A-Z]'`,
    );
    expect(plaintext.rows[0].n).toBe(0);
  });

  test("a dozen appointments today per doctor within clinic hours, more on the next days, on booked slots", async () => {
    const today = clinicDay(new Date());
    const { rows } = await admin.query(
      `SELECT d.full_name, count(*)::int AS n,
              min(to_char(a.starts_at AT TIME ZONE 'Asia/Singapore', 'HH24:MI')) AS first,
              max(to_char(a.ends_at AT TIME ZONE 'Asia/Singapore', 'HH24:MI')) AS last
         FROM clinic.appointments a JOIN clinic.doctors d ON d.clinic_id = a.clinic_id AND d.id = a.doctor_id
        WHERE (a.starts_at AT TIME ZONE 'Asia/Singapore')::date = $1::date
        GROUP BY d.full_name`,
      [today],
    );
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row.n).toBe(12);
      expect(row.first >= '09:00').toBe(true);
      expect(row.last <= '17:00').toBe(true);
    }
    const future = await admin.query(
      `SELECT count(*)::int AS n FROM clinic.appointments WHERE (starts_at AT TIME ZONE 'Asia/Singapore')::date > $1::date`,
      [today],
    );
    expect(future.rows[0].n).toBeGreaterThan(0);
    const unbooked = await admin.query(
      `SELECT count(*)::int AS n FROM clinic.appointments a
        WHERE NOT EXISTS (SELECT 1 FROM clinic.appointment_slots s
                           WHERE s.clinic_id = a.clinic_id AND s.appointment_id = a.id AND NOT s.is_available
                             AND s.starts_at = a.starts_at AND s.doctor_id = a.doctor_id)`,
    );
    expect(unbooked.rows[0].n).toBe(0);
  });
});

describe('seeding', () => {
  test('is idempotent: a second run skips the clinics that exist', async () => {
    const before = await admin.query('SELECT count(*)::int AS n FROM sync.changes');
    expect(await seedDemo(admin, { crypto })).toEqual({ created: [], skipped: ['GFC-BDK', 'GFC-TPY'] });
    expect(await seedDemoIfEmpty(demo.url, crypto)).toBe(false);
    const after = await admin.query('SELECT count(*)::int AS n FROM sync.changes');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  test('seedDemoIfEmpty fills a freshly migrated database', async () => {
    const fresh = await createTestDatabase({ template: 'migrated' });
    try {
      expect(await seedDemoIfEmpty(fresh.url, crypto)).toBe(true);
      const client = new pg.Client(fresh.url);
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM clinic.clinics`);
        expect(rows[0].n).toBe(2);
      } finally {
        await client.end();
      }
    } finally {
      await fresh.drop();
    }
  });
});
