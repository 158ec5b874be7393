import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Catalog checks on the migrated schema (issue 3 §1, §6, §8; DESIGN §3 "tenant key").

let db: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'migrated' });
  admin = new pg.Client(db.url);
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

const TENANT_TABLES = `
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND n.nspname IN ('clinic', 'webhook', 'booking', 'sync')
     AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'clinic_id' AND NOT a.attisdropped)`;

describe('scale-out: every key of a tenant table carries clinic_id (the Citus distribution column)', () => {
  test('clinic_id is NOT NULL in every tenant table', async () => {
    const { rows } = await admin.query(
      `SELECT a.attrelid::regclass::text AS t FROM pg_attribute a
        WHERE a.attrelid IN (${TENANT_TABLES}) AND a.attname = 'clinic_id' AND NOT a.attnotnull`,
    );
    expect(rows).toEqual([]);
  });

  test('every primary key, unique and exclusion constraint and unique index includes clinic_id', async () => {
    const { rows: constraints } = await admin.query(
      `SELECT con.conrelid::regclass::text AS t, con.conname, con.contype
         FROM pg_constraint con
        WHERE con.conrelid IN (${TENANT_TABLES}) AND con.contype IN ('p', 'u', 'x')
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attname = 'clinic_id'
                                                        AND a.attnum = ANY (con.conkey))`,
    );
    expect(constraints).toEqual([]);
    const { rows: indexes } = await admin.query(
      `SELECT i.indexrelid::regclass::text AS idx
         FROM pg_index i
        WHERE i.indrelid IN (${TENANT_TABLES}) AND i.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = 'clinic_id'
                                                        AND a.attnum = ANY (i.indkey::int2[]))`,
    );
    expect(indexes).toEqual([]);
  });

  test('every foreign key between tenant tables pairs clinic_id with clinic_id', async () => {
    const { rows } = await admin.query(
      `SELECT con.conrelid::regclass::text AS t, con.conname, con.confrelid::regclass::text AS ref
         FROM pg_constraint con
        WHERE con.contype = 'f' AND con.conrelid IN (${TENANT_TABLES}) AND con.confrelid IN (${TENANT_TABLES})
          AND NOT EXISTS (
            SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(l, r)
              JOIN pg_attribute la ON la.attrelid = con.conrelid AND la.attnum = k.l
              JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.r
             WHERE la.attname = 'clinic_id' AND ra.attname = 'clinic_id')`,
    );
    expect(rows).toEqual([]);
    // The check has teeth: a table that breaks the rule is caught.
    await admin.query('BEGIN');
    try {
      await admin.query(`CREATE TABLE clinic.bad_example (clinic_id uuid NOT NULL, id uuid PRIMARY KEY, patient_id uuid,
                                                           FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id))`);
      const { rows: caught } = await admin.query(
        `SELECT con.conname FROM pg_constraint con WHERE con.conrelid IN (${TENANT_TABLES}) AND con.contype = 'p'
            AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attname = 'clinic_id'
                                                          AND a.attnum = ANY (con.conkey))`,
      );
      expect(caught).toEqual([{ conname: 'bad_example_pkey' }]);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  test('every index of a tenant table leads with clinic_id, except the chain-wide worker queues and the token and code lookups', async () => {
    const { rows } = await admin.query<{ idx: string }>(
      `SELECT i.indexrelid::regclass::text AS idx FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid IN (${TENANT_TABLES}) AND a.attname <> 'clinic_id' ORDER BY 1`,
    );
    // A PC enrolling knows only its one-time code, as a station knows only its session token: found by hash alone.
    expect(rows.map((r) => r.idx)).toEqual([
      'clinic.enrolment_codes_code_hash_idx',
      'clinic.staff_sessions_token_hash_idx',
      'webhook.webhook_events_lease_idx',
      'webhook.webhook_events_ready_idx',
    ]);
  });
});

describe('namespaces and reference data', () => {
  test('user_feedback belongs to the tenant and references clinic.users (seed 000 critical defect)', async () => {
    const { rows } = await admin.query(
      `SELECT confrelid::regclass::text AS ref, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'clinic.user_feedback'::regclass AND contype = 'f' AND confrelid = 'clinic.users'::regclass`,
    );
    expect(rows).toEqual([{ ref: 'clinic.users', def: 'FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users(clinic_id, id)' }]);
    expect((await admin.query(`SELECT to_regclass('public.user_feedback') AS t, to_regclass('public.users') AS u`)).rows).toEqual([{ t: null, u: null }]);
  });

  test('no application table lives in public; reference tables have no clinic_id', async () => {
    const { rows: inPublic } = await admin.query(
      `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND relname <> 'schemaversion'`,
    );
    expect(inPublic).toEqual([]);
    const { rows: refs } = await admin.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'ref' AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'clinic_id')`,
    );
    expect(refs).toEqual([]);
  });

  test('CHAS and MediSave rates are effective-dated data (DESIGN §6)', async () => {
    const chas = await admin.query(
      `SELECT card::text, tier, per_visit_amount::text, annual_cap::text, annual_visit_cap FROM ref.chas_subsidy_rates
        WHERE daterange(effective_from, effective_to) @> date '2025-06-01' ORDER BY 1, 2`,
    );
    expect(chas.rows).toContainEqual({ card: 'blue', tier: 'common_illness', per_visit_amount: '18.50', annual_cap: null, annual_visit_cap: 24 });
    expect(chas.rows).toContainEqual({ card: 'pioneer_generation', tier: 'complex_chronic', per_visit_amount: '135.00', annual_cap: '540.00', annual_visit_cap: null });
    expect(chas.rows.filter((r) => r.card === 'green' && r.tier === 'common_illness')).toEqual([]);
    const medisave = async (day: string) =>
      (await admin.query(`SELECT tier, annual_limit::int AS limit FROM ref.medisave_limits
                           WHERE daterange(effective_from, effective_to) @> $1::date ORDER BY tier`, [day])).rows;
    expect(await medisave('2026-12-31')).toEqual([{ tier: 'complex_chronic', limit: 700 }, { tier: 'simple_chronic', limit: 500 }]);
    expect(await medisave('2027-01-01')).toEqual([{ tier: 'complex_chronic', limit: 1000 }, { tier: 'simple_chronic', limit: 700 }]);
    expect((await admin.query(`SELECT rate::text FROM ref.gst_rates WHERE daterange(effective_from, effective_to) @> date '2024-01-01'`)).rows).toEqual([{ rate: '0.0900' }]);
  });
});

describe('indexes and JSONB', () => {
  test('no index predicate or expression uses CURRENT_DATE or now() (seed 001 §5.7)', async () => {
    const { rows } = await admin.query(
      `SELECT indexrelid::regclass::text AS idx FROM pg_index
        WHERE pg_get_expr(indpred, indrelid) ~* '(now\\(\\)|current_date|current_timestamp|clock_timestamp|statement_timestamp)'
           OR pg_get_expr(indexprs, indrelid) ~* '(now\\(\\)|current_date|current_timestamp)'`,
    );
    expect(rows).toEqual([]);
  });

  test('every JSONB column of a tenant table is checked by a constraint (seed 001 §5.8)', async () => {
    const { rows } = await admin.query(
      `SELECT a.attrelid::regclass::text AS t, a.attname FROM pg_attribute a
        WHERE a.attrelid IN (${TENANT_TABLES}) AND a.atttypid = 'jsonb'::regtype AND NOT a.attisdropped
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = a.attrelid AND con.contype = 'c'
                                                           AND a.attnum = ANY (con.conkey))
        ORDER BY 1, 2`,
    );
    // A procedure's stored result is whatever it answered; a setting's type is checked by a trigger against the
    // chain default's (a CHECK cannot read another table).
    expect(rows).toEqual([{ t: 'clinic.request_log', attname: 'result' }, { t: 'clinic.system_settings', attname: 'value' }]);
  });

  test('a wrongly shaped document is refused, and BMI is computed from the vitals', async () => {
    const { rows } = await admin.query(`SELECT clinic.calculate_bmi(65, 170) AS bmi, clinic.calculate_bmi(65, 0) AS none`);
    expect(rows[0]).toEqual({ bmi: '22.5', none: null });
    const shape = async (doc: string) =>
      (await admin.query(`SELECT clinic.jsonb_shape_ok($1::jsonb, '{"height_cm":"number","weight_kg":"number"}', '{height_cm}') AS ok`, [doc])).rows[0].ok;
    expect(await shape('{"height_cm": 170, "weight_kg": 65}')).toBe(true);
    expect(await shape('{"height_cm": "170"}')).toBe(false);
    expect(await shape('{"weight_kg": 65}')).toBe(false);
    expect(await shape('{"height_cm": 170, "colour": "blue"}')).toBe(false);
    expect(await shape('[1]')).toBe(false);
  });
});
