import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fillEveryTenantTable } from '../support/central-fixtures';
import { signIn, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Issue 3 §6: the views respect row-level security; the metrics view refreshes concurrently.

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;
let bdk: { clinicId: string; patientId: string };
const tokens = new Map<string, string>();

async function asStation<T extends pg.QueryResultRow>(token: string | null, sql: string, values: unknown[] = []): Promise<T[]> {
  await station.query('BEGIN');
  try {
    await station.query(`SELECT set_config('app.session_token', $1, true)`, [token ?? '']);
    return (await station.query<T>(sql, values)).rows;
  } finally {
    await station.query('ROLLBACK');
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  bdk = (await fillEveryTenantTable(admin)).get('GFC-BDK')!;
  // Appointments ahead in both clinics.
  await admin.query(`UPDATE clinic.appointments SET starts_at = starts_at + interval '400 days', ends_at = ends_at + interval '400 days'`);
  station = await stationClient(db.url);
  for (const [role, user, kind] of [['receptionist', 'reception', 'reception'], ['doctor', 'dr.tan', 'consult'], ['clinic_admin', 'admin', 'reception']] as const) {
    tokens.set(role, (await signIn(station, 'GFC-BDK', user, `V-${role}`, kind)).token);
  }
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

describe('views', () => {
  test('the patient views are security_invoker; the metrics view has the unique index CONCURRENTLY needs', async () => {
    const { rows } = await admin.query<{ relname: string; reloptions: string[] | null }>(
      `SELECT relname, reloptions FROM pg_class WHERE relname IN ('view_upcoming_appointments', 'view_patient_summary') ORDER BY 1`);
    for (const r of rows) expect(r.reloptions).toContain('security_invoker=true');
    expect(rows).toHaveLength(2);
    const idx = await admin.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'mat_view_daily_clinic_metrics'`);
    expect(idx.rows[0].indexdef).toMatch(/UNIQUE INDEX .* \(clinic_id, day\)/);
  });

  test('view_upcoming_appointments shows the session clinic only, and nothing without a session', async () => {
    const own = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM clinic.appointments WHERE clinic_id = $1 AND starts_at >= now() AND status IN ('scheduled','confirmed','checked_in')`, [bdk.clinicId]);
    expect(own.rows[0]!.n).toBeGreaterThan(0);
    const seen = await asStation<{ clinic_id: string }>(tokens.get('receptionist')!, 'SELECT clinic_id FROM clinic.view_upcoming_appointments');
    expect(seen).toHaveLength(own.rows[0]!.n);
    expect(new Set(seen.map((r) => r.clinic_id))).toEqual(new Set([bdk.clinicId]));
    expect(await asStation(null, 'SELECT * FROM clinic.view_upcoming_appointments')).toEqual([]);
  });

  test('view_patient_summary: clinical columns NULL for reception, filled for the doctor; own clinic only', async () => {
    const sql = 'SELECT clinic_id, allergies, conditions FROM clinic.view_patient_summary WHERE id = $1';
    expect(await asStation(tokens.get('receptionist')!, sql, [bdk.patientId])).toEqual([{ clinic_id: bdk.clinicId, allergies: null, conditions: null }]);
    expect(await asStation(tokens.get('doctor')!, sql, [bdk.patientId])).toEqual([{ clinic_id: bdk.clinicId, allergies: ['Penicillin'], conditions: ['I10'] }]);
    const all = await asStation<{ clinic_id: string }>(tokens.get('doctor')!, 'SELECT DISTINCT clinic_id FROM clinic.view_patient_summary');
    expect(all).toEqual([{ clinic_id: bdk.clinicId }]);
    expect(await asStation(null, 'SELECT * FROM clinic.view_patient_summary')).toEqual([]);
  });

  test('daily metrics refresh concurrently; admins see their clinic, analytics the aggregate, nobody else', async () => {
    await admin.query(`UPDATE clinic.appointments SET status = 'completed' WHERE clinic_id = $1 AND id = (SELECT id FROM clinic.appointments WHERE clinic_id = $1 ORDER BY id LIMIT 1)`, [bdk.clinicId]);
    const refreshed = await admin.query<{ r: { rows: number } }>('SELECT ops.refresh_metrics() AS r');
    expect(refreshed.rows[0]!.r.rows).toBeGreaterThan(0);
    const completed = await admin.query<{ n: number }>('SELECT sum(appointments_completed)::int AS n FROM clinic.mat_view_daily_clinic_metrics WHERE clinic_id = $1', [bdk.clinicId]);
    expect(completed.rows[0]!.n).toBeGreaterThanOrEqual(1);
    // CONCURRENTLY: a reader holding the view open is not blocked by the refresh.
    const reader = new pg.Client(db.url);
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM clinic.mat_view_daily_clinic_metrics');
    await admin.query(`SET lock_timeout = '2s'`);
    await admin.query('SELECT ops.refresh_metrics()');
    await reader.query('COMMIT');
    await reader.end();

    const adminRows = await asStation<{ clinic_id: string }>(tokens.get('clinic_admin')!, 'SELECT DISTINCT clinic_id FROM clinic.view_daily_clinic_metrics');
    expect(adminRows).toEqual([{ clinic_id: bdk.clinicId }]);
    expect(await asStation(tokens.get('receptionist')!, 'SELECT * FROM clinic.view_daily_clinic_metrics')).toEqual([]);
    await expect(asStation(tokens.get('clinic_admin')!, 'SELECT * FROM clinic.mat_view_daily_clinic_metrics')).rejects.toMatchObject({ code: '42501' });
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL ROLE clinic_analytics');
      const clinics = await admin.query('SELECT DISTINCT clinic_id FROM clinic.mat_view_daily_clinic_metrics');
      expect(clinics.rowCount).toBe(2);
    } finally {
      await admin.query('ROLLBACK');
    }
  });
});
