import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/db';

/*
 * The change feed records only rows that were really written (migration 016): an INSERT that
 * ON CONFLICT discards leaves no phantom change, and TRUNCATE, which would bypass the feed, is refused.
 */
describe('change feed capture', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  let clinicId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    clinicId = (await admin.query("SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'")).rows[0].id;
  });

  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('leaves no change behind for a row ON CONFLICT discarded', async () => {
    const room = (await admin.query('SELECT id, code, sync_seq FROM clinic.rooms WHERE clinic_id = $1 ORDER BY code LIMIT 1', [clinicId])).rows[0];
    const before = Number((await admin.query('SELECT count(*) FROM sync.changes WHERE row_id = $1', [room.id])).rows[0].count);
    const inserted = await admin.query(
      "INSERT INTO clinic.rooms (clinic_id, id, code, name) VALUES ($1, $2, $3, 'Duplicate') ON CONFLICT DO NOTHING RETURNING id",
      [clinicId, room.id, room.code],
    );
    expect(inserted.rowCount).toBe(0);
    const after = Number((await admin.query('SELECT count(*) FROM sync.changes WHERE row_id = $1', [room.id])).rows[0].count);
    expect(after).toBe(before);
    expect((await admin.query('SELECT sync_seq FROM clinic.rooms WHERE id = $1', [room.id])).rows[0].sync_seq).toBe(room.sync_seq);
  });

  it('records a written row with the sync_seq the row carries, once', async () => {
    const { rows } = await admin.query("INSERT INTO clinic.rooms (clinic_id, code, name) VALUES ($1, 'R7', 'Room 7') RETURNING id, sync_seq", [clinicId]);
    await admin.query("UPDATE clinic.rooms SET name = 'Room 7 (renovated)' WHERE id = $1", [rows[0].id]);
    const changes = await admin.query<{ seq: string; op: string; name: string }>(
      "SELECT seq, op, row->>'name' AS name FROM sync.changes WHERE row_id = $1 ORDER BY seq",
      [rows[0].id],
    );
    const current = await admin.query('SELECT sync_seq FROM clinic.rooms WHERE id = $1', [rows[0].id]);
    expect(changes.rows.map((c) => [c.op, c.name])).toEqual([
      ['U', 'Room 7'],
      ['U', 'Room 7 (renovated)'],
    ]);
    expect(changes.rows[0]!.seq).toBe(String(rows[0].sync_seq));
    expect(changes.rows[1]!.seq).toBe(String(current.rows[0].sync_seq));
  });

  it('refuses TRUNCATE of a synced table', async () => {
    await expect(admin.query('TRUNCATE clinic.queue_calls')).rejects.toMatchObject({ code: 'GC403', message: expect.stringMatching(/bypass the change feed/) });
  });
});
