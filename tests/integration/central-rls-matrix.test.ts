import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fillEveryTenantTable } from '../support/central-fixtures';
import { signIn, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Issue 3 §3: every role × tenant table × SELECT/INSERT/UPDATE/DELETE × own/other clinic, plus missing and forged
// session context, on a database where every tenant table holds rows of both clinics. The expected read rights come
// from rls.read_grants, which docs/security/rls-matrix.md must mirror (checked below), and a few rights are pinned
// independently of it (a receptionist reads no clinical notes, the display no patient, analytics no base table).

const STAFF_ROLES = ['receptionist', 'nurse', 'doctor', 'clinic_admin', 'chain_admin', 'display'] as const;
const OPS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** Tenant tables nobody but the owner's procedures reads: the request log, and enrolment codes (018). */
const PROCEDURE_ONLY = ['clinic.enrolment_codes', 'clinic.request_log'];
const CLINICAL = ['medical_records', 'prescriptions', 'prescription_items', 'lab_results', 'imaging_results', 'vaccination_records', 'patient_allergies', 'patient_conditions', 'health_screening_results'];

interface TenantTable {
  table_schema: string;
  table_name: string;
  tenant_column: string;
}

let db: TestDatabase;
let admin: pg.Client;
let station: pg.Client;
let tables: TenantTable[];
let grants: Map<string, string[]>;
let own: string;
let other: string;
const tokens = new Map<string, string>();
const userIds = new Map<string, string>();

const key = (t: TenantTable): string => `${t.table_schema}.${t.table_name}`;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  const fixtures = await fillEveryTenantTable(admin);
  own = fixtures.get('GFC-BDK')!.clinicId;
  other = fixtures.get('GFC-TPY')!.clinicId;
  await admin.query(
    `INSERT INTO clinic.users (clinic_id, username, full_name, role, password_hash)
     VALUES ($1, 'chain', 'Head Office', 'chain_admin', clinic.hash_password('demo1234'))`,
    [own],
  );
  station = await stationClient(db.url);
  const accounts: Record<(typeof STAFF_ROLES)[number], [string, 'reception' | 'consult' | 'display']> = {
    receptionist: ['reception', 'reception'],
    nurse: ['nurse', 'reception'],
    doctor: ['dr.tan', 'consult'],
    clinic_admin: ['admin', 'reception'],
    chain_admin: ['chain', 'reception'],
    display: ['display', 'display'],
  };
  for (const role of STAFF_ROLES) {
    const [username, stationRole] = accounts[role];
    const session = await signIn(station, 'GFC-BDK', username, `RLS-${role}`, stationRole);
    tokens.set(role, session.token);
    userIds.set(role, session.user.id);
  }
  // Sessions and stations in the other clinic too.
  await signIn(station, 'GFC-TPY', 'reception', 'RLS-TPY', 'reception');
  tables = (await admin.query<TenantTable>('SELECT table_schema, table_name, tenant_column FROM rls.tenant_tables ORDER BY 1, 2')).rows;
  grants = new Map(
    (await admin.query<{ t: string; roles: string[] }>(`SELECT table_schema || '.' || table_name AS t, roles FROM rls.read_grants`)).rows.map((r) => [r.t, r.roles]),
  );
});

afterAll(async () => {
  await station?.end();
  await admin?.end();
  await db?.drop();
});

/** Rows of the table in a clinic as the owner sees them (for the change feed: only tables the role may read). */
async function ownerCount(t: TenantTable, clinicId: string, role: string | null): Promise<number> {
  let filter = '';
  if (key(t) === 'sync.changes') {
    const readable = [...grants].filter(([k, roles]) => k.startsWith('clinic.') && role !== null && roles.includes(role)).map(([k]) => k.slice(7));
    filter = ` AND table_name = ANY('{${readable.join(',')}}'::text[])`;
  }
  const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${key(t)} WHERE ${t.tenant_column} = $1${filter}`, [clinicId]);
  return rows[0]!.n;
}

interface Outcome {
  /** Rows seen, or the SQLSTATE of the refusal. */
  seen: number | string;
}

async function attempt(client: pg.ClientBase, sql: string, values: unknown[]): Promise<Outcome> {
  await client.query('SAVEPOINT c');
  try {
    const result = await client.query<{ n?: number }>(sql, values);
    await client.query('RELEASE SAVEPOINT c');
    return { seen: result.command === 'SELECT' ? Number(result.rows[0]!.n) : (result.rowCount ?? 0) };
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT c');
    return { seen: (e as pg.DatabaseError).code ?? 'error' };
  }
}

function statement(op: (typeof OPS)[number], t: TenantTable): string {
  const col = t.tenant_column;
  switch (op) {
    case 'SELECT':
      return `SELECT count(*)::int AS n FROM ${key(t)} WHERE ${col} = $1`;
    case 'INSERT':
      return `INSERT INTO ${key(t)} (${col}) VALUES ($1)`;
    case 'UPDATE':
      return `UPDATE ${key(t)} SET ${col} = ${col} WHERE ${col} = $1`;
    case 'DELETE':
      return `DELETE FROM ${key(t)} WHERE ${col} = $1`;
  }
}

describe('row-level security matrix', () => {
  test('every tenant table has RLS enabled and forced, and a read grant unless it is procedure-only', async () => {
    const { rows } = await admin.query(
      `SELECT t.table_schema, t.table_name FROM rls.tenant_tables t JOIN pg_class c ON c.oid = t.relid
        WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity)`,
    );
    expect(rows).toEqual([]);
    const ungranted = tables.filter((t) => !grants.has(key(t))).map(key);
    expect(ungranted).toEqual(PROCEDURE_ONLY);
    expect(tables.length).toBeGreaterThanOrEqual(40);
  });

  test('policies use the (SELECT ...) form, so the session is looked up once per statement', async () => {
    const { rows } = await admin.query<{ qual: string }>(
      `SELECT qual FROM pg_policies WHERE schemaname IN ('clinic', 'webhook', 'sync')`,
    );
    for (const { qual } of rows) expect(qual).not.toMatch(/(?<!SELECT )rls\.(role|clinic_id|user_id)\(\)/);
  });

  test('role × table × operation × own/other clinic, plus missing and forged context: zero leaks', async () => {
    let cases = 0;
    const leaks: string[] = [];
    const expectOutcome = (label: string, got: Outcome, want: number | string): void => {
      cases += 1;
      if (got.seen !== want) leaks.push(`${label}: expected ${want}, got ${got.seen}`);
    };

    type Actor = { label: string; client: pg.ClientBase; setup: string[]; values?: unknown[]; role: string | null; dbRole: string };
    const forged = 'ab'.repeat(32);
    const actors: Actor[] = [
      ...STAFF_ROLES.map((role) => ({ label: role, client: station, setup: [`SELECT set_config('app.session_token', '${tokens.get(role)!}', true)`], role, dbRole: 'clinic_station' })),
      { label: 'no session', client: station, setup: [], role: null, dbRole: 'clinic_station' },
      { label: 'forged token', client: station, setup: [`SELECT set_config('app.session_token', '${forged}', true)`], role: null, dbRole: 'clinic_station' },
      // A station that claims a clinic in settings gets nothing for it: only the verified session counts.
      { label: 'claimed clinic', client: station, setup: [`SELECT set_config('app.current_clinic_id', '${own}', true)`], role: null, dbRole: 'clinic_station' },
      { label: 'integration_worker', client: admin, setup: ['SET LOCAL ROLE clinic_integration'], role: null, dbRole: 'clinic_integration' },
      { label: 'read_only_analytics', client: admin, setup: ['SET LOCAL ROLE clinic_analytics'], role: null, dbRole: 'clinic_analytics' },
    ];

    for (const actor of actors) {
      const expected = new Map<string, [number, number]>();
      for (const t of tables) {
        const allowed = actor.dbRole === 'clinic_station' && actor.role !== null && (grants.get(key(t)) ?? []).includes(actor.role);
        let ownRows = allowed ? await ownerCount(t, own, actor.role) : 0;
        // Whoever wrote feedback reads their own, whatever their role.
        if (!allowed && key(t) === 'clinic.user_feedback' && actor.role !== null) {
          ownRows = (await admin.query('SELECT 1 FROM clinic.user_feedback WHERE user_id = $1', [userIds.get(actor.role)])).rowCount ?? 0;
        }
        const otherRows = allowed && actor.role === 'chain_admin' ? await ownerCount(t, other, actor.role) : 0;
        expected.set(key(t), [ownRows, otherRows]);
      }
      await actor.client.query('BEGIN');
      try {
        for (const sql of actor.setup) await actor.client.query(sql);
        for (const t of tables) {
          for (const op of OPS) {
            for (const [side, clinicId] of [['own', own], ['other', other]] as const) {
              const label = `${actor.label} ${op} ${key(t)} ${side}`;
              const got = await attempt(actor.client, statement(op, t), [clinicId]);
              if (op !== 'SELECT') {
                expectOutcome(label, got, '42501');
              } else if (actor.dbRole !== 'clinic_station' || PROCEDURE_ONLY.includes(key(t))) {
                expectOutcome(label, got, '42501');
              } else {
                const [o, x] = expected.get(key(t))!;
                expectOutcome(label, got, side === 'own' ? o : x);
              }
            }
          }
        }
      } finally {
        await actor.client.query('ROLLBACK');
      }
    }
    console.log(`RLS matrix: ${cases} cases over ${actors.length} actors × ${tables.length} tenant tables × ${OPS.length} operations × 2 clinics, ${leaks.length} leaks`);
    expect(leaks).toEqual([]);
    expect(cases).toBe(actors.length * tables.length * OPS.length * 2);
  });

  test('pinned rights: no clinical notes for reception, admins or the display; the display sees no patient', async () => {
    for (const role of ['receptionist', 'clinic_admin', 'chain_admin', 'display']) {
      for (const table of CLINICAL) expect(grants.get(`clinic.${table}`), `${role} on ${table}`).not.toContain(role);
    }
    for (const table of ['doctor', 'nurse']) expect(grants.get('clinic.medical_records')).toContain(table);
    const displayReads = [...grants].filter(([, roles]) => roles.includes('display')).map(([k]) => k).sort();
    expect(displayReads).toEqual(['clinic.clinics', 'clinic.feature_flags', 'clinic.queue_calls', 'clinic.queue_tickets', 'clinic.rooms', 'clinic.system_settings', 'sync.changes']);
    // Through the feed as well: the display's pull carries no patient image.
    await station.query('BEGIN');
    try {
      await station.query(`SELECT set_config('app.session_token', $1, true)`, [tokens.get('display')!]);
      const { rows } = await station.query<{ r: { changes: { table: string }[] } }>(`SELECT sync.pull($1, '0', 0, NULL, 50000) AS r`, [own]);
      const seen = new Set(rows[0]!.r.changes.map((c) => c.table));
      expect(seen.has('patients')).toBe(false);
      expect(seen.has('queue_tickets') || seen.has('rooms')).toBe(true);
    } finally {
      await station.query('ROLLBACK');
    }
  });

  test('docs/security/rls-matrix.md lists exactly the read grants of the database', async () => {
    const doc = await readFile(new URL('../../docs/security/rls-matrix.md', import.meta.url), 'utf8');
    const documented = new Map<string, string[]>();
    for (const line of doc.split('\n')) {
      const m = /^\| `([a-z_]+\.[a-z_]+)` \|(.*)\|\s*$/.exec(line);
      if (!m) continue;
      const cells = m[2]!.split('|').map((c) => c.trim());
      documented.set(m[1]!, STAFF_ROLES.filter((_, i) => cells[i] === 'R'));
    }
    for (const t of tables) {
      expect(documented.get(key(t)) ?? [], key(t)).toEqual(STAFF_ROLES.filter((r) => (grants.get(key(t)) ?? []).includes(r)));
    }
  });
});
