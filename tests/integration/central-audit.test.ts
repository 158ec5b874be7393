import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clinicDay } from '../../src/shared/clinic-day';
import { fillEveryTenantTable } from '../support/central-fixtures';
import { beginAs, call, failure, newPatientArgs, procIn, signIn, stationClient, type SignInResult } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testCrypto } from '../support/stations';

// The audit trail (issue 3 §2, DESIGN §3): one row per write to a tracked table, actor from the verified session,
// no secrets, append-only for every role, monthly partitions kept ahead and retired to archive.

const TRACKED = ['users', 'patients', 'doctors', 'staff', 'appointments', 'queue_tickets', 'medical_records', 'prescriptions', 'payments', 'insurance_claims', 'telemedicine_sessions', 'consent_records'];

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;
let reception: SignInResult;
let doctor: SignInResult;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  await fillEveryTenantTable(admin);
  station = await stationClient(db.url);
  reception = await signIn(station, 'GFC-BDK', 'reception', 'AUDIT-DESK', 'reception');
  doctor = await signIn(station, 'GFC-BDK', 'dr.tan', 'AUDIT-CONSULT', 'consult');
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

const auditCount = async (): Promise<number> => Number((await admin.query('SELECT count(*) AS n FROM audit.log')).rows[0].n);

describe('audit trail', () => {
  test('exactly the tracked tables carry the audit trigger', async () => {
    const { rows } = await admin.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE g.tgname = 'audit_capture' AND NOT g.tgisinternal ORDER BY 1`,
    );
    // Plus the PDPA request log (migration 013): an access export is itself on the audit trail; and stations and
    // their enrolment codes (018), which the demo has no rows of until a station is enrolled.
    expect(rows.map((r) => r.t)).toEqual([...TRACKED, 'data_protection_log', 'enrolment_codes', 'stations'].sort());
  });

  test('a procedure call leaves one row per written row, with the verified actor and request id, no secrets', async () => {
    const crypto = await testCrypto();
    const { args } = await newPatientArgs(admin, crypto);
    const key = randomUUID();
    const before = await auditCount();
    await call(station, reception.token, 'register_patient', args, key);
    const { rows } = await admin.query(`SELECT * FROM audit.log WHERE request_id = $1`, [key]);
    expect(await auditCount()).toBe(before + 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      table_name: 'patients',
      op: 'I',
      row_id: args.id,
      clinic_id: reception.clinic.id,
      actor_user_id: reception.user.id,
      actor_role: 'receptionist',
      station_id: reception.station.id,
      db_role: 'postgres',
    });
    expect(Object.keys(rows[0].new_row)).not.toContain('nric_enc');
    expect(Object.keys(rows[0].new_row)).not.toContain('nric_hash');
    expect(JSON.stringify(rows[0])).not.toContain(String(args.nric_enc).slice(10, 40));
    expect(rows[0].new_row.nric_masked).toBe(args.nric_masked);

    // The doctor calls that patient: one UPDATE row for the ticket, by the doctor, with only what changed.
    const ticketKey = randomUUID();
    await call(station, reception.token, 'issue_ticket', {
      service_date: clinicDay(new Date()),
      ticket_number: `${reception.station.desk_letter!}001`,
      desk_letter: reception.station.desk_letter!,
      desk_seq: 1,
      patient_id: args.id,
      issued_at: new Date().toISOString(),
    }, ticketKey);
    const rooms = await admin.query(`SELECT id FROM clinic.rooms WHERE clinic_id = $1 AND code = 'R1'`, [reception.clinic.id]);
    const callKey = randomUUID();
    const called = await call<{ ticket: { id: string } | null }>(station, doctor.token, 'call_next', { room_id: rooms.rows[0].id }, callKey);
    const { rows: calls } = await admin.query(`SELECT * FROM audit.log WHERE request_id = $1`, [callKey]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ table_name: 'queue_tickets', op: 'U', row_id: called.ticket!.id, actor_user_id: doctor.user.id, actor_role: 'doctor' });
    expect(calls[0].changed_columns).toEqual(expect.arrayContaining(['status', 'called_at', 'room_id']));
    expect(calls[0].old_row.status).toBe('waiting');
    expect(calls[0].new_row.status).toBe('called');
  });

  test('a request id the station merely claims is not recorded as verified', async () => {
    const crypto = await testCrypto();
    const { args } = await newPatientArgs(admin, crypto);
    const claimed = randomUUID();
    await beginAs(station, reception.token, claimed);
    await procIn(station, 'register_patient', args, randomUUID());
    await station.query('COMMIT');
    const { rows } = await admin.query(`SELECT actor_user_id, request_id FROM audit.log WHERE row_id = $1`, [args.id]);
    expect(rows).toEqual([{ actor_user_id: reception.user.id, request_id: null }]);
  });

  test('every write to every tracked table leaves exactly one row; the owner writing without a session is recorded as such', async () => {
    for (const table of TRACKED) {
      const { rows } = await admin.query<{ id: string; clinic_id: string }>(`SELECT clinic_id, id FROM clinic.${table} LIMIT 1`);
      expect(rows, table).toHaveLength(1);
      const before = await auditCount();
      await admin.query(`UPDATE clinic.${table} SET clinic_id = clinic_id WHERE clinic_id = $1 AND id = $2`, [rows[0]!.clinic_id, rows[0]!.id]);
      const after = await admin.query(`SELECT op, actor_user_id, db_role FROM audit.log WHERE table_name = $1 AND row_id = $2 ORDER BY id DESC LIMIT 1`, [table, rows[0]!.id]);
      expect(await auditCount(), table).toBe(before + 1);
      expect(after.rows[0], table).toEqual({ op: 'U', actor_user_id: null, db_role: 'postgres' });
    }
  });

  test('UPDATE, DELETE and TRUNCATE of the audit log fail for every application role and for the owner', async () => {
    const { rows: parts } = await admin.query<{ p: string }>(`SELECT inhrelid::regclass::text AS p FROM pg_inherits WHERE inhparent = 'audit.log'::regclass LIMIT 1`);
    const targets = ['audit.log', parts[0]!.p];
    for (const role of ['clinic_station', 'clinic_integration', 'clinic_analytics', 'clinic_owner', null]) {
      for (const target of targets) {
        for (const sql of [`UPDATE ${target} SET actor_role = 'x'`, `DELETE FROM ${target}`, `TRUNCATE ${target}`, `INSERT INTO ${target} (table_schema, table_name, row_id, op) VALUES ('clinic', 'x', gen_random_uuid(), 'I')`]) {
          await admin.query('BEGIN');
          try {
            // Application roles have no privilege at all; the owner (clinic_owner, and the superuser who
            // migrates) is stopped by the triggers, and only the owner inserts (as the audit trigger does).
            const owner = role === null || role === 'clinic_owner';
            if (sql.startsWith('INSERT') && owner) continue;
            if (role) await admin.query(`SET LOCAL ROLE ${role}`);
            const error = await failure(admin.query(sql));
            expect([role, sql, error.code]).toEqual([role, sql, owner ? 'GC403' : '42501']);
          } finally {
            await admin.query('ROLLBACK');
          }
        }
      }
    }
  });

  test('partition upkeep creates months ahead; retention moves old months to archive, still append-only', async () => {
    const created = await admin.query<{ c: string[] }>('SELECT audit.ensure_partitions(6) AS c');
    expect(created.rows[0]!.c.length).toBeGreaterThanOrEqual(3);
    expect((await admin.query('SELECT audit.ensure_partitions(6) AS c')).rows[0].c).toEqual([]);
    await admin.query(
      `INSERT INTO audit.log (logged_at, table_schema, table_name, row_id, op) VALUES (now() - interval '1 month', 'clinic', 'x', gen_random_uuid(), 'I')`,
    );
    // Retention 0 months: every partition before this month goes.
    const moved = await admin.query<{ m: string[] }>('SELECT audit.detach_expired(0) AS m');
    expect(moved.rows[0]!.m).toHaveLength(1);
    const archived = moved.rows[0]!.m[0]!;
    expect(archived).toMatch(/^archive\.audit_log_\d{6}$/);
    const error = await failure(admin.query(`DELETE FROM ${archived}`));
    expect(error.code).toBe('GC403');
    // Writes this month still land.
    const before = await auditCount();
    await admin.query(`UPDATE clinic.patients SET clinic_id = clinic_id WHERE id = (SELECT id FROM clinic.patients LIMIT 1)`);
    expect(await auditCount()).toBe(before + 1);
  });
});
