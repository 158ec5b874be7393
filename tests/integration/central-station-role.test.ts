import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { beginAs, failure, signIn, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// What a station (SET ROLE clinic_station) may do at the centre: read (without secrets) and call procedures.
// Writes go through procedures only (DESIGN §3).

const PROCEDURES = [
  'clinic.assign_ticket',
  'clinic.call_next',
  'clinic.call_ticket',
  'clinic.cancel_ticket',
  'clinic.clinic_by_code',
  'clinic.complete_ticket',
  'clinic.create_station_enrolment',
  'clinic.current_session',
  'clinic.issue_ticket',
  'clinic.link_appointment',
  'clinic.no_show_ticket',
  'clinic.recall_ticket',
  'clinic.refresh_session',
  'clinic.register_patient',
  'clinic.reinstate_ticket',
  'clinic.return_ticket',
  'clinic.revoke_station',
  'clinic.set_setting',
  'clinic.set_ticket_priority',
  'clinic.settings_for_station',
  'clinic.sign_out',
  'clinic.skip_ticket',
  'clinic.update_patient',
  'sync.protocol',
  'sync.pull',
];

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  station = await stationClient(db.url);
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

async function denied(sql: string, values: unknown[] = []): Promise<string | undefined> {
  // The station connection is in autocommit: each attempt is a transaction of its own.
  return (await failure(station.query(sql, values))).code;
}

describe('clinic_station', () => {
  test('has no INSERT, UPDATE, DELETE or TRUNCATE on any table of the clinic or sync schemas', async () => {
    const { rows } = await admin.query<{ table: string; priv: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table, p.priv
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(priv)
        WHERE n.nspname IN ('clinic', 'sync', 'audit', 'archive', 'booking', 'webhook', 'public')
          AND c.relkind IN ('r', 'p', 'v')
          AND has_table_privilege('clinic_station', c.oid, p.priv)`,
    );
    expect(rows).toEqual([]);
    const { rows: columns } = await admin.query(
      `SELECT table_schema, table_name, column_name FROM information_schema.column_privileges
        WHERE grantee = 'clinic_station' AND privilege_type IN ('INSERT', 'UPDATE')`,
    );
    expect(columns).toEqual([]);
  });

  test('direct writes are refused', async () => {
    const clinicId = (await admin.query(`SELECT id FROM clinic.clinics LIMIT 1`)).rows[0].id;
    expect(await denied(`UPDATE clinic.queue_tickets SET status = 'completed'`)).toBe('42501');
    expect(await denied(`DELETE FROM clinic.rooms`)).toBe('42501');
    expect(await denied(`INSERT INTO clinic.rooms (clinic_id, code, name) VALUES ($1, 'R8', 'Room 8')`, [clinicId])).toBe('42501');
    expect(await denied(`UPDATE clinic.users SET role = 'clinic_admin'`)).toBe('42501');
    expect(await denied(`INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op) VALUES ($1, 1, 'x', $1, 'D')`, [clinicId])).toBe('42501');
    expect(await denied(`TRUNCATE clinic.queue_calls`)).toBe('42501');
  });

  test('cannot read password hashes, session token hashes, encrypted NRICs, station keys, enrolment codes or the request log', async () => {
    expect(await denied('SELECT password_hash FROM clinic.users')).toBe('42501');
    expect(await denied('SELECT * FROM clinic.users')).toBe('42501');
    expect(await denied('SELECT nric_enc FROM clinic.patients')).toBe('42501');
    expect(await denied('SELECT token_hash FROM clinic.staff_sessions')).toBe('42501');
    expect(await denied('SELECT * FROM clinic.request_log')).toBe('42501');
    expect(await denied('SELECT public_key FROM clinic.stations')).toBe('42501');
    expect(await denied('SELECT * FROM clinic.enrolment_codes')).toBe('42501');
  });

  test('reads what stations need', async () => {
    // Row-level security: reads carry a signed-in session, as every station transaction does.
    const session = await signIn(station, 'GFC-BDK', 'reception', 'ROLE-CHECK-1', 'reception');
    await beginAs(station, session.token);
    const { rows } = await station.query(
      `SELECT p.id, p.nric_hash, p.nric_masked, p.full_name, p.sync_seq, u.username, u.role
         FROM clinic.patients p JOIN clinic.users u ON u.clinic_id = p.clinic_id LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({ nric_masked: expect.stringMatching(/^[STFGM]\*{4}\d{3}[A-Z]$/) });
    // Stations' keys are not theirs to read (018): the directory columns only.
    await station.query('SELECT id, code, role, desk_letter, room_id, enrolled_at, revoked_at, sync_seq FROM clinic.stations LIMIT 1');
    for (const table of ['clinics', 'rooms', 'doctors', 'staff', 'appointments', 'appointment_slots', 'queue_tickets', 'queue_calls']) {
      await station.query(`SELECT * FROM clinic.${table} LIMIT 1`);
    }
    await station.query('SELECT * FROM sync.changes LIMIT 1');
    await station.query('COMMIT');
  });

  test('may execute exactly the procedures, not the helpers behind them', async () => {
    const { rows } = await admin.query<{ fn: string }>(
      `SELECT DISTINCT n.nspname || '.' || p.proname AS fn
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('clinic', 'sync') AND has_function_privilege('clinic_station', p.oid, 'EXECUTE')
        ORDER BY 1`,
    );
    expect(rows.map((r) => r.fn)).toEqual(PROCEDURES);
    expect(await denied(`SELECT clinic.hash_password('x')`)).toBe('42501');
    expect(await denied(`SELECT clinic.request_finish(gen_random_uuid(), gen_random_uuid(), '{}')`)).toBe('42501');
  });

  test('every SECURITY DEFINER function pins its search_path', async () => {
    const { rows } = await admin.query(
      `SELECT n.nspname || '.' || p.proname AS fn, p.proconfig
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('clinic', 'sync') AND p.prosecdef
          AND NOT coalesce(p.proconfig::text[] && array['search_path=pg_catalog, clinic, public, pg_temp'], false)`,
    );
    expect(rows).toEqual([]);
  });
});
