import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clinicDay } from '../../src/shared/clinic-day';
import { beginAs, call, procIn, signIn, stationClient, type Row } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// The change feed of migration 006: every write to a pulled table is captured in its transaction, and sync.pull
// hands changes out only below the horizon of the oldest running transaction, in (xid, seq) order.

interface Change {
  seq: number;
  xid: string;
  table: string;
  id: string;
  op: 'U' | 'D';
  row: Row | null;
}
interface Pulled {
  horizon: string;
  changes: Change[];
}
interface Cursor {
  xid: string;
  seq: number;
}

const PULLED_TABLES = ['clinics', 'users', 'stations', 'rooms', 'patients', 'doctors', 'staff', 'appointments', 'appointment_slots', 'queue_tickets', 'queue_calls'];

let db: TestDatabase;
let admin: pg.Client;
let clinicId: string;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  clinicId = (await admin.query(`SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'`)).rows[0].id;
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

async function pull(client: pg.ClientBase, cursor: Cursor, limit = 1000, tables: string[] | null = null): Promise<Pulled> {
  const { rows } = await client.query<{ r: Pulled }>('SELECT sync.pull($1, $2::xid8, $3, $4, $5) AS r', [
    clinicId,
    cursor.xid,
    cursor.seq,
    tables,
    limit,
  ]);
  return rows[0]!.r;
}

/**
 * Pulls until `enough` holds. The horizon is cluster-wide (xids are), so transactions of other test files in other
 * databases of the same cluster can hold it back for a moment after our commit.
 */
async function pullUntil(
  client: pg.ClientBase,
  cursor: Cursor,
  enough: (changes: Change[]) => boolean,
  tables: string[] | null = null,
): Promise<Change[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { changes } = await pull(client, cursor, 1000, tables);
    if (enough(changes) || Date.now() > deadline) return changes;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a station starts after its initial load: the horizon of its snapshot, seq 0. */
/**
 * A cursor just past everything this file wrote so far: a fresh transaction id is above the ids of
 * all its earlier (finished) writes. The snapshot horizon would not do: it is cluster-wide, and
 * another test file's open transaction can hold it below this file's earlier changes.
 */
async function cursorNow(): Promise<Cursor> {
  const { rows } = await admin.query(`SELECT pg_current_xact_id()::text AS xid`);
  return { xid: rows[0].xid, seq: 0 };
}

function advance(cursor: Cursor, changes: Change[]): Cursor {
  const last = changes.at(-1);
  return last ? { xid: last.xid, seq: last.seq } : cursor;
}

function compareKey(a: Cursor, b: Cursor): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  return x !== 0n ? (x < 0n ? -1 : 1) : a.seq - b.seq;
}

describe('capture', () => {
  test('every row of every pulled table has its current state in the feed, secrets stripped', async () => {
    // Some procedure traffic on top of the seed.
    const station = await stationClient(db.url);
    try {
      const reception = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-1', 'reception');
      const doctor = await signIn(station, 'GFC-BDK', 'dr.tan', 'BDK-CONSULT-1', 'consult');
      const patient = (await admin.query(`SELECT id FROM clinic.patients WHERE clinic_id = $1 LIMIT 1`, [clinicId])).rows[0].id;
      const letter = reception.station.desk_letter!;
      await call(station, reception.token, 'issue_ticket', {
        service_date: clinicDay(new Date()),
        ticket_number: `${letter}001`,
        desk_letter: letter,
        desk_seq: 1,
        patient_id: patient,
        issued_at: new Date().toISOString(),
      });
      const room = (await admin.query(`SELECT id FROM clinic.rooms WHERE clinic_id = $1 LIMIT 1`, [clinicId])).rows[0].id;
      const { ticket } = await call<{ ticket: Row }>(station, doctor.token, 'call_next', { room_id: room });
      await call(station, doctor.token, 'recall_ticket', { ticket_id: ticket.id });
    } finally {
      await station.end();
    }

    for (const table of PULLED_TABLES) {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE NOT EXISTS (
                  SELECT 1 FROM sync.changes c
                   WHERE c.table_name = $1 AND c.row_id = t.id AND c.seq = t.sync_seq AND c.op = 'U'
                     AND c.row = to_jsonb(t) - 'password_hash' - 'token_hash' - 'nric_enc' - 'public_key' - 'revoked_reason'))::int AS missing
           FROM clinic.${table} t`,
        [table],
      );
      expect({ table, ...rows[0] }).toEqual({ table, total: rows[0].total, missing: 0 });
      expect(rows[0].total).toBeGreaterThan(0);
    }
    const secrets = await admin.query(
      `SELECT count(*)::int AS n FROM sync.changes WHERE row ?| array['password_hash', 'token_hash', 'nric_enc']`,
    );
    expect(secrets.rows[0].n).toBe(0);
    const sessions = await admin.query(`SELECT count(*)::int AS n FROM sync.changes WHERE table_name IN ('staff_sessions', 'request_log')`);
    expect(sessions.rows[0].n).toBe(0);
  });

  test('a delete becomes a tombstone; the pull filters by table', async () => {
    const start = await cursorNow();
    const id = randomUUID();
    await admin.query(`INSERT INTO clinic.rooms (clinic_id, id, code, name) VALUES ($1, $2, 'R9', 'Room 9')`, [clinicId, id]);
    await admin.query(`DELETE FROM clinic.rooms WHERE clinic_id = $1 AND id = $2`, [clinicId, id]);
    const changes = await pullUntil(admin, start, (c) => c.length >= 2);
    expect(changes.map((c) => [c.table, c.id, c.op, c.row === null])).toEqual([
      ['rooms', id, 'U', false],
      ['rooms', id, 'D', true],
    ]);
    expect((await pull(admin, start, 1000, ['patients'])).changes).toEqual([]);
  });
});

describe('pull', () => {
  test('never returns a change of a transaction that is still running, nor anything behind it', async () => {
    const start = await cursorNow();
    const [slow, fast] = [new pg.Client(db.url), new pg.Client(db.url)];
    await Promise.all([slow.connect(), fast.connect()]);
    try {
      const rooms = (await admin.query(`SELECT id FROM clinic.rooms WHERE clinic_id = $1 ORDER BY code`, [clinicId])).rows;
      await slow.query('BEGIN');
      await slow.query(`UPDATE clinic.rooms SET name = 'Room 1 (slow)' WHERE id = $1`, [rooms[0].id]);
      // Committed, but after the slow transaction started: it must wait behind it.
      await fast.query(`UPDATE clinic.rooms SET name = 'Room 2 (fast)' WHERE id = $1`, [rooms[1].id]);

      const during = await pull(admin, start);
      expect(during.changes).toEqual([]);

      await slow.query('COMMIT');
      const after = await pullUntil(admin, start, (c) => c.length >= 2);
      expect(after.map((c) => c.row?.name)).toEqual(['Room 1 (slow)', 'Room 2 (fast)']);
      expect(BigInt(after[0]!.xid)).toBeLessThan(BigInt(after[1]!.xid));
      expect((await pull(admin, advance(start, after))).changes).toEqual([]);
    } finally {
      await Promise.all([slow.end(), fast.end()]);
    }
  });

  test('paging through the feed while transactions commit out of order misses nothing and repeats nothing', async () => {
    const start: Cursor = { xid: '0', seq: 0 };
    const writers = await Promise.all([1, 2, 3, 4, 5].map(async () => {
      const c = new pg.Client(db.url);
      await c.connect();
      return c;
    }));
    // 60 distinct patients: each writer owns its rows, so writers never wait for each other's locks.
    const patientIds: string[] = (
      await admin.query(`SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id LIMIT 60`, [clinicId])
    ).rows.map((r) => r.id);
    let writing = true;
    const work: Promise<unknown> = Promise.all(
      writers.map(async (w, wi) => {
        for (let i = 0; i < 12; i++) {
          await w.query('BEGIN');
          const id = patientIds[wi * 12 + i];
          await w.query(`UPDATE clinic.patients SET phone = $2 WHERE id = $1`, [id, `+65 6000 ${wi}${String(i).padStart(3, '0')}`]);
          await new Promise((r) => setTimeout(r, Math.random() * 25));
          await w.query(`UPDATE clinic.patients SET email = NULL WHERE id = $1`, [id]);
          await w.query('COMMIT');
        }
      }),
    ).finally(() => {
      writing = false;
    });

    const reader = new pg.Client(db.url);
    await reader.connect();
    const seen: Change[] = [];
    let cursor = start;
    let total = Infinity;
    const deadline = Date.now() + 30_000;
    try {
      // Page while the writers commit out of order; once they are done, keep paging until the feed is drained.
      while (seen.length < total && Date.now() < deadline) {
        if (!writing && total === Infinity) {
          total = (await admin.query('SELECT count(*)::int AS n FROM sync.changes WHERE clinic_id = $1', [clinicId])).rows[0].n;
        }
        const page = await pull(reader, cursor, 97);
        seen.push(...page.changes);
        cursor = advance(cursor, page.changes);
        if (page.changes.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await work;
    } finally {
      await reader.end();
      await Promise.all(writers.map((w) => w.end()));
    }

    const seqs = seen.map((c) => c.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (let i = 1; i < seen.length; i++) expect(compareKey(seen[i - 1]!, seen[i]!)).toBeLessThan(0);
    const { rows } = await admin.query<{ seq: string }>('SELECT seq FROM sync.changes WHERE clinic_id = $1 ORDER BY seq', [clinicId]);
    expect([...seqs].sort((a, b) => a - b)).toEqual(rows.map((r) => Number(r.seq)));
    expect(seen.filter((c) => c.table === 'patients' && String(c.row?.phone).startsWith('+656000'))).toHaveLength(120);
  });

  test('NOTIFY clinic_changes carries the clinic id and is delivered only at commit', async () => {
    const listener = new pg.Client(db.url);
    const writer = new pg.Client(db.url);
    await Promise.all([listener.connect(), writer.connect()]);
    try {
      const received: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === 'clinic_changes') received.push(n.payload ?? '');
      });
      await listener.query('LISTEN clinic_changes');
      await writer.query('BEGIN');
      await writer.query(`UPDATE clinic.rooms SET is_active = true WHERE clinic_id = $1`, [clinicId]);
      await new Promise((r) => setTimeout(r, 200));
      expect(received).toEqual([]);
      await writer.query('COMMIT');
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Three rooms updated, one notification: identical payloads are folded within a transaction.
      expect(received).toEqual([clinicId]);
    } finally {
      await Promise.all([listener.end(), writer.end()]);
    }
  });

  test('a station can pull, and never receives its own uncommitted changes', async () => {
    const station = await stationClient(db.url);
    try {
      const start = await cursorNow();
      const reception = await signIn(station, 'GFC-BDK', 'reception', 'BDK-RECEPTION-7', 'reception');
      await beginAs(station, reception.token);
      const patient = (
        await admin.query(
          `SELECT id FROM clinic.patients p WHERE clinic_id = $1
              AND NOT EXISTS (SELECT 1 FROM clinic.queue_tickets t WHERE t.patient_id = p.id) LIMIT 1`,
          [clinicId],
        )
      ).rows[0].id;
      await procIn(station, 'issue_ticket', {
        service_date: clinicDay(new Date()),
        ticket_number: `${reception.station.desk_letter!}001`,
        desk_letter: reception.station.desk_letter!,
        desk_seq: 1,
        patient_id: patient,
        issued_at: new Date().toISOString(),
      });
      // Its own uncommitted ticket is not handed out, not even to itself.
      expect((await pull(station, start)).changes.filter((c) => c.table === 'queue_tickets')).toEqual([]);
      await station.query('COMMIT');
      // Row-level security: the station's reads carry its session.
      await beginAs(station, reception.token);
      const tickets = await pullUntil(station, start, (c) => c.length > 0, ['queue_tickets']);
      await station.query('COMMIT');
      expect(tickets.map((c) => c.row?.patient_id)).toEqual([patient]);
    } finally {
      await station.end();
    }
  });
});
