import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { exportPatient, exportToHtml, pdpaExportCommand, retentionPurge } from '../../src/server/pdpa';
import { openLocalKeyFile, type FieldCrypto } from '../../src/main/crypto/field-crypto';
import { fillEveryTenantTable } from '../support/central-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Issue 3 §7: the access-request export holds the patient's rows from every table that has them and is itself
// audited; the retention purge's dry run reports exactly what the real purge then removes.

let db: TestDatabase;
let admin: pg.Client;
let crypto: FieldCrypto;
let bdk: { clinicId: string; patientId: string };

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  crypto = await openLocalKeyFile(inject('pg').keyFile);
  bdk = (await fillEveryTenantTable(admin)).get('GFC-BDK')!;
  // An appointment, a ticket and a queue call for the patient too.
  await admin.query(
    `INSERT INTO clinic.appointments (clinic_id, appointment_number, patient_id, doctor_id, starts_at, ends_at, status)
     SELECT $1, 'PDPA-1', $2, id, now() - interval '500 days', now() - interval '500 days' + interval '15 minutes', 'completed'
       FROM clinic.doctors WHERE clinic_id = $1 LIMIT 1`,
    [bdk.clinicId, bdk.patientId],
  );
  await admin.query(
    `WITH t AS (
       INSERT INTO clinic.queue_tickets (clinic_id, service_date, ticket_number, desk_letter, desk_seq, patient_id, kind, priority, status, issued_at, queued_at, called_at, room_id, called_by_doctor_id)
       SELECT $1, current_date - 1, 'Q001', 'Q', 1, $2, 'walk_in', 0, 'called', now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
              (SELECT id FROM clinic.rooms WHERE clinic_id = $1 LIMIT 1), (SELECT id FROM clinic.doctors WHERE clinic_id = $1 LIMIT 1)
       RETURNING clinic_id, id, ticket_number, room_id, called_by_doctor_id)
     INSERT INTO clinic.queue_calls (clinic_id, ticket_id, ticket_number, room_id, doctor_id, kind)
     SELECT clinic_id, id, ticket_number, room_id, called_by_doctor_id, 'call' FROM t`,
    [bdk.clinicId, bdk.patientId],
  );
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

describe('PDPA access-request export', () => {
  test('holds the patient row and their rows from every table that has a patient_id, and nobody else’s', async () => {
    const data = await exportPatient(admin, bdk.patientId, 'test:dpo', crypto);
    expect(data.patient.id).toBe(bdk.patientId);
    expect(data.patient).not.toHaveProperty('nric_enc');
    expect(data.patient).not.toHaveProperty('nric_hash');
    expect(data.nric).toMatch(/^[STFGM][0-9]{7}[A-Z]$/);
    expect(data.nric!.slice(-4)).toBe(String(data.patient.nric_masked).slice(-4));

    const { rows: tables } = await admin.query<{ t: string }>(
      `SELECT table_schema || '.' || table_name AS t FROM rls.tenant_tables t
        WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'patient_id' AND NOT a.attisdropped)
        ORDER BY 1`,
    );
    const empty: string[] = [];
    for (const { t } of tables) {
      // The record of this very export is written after the read.
      const notThisExport = t === 'clinic.data_protection_log' ? ' AND created_at < $3' : ' AND $3::timestamptz IS NOT NULL';
      const { rows } = await admin.query<{ id: string }>(`SELECT id::text FROM ${t} WHERE clinic_id = $1 AND patient_id = $2${notThisExport} ORDER BY id`, [bdk.clinicId, bdk.patientId, data.exported_at]);
      const exported = (data.tables[t] ?? []).filter((r) => r.patient_id === bdk.patientId).map((r) => String(r.id)).sort();
      expect([t, exported]).toEqual([t, rows.map((r) => r.id).sort()]);
      if (!rows.length) empty.push(t);
    }
    expect(tables.length).toBeGreaterThanOrEqual(18);
    // Every such table had rows of this patient (the record of this export is written after the read).
    expect(empty).toEqual(['clinic.data_protection_log']);
    // One hop below: items, calls — and no row of another patient anywhere.
    for (const t of ['clinic.prescription_items', 'clinic.payment_items', 'clinic.queue_calls']) expect(data.tables[t]?.length, t).toBeGreaterThan(0);
    for (const rows of Object.values(data.tables)) {
      for (const r of rows) if ('patient_id' in r && r.patient_id !== null) expect(r.patient_id).toBe(bdk.patientId);
    }
    expect(data.audit.length).toBeGreaterThan(0);
    expect(exportToHtml(data)).toContain(String(data.patient.full_name));
  });

  test('the export is itself recorded and audited', async () => {
    const before = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit.log WHERE table_name = 'data_protection_log'`)).rows[0]!.n;
    const dir = await mkdtemp(join(tmpdir(), 'pdpa-'));
    try {
      const lines: string[] = [];
      await pdpaExportCommand(db.url, bdk.patientId, dir, crypto, (l) => lines.push(l));
      const json = JSON.parse(await readFile(join(dir, `patient-${bdk.patientId}.json`), 'utf8')) as { patient: { id: string } };
      expect(json.patient.id).toBe(bdk.patientId);
      expect(await readFile(join(dir, `patient-${bdk.patientId}.html`), 'utf8')).toMatch(/^<!doctype html>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const { rows } = await admin.query(
      `SELECT kind, requested_by FROM clinic.data_protection_log WHERE patient_id = $1 ORDER BY created_at`, [bdk.patientId]);
    expect(rows.map((r) => r.kind)).toEqual(['access_export', 'access_export']);
    expect(rows[1].requested_by).toMatch(/^cli:/);
    const after = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit.log WHERE table_name = 'data_protection_log' AND op = 'I'`)).rows[0]!.n;
    expect(after).toBe(before + 1);
    await expect(admin.query(`DELETE FROM clinic.data_protection_log WHERE patient_id = $1`, [bdk.patientId])).rejects.toMatchObject({ code: 'GC403' });
  });
});

describe('retention purge', () => {
  test('the dry run reports exactly what the real purge removes, per clinic and category', async () => {
    // BDK keeps messages, sessions, webhook events, feedback and payments for 0 days/years: everything ended is due.
    await admin.query(
      `INSERT INTO clinic.system_settings (clinic_id, key, value) VALUES
         ($1, 'retention.communication_days', '0'), ($1, 'retention.sessions_days', '0'), ($1, 'retention.webhook_days', '0'),
         ($1, 'retention.feedback_days', '0'), ($1, 'retention.financial_years', '0')`,
      [bdk.clinicId],
    );
    await admin.query(`SELECT clinic.sign_in('GFC-BDK', 'reception', 'demo1234', 'PURGE-DESK', 'reception')`);
    await admin.query(`UPDATE clinic.staff_sessions SET expires_at = now() - interval '1 hour', created_at = now() - interval '13 hours' WHERE clinic_id = $1`, [bdk.clinicId]);
    // A patient not seen for 20 years, with a consent, a notification and a 16-year-old payment: erased whole.
    const old = (await admin.query<{ id: string }>(
      `INSERT INTO clinic.patients (clinic_id, nric_hash, nric_enc, nric_masked, id_type, full_name, date_of_birth, gender, created_at)
       VALUES ($1, encode(sha256('old-patient'), 'hex'), '{"v":1}', 'S****123A', 'NRIC', 'Old Patient', '1940-01-01', 'male', now() - interval '20 years')
       RETURNING id`, [bdk.clinicId])).rows[0]!.id;
    await admin.query(`INSERT INTO clinic.consent_records (clinic_id, patient_id, purpose, channel, granted_at) VALUES ($1, $2, 'treatment', 'paper', now() - interval '20 years')`, [bdk.clinicId, old]);
    await admin.query(`INSERT INTO clinic.notifications (clinic_id, patient_id, channel, template, status, created_at) VALUES ($1, $2, 'sms', 'appointment.reminder', 'sent', now() - interval '19 years')`, [bdk.clinicId, old]);
    await admin.query(
      `INSERT INTO clinic.payments (clinic_id, patient_id, receipt_number, status, method, subtotal, gst_rate, gst_amount, total, paid_at, created_at)
       VALUES ($1, $2, 'R-OLD-1', 'paid', 'cash', 20, 0.07, 1.40, 21.40, now() - interval '16 years', now() - interval '16 years')`, [bdk.clinicId, old]);

    const dry = await retentionPurge(admin, true, 'test');
    const dryAgain = await retentionPurge(admin, true, 'test');
    expect(dryAgain).toEqual(dry); // a dry run deletes nothing
    const real = await retentionPurge(admin, false, 'test');
    expect(real).toEqual(dry);
    const bdkCounts = dry['GFC-BDK'] as Record<string, number>;
    expect(bdkCounts.patients).toBe(1);
    for (const k of ['communication', 'notifications', 'sessions', 'webhook_events', 'feedback', 'payments']) expect(bdkCounts[k], k).toBeGreaterThan(0);
    // TPY keeps the chain defaults: nothing of its fresh data is due.
    expect(Object.values(dry['GFC-TPY'] as Record<string, number>).every((n) => n === 0)).toBe(true);

    // Gone, and a second purge finds nothing.
    expect((await admin.query('SELECT 1 FROM clinic.patients WHERE id = $1', [old])).rowCount).toBe(0);
    expect((await admin.query('SELECT 1 FROM clinic.sms_messages WHERE clinic_id = $1', [bdk.clinicId])).rowCount).toBe(0);
    const again = await retentionPurge(admin, true, 'test');
    expect(Object.values(again['GFC-BDK'] as Record<string, number>).every((n) => n === 0)).toBe(true);
    // The erasure is on the audit trail and in the data-protection log.
    expect((await admin.query(`SELECT 1 FROM audit.log WHERE table_name = 'patients' AND row_id = $1 AND op = 'D'`, [old])).rowCount).toBe(1);
    const log = await admin.query(`SELECT kind, count(*)::int AS n FROM clinic.data_protection_log WHERE clinic_id = $1 AND patient_id IS NULL GROUP BY 1 ORDER BY 1`, [bdk.clinicId]);
    expect(log.rows).toEqual([{ kind: 'retention_dry_run', n: 3 }, { kind: 'retention_purge', n: 1 }]);
  });

  test('erase_patient covers every table with a patient_id', async () => {
    const { rows } = await admin.query<{ t: string }>(
      `SELECT table_name AS t FROM clinic.patient_data_tables WHERE parent_table IS NULL AND table_schema = 'clinic' ORDER BY 1`);
    const body = (await admin.query<{ src: string }>(`SELECT prosrc AS src FROM pg_proc WHERE proname = 'erase_patient'`)).rows[0]!.src;
    const missing = rows.map((r) => r.t).filter((t) => t !== 'data_protection_log' && !body.includes(`'${t}'`));
    expect(missing).toEqual([]);
  });
});
