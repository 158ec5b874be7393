import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedDemo } from '../../seeds/demo';
import { seedScale } from '../../seeds/scale';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { migrate } from '../../src/server/migrate';
import { openLocalKeyFile } from '../../src/main/crypto/field-crypto';

/*
 * EXPLAIN (ANALYZE, BUFFERS) of the five hottest station queries on a scale-seeded database, for
 * docs/performance.md:  npx tsx tests/bench/explain.ts [out.md]   (EXPLAIN_PATIENTS, EXPLAIN_APPOINTMENTS)
 */

const PATIENTS = Number(process.env.EXPLAIN_PATIENTS ?? 100_000);
const APPOINTMENTS = Number(process.env.EXPLAIN_APPOINTMENTS ?? 300_000);

async function main(): Promise<void> {
  const out = process.argv[2];
  const workDir = mkdtempSync(join(tmpdir(), 'gabriel-explain-'));
  chmodSync(workDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), disposable: true });
  const sections: string[] = [];
  try {
    const crypto = await openLocalKeyFile(join(workDir, 'key.json'));
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE DATABASE explain');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/explain';
    await migrate(url.toString());
    const db = new pg.Client(url.toString());
    db.on('error', () => undefined);
    await db.connect();
    await seedDemo(db, { crypto });
    const t0 = performance.now();
    const scale = await seedScale(db, { clinicCode: 'GFC-BDK', patients: PATIENTS, appointments: APPOINTMENTS, crypto, seed: 7 });
    const clinicId = scale.clinicId;
    // A queue history: one ticket a day for ~200 past days x 150 patients, and today's waiting room of 60.
    await db.query(`SET session_replication_role = replica`); // bulk history only: no feed, no audit for these rows
    await db.query(
      `INSERT INTO clinic.queue_tickets (clinic_id, service_date, ticket_number, desk_letter, desk_seq, patient_id, kind, priority, status, issued_at, queued_at, called_at, completed_at)
       SELECT $1, d.day, 'Z' || lpad(p.n::text, 3, '0'), 'Z', p.n, p.id, 'walk_in', 0, 'completed', d.day + time '09:00', d.day + time '09:00', d.day + time '09:20', d.day + time '09:30'
         FROM generate_series(1, 200) g(i)
         CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'Asia/Singapore')::date - g.i AS day) d
         CROSS JOIN LATERAL (SELECT row_number() OVER () AS n, id FROM (SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id OFFSET g.i * 150 LIMIT 150) x) p`,
      [clinicId],
    );
    await db.query(`SET session_replication_role = origin`);
    await db.query(
      `INSERT INTO clinic.queue_tickets (clinic_id, service_date, ticket_number, desk_letter, desk_seq, patient_id, kind, priority, status, issued_at, queued_at)
       SELECT $1, (now() AT TIME ZONE 'Asia/Singapore')::date, 'Y' || lpad(n::text, 3, '0'), 'Y', n, id, 'walk_in', (n % 7 = 0)::int, 'waiting', now() - (n || ' minutes')::interval, now() - (n || ' minutes')::interval
         FROM (SELECT row_number() OVER () AS n, id FROM (SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id DESC LIMIT 60) x) p`,
      [clinicId],
    );
    const session = (await db.query<{ r: { token: string; doctor: { id: string } } }>(`SELECT clinic.sign_in('GFC-BDK', 'dr.tan', 'demo1234', 'EXPLAIN-CONSULT', 'consult') AS r`)).rows[0]!.r;
    await db.query(`SELECT clinic.sign_in('GFC-TPY', 'reception', 'demo1234', 'EXPLAIN-DESK', 'reception')`);
    // Old sessions: 2,000 past sign-ins per account.
    await db.query(
      `INSERT INTO clinic.staff_sessions (clinic_id, user_id, token_hash, station_id, expires_at, created_at)
       SELECT u.clinic_id, u.id, sha256(gen_random_bytes(32)), st.id, now() - (g || ' hours')::interval, now() - (g + 12 || ' hours')::interval
         FROM clinic.users u
         JOIN LATERAL (SELECT id FROM clinic.stations s WHERE s.clinic_id = u.clinic_id LIMIT 1) st ON true
         CROSS JOIN generate_series(1, 2000) g`,
    );
    await db.query('VACUUM ANALYZE');
    const seeded = (performance.now() - t0) / 1000;

    const counts = (await db.query(
      `SELECT (SELECT count(*) FROM clinic.patients) AS patients, (SELECT count(*) FROM clinic.appointments) AS appointments,
              (SELECT count(*) FROM clinic.queue_tickets) AS queue_tickets, (SELECT count(*) FROM sync.changes) AS changes,
              (SELECT count(*) FROM clinic.staff_sessions) AS sessions`,
    )).rows[0] as Record<string, string>;
    sections.push(`Database: ${Object.entries(counts).map(([k, v]) => `${k} ${Number(v).toLocaleString('en-SG')}`).join(', ')} (seeded in ${seeded.toFixed(0)} s), PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}.`);

    const doctorId = session.doctor.id;
    const explain = async (title: string, sql: string, params: unknown[], asStation: boolean): Promise<void> => {
      await db.query('BEGIN');
      try {
        if (asStation) {
          await db.query('SET LOCAL ROLE clinic_station');
          await db.query(`SELECT set_config('app.session_token', $1, true)`, [session.token]);
        }
        const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) ${sql}`, params);
        sections.push(`### ${title}\n\n\`\`\`sql\n${sql.replace(/^\s+/gm, '  ').trim()}\n\`\`\`\n\n\`\`\`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\``);
      } finally {
        await db.query('ROLLBACK');
      }
    };

    // 1. The change-feed pull (sync.pull's query), from a cursor 2,000 changes behind the head.
    const cursor = (await db.query<{ xid: string; seq: string }>(
      `SELECT xid::text, seq::text FROM sync.changes WHERE clinic_id = $1 ORDER BY xid DESC, seq DESC OFFSET 2000 LIMIT 1`, [clinicId])).rows[0]!;
    await explain('1. Change-feed pull (`sync.pull`)', `SELECT * FROM sync.changes
           WHERE clinic_id = $1
             AND xid < pg_snapshot_xmin(pg_current_snapshot())
             AND (xid, seq) > ($2::xid8, $3::bigint)
             AND (NULL::text[] IS NULL OR table_name = ANY (NULL::text[]))
           ORDER BY xid, seq
           LIMIT 1000`, [clinicId, cursor.xid, cursor.seq], false);
    // 2. Initial load, a page in the middle of the appointments, as the station (RLS applies).
    const mid = (await db.query<{ id: string }>(`SELECT id FROM clinic.appointments WHERE clinic_id = $1 ORDER BY id OFFSET $2 LIMIT 1`, [clinicId, Math.floor(APPOINTMENTS / 2)])).rows[0]!.id;
    await explain('2. Initial-load page (`src/sync/pull.ts` readPage), as clinic_station under RLS',
      `SELECT "clinic_id", "id", "appointment_number", "patient_id", "doctor_id", "starts_at", "ends_at", "status", "reason", "sync_seq"
         FROM clinic.appointments WHERE clinic_id = $1 AND id > $2::uuid ORDER BY id LIMIT 1000`, [clinicId, mid], true);
    // 3. call_next's pick.
    await explain('3. `call_next` pick', `SELECT * FROM clinic.queue_tickets t
           WHERE t.clinic_id = $1
             AND t.service_date = clinic.clinic_day(now())
             AND t.status = 'waiting'
             AND (t.doctor_id IS NULL OR t.doctor_id = $2)
           ORDER BY t.priority DESC, (t.due_at <= now()) IS TRUE DESC, CASE WHEN t.due_at <= now() THEN t.due_at END,
                    t.queued_at, t.ticket_number COLLATE "C"
           LIMIT 1
             FOR UPDATE SKIP LOCKED`, [clinicId, doctorId], false);
    // 4. issue_ticket's duplicate check.
    const waiting = (await db.query<{ patient_id: string }>(`SELECT patient_id FROM clinic.queue_tickets WHERE clinic_id = $1 AND status = 'waiting' LIMIT 1`, [clinicId])).rows[0]!;
    await explain("4. `issue_ticket` duplicate check", `SELECT ticket_number FROM clinic.queue_tickets
           WHERE clinic_id = $1 AND service_date = clinic.clinic_day(now()) AND patient_id = $2
             AND status IN ('waiting', 'called')`, [clinicId, waiting.patient_id], false);
    // 5. The session lookup every procedure call and every RLS check starts with.
    await explain('5. Session lookup (`clinic.current_session`, also behind `rls.*`)', `SELECT s.clinic_id, s.user_id, u.role, s.station_id, d.id, s.id
           FROM clinic.staff_sessions s
           JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
           LEFT JOIN clinic.doctors d ON d.clinic_id = s.clinic_id AND d.user_id = s.user_id AND d.is_active
          WHERE s.token_hash = sha256(decode($1, 'hex'))
            AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active`, [session.token], false);
    await db.end();
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const text = sections.join('\n\n');
  if (out) writeFileSync(out, `${text}\n`);
  else console.log(text);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
