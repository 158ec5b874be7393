import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/db';

/*
 * SECURITY DEFINER procedures run as their owner. None of them may run as a superuser or as a
 * role that can log in (seed 001 §5.3): everything in the application schemas belongs to
 * clinic_owner, which is neither.
 */
describe('object ownership', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('runs every SECURITY DEFINER function as a role that is neither superuser nor able to log in', async () => {
    const { rows } = await admin.query<{ fn: string; owner: string; rolsuper: boolean; rolcanlogin: boolean }>(
      `SELECT p.oid::regprocedure::text AS fn, r.rolname AS owner, r.rolsuper, r.rolcanlogin
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
        WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')`,
    );
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((r) => r.rolsuper || r.rolcanlogin)).toEqual([]);
  });

  it('leaves no table, view or sequence of the application schemas to the migrating superuser', async () => {
    const { rows } = await admin.query(
      `SELECT c.oid::regclass::text AS rel, r.rolname
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
        WHERE n.nspname IN ('clinic', 'booking', 'webhook', 'audit', 'archive', 'sync', 'ops', 'ref', 'rls')
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND r.rolname <> 'clinic_owner'`,
    );
    expect(rows).toEqual([]);
  });

  it('keeps clinic_owner from doing what only a superuser may', async () => {
    await admin.query('SET ROLE clinic_owner');
    try {
      await expect(admin.query("COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toMatchObject({ code: '42501' });
      await expect(admin.query('CREATE ROLE gabriel_escalation SUPERUSER')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await admin.query('RESET ROLE');
    }
  });
});
