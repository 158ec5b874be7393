import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../support/db';
import { startStation, waitFor, startTestCentral, type TestCentral } from '../support/stations';
import type { StationCore } from '../../src/main/station';

/*
 * What a station must get right besides the happy path: deletions and cancellations reach it,
 * a diverged partition is found and repaired alone, and a centre speaking another sync protocol
 * is refused with a message that says what to do.
 */
describe('sync: tombstones, partition repair, handshake', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let central: pg.Client;
  let station: StationCore;
  let centre: TestCentral;
  let clinicId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    central = new pg.Client({ connectionString: db.url });
    await central.connect();
    clinicId = (await central.query("SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'")).rows[0].id;
    centre = await startTestCentral(db.url);
    station = await startStation({ central: centre, role: 'reception', code: 'VERIFY-DESK', pollIntervalMs: 300 });
    await station.handle('session.signIn', { username: 'reception', password: 'demo1234' });
  });

  afterAll(async () => {
    await station?.stop();
    await centre?.close();
    await central?.end();
    await db?.drop();
  });

  const cached = (table: string, id: string) => station.cache.db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;

  it('removes a row the centre deleted and shows a cancellation', async () => {
    const { rows } = await central.query(
      "INSERT INTO clinic.rooms (clinic_id, code, name) VALUES ($1, 'R8', 'Room 8') RETURNING id",
      [clinicId],
    );
    const roomId = rows[0].id as string;
    await waitFor(() => cached('rooms', roomId), 'the new room to arrive');
    await central.query('DELETE FROM clinic.rooms WHERE id = $1', [roomId]);
    await waitFor(() => !cached('rooms', roomId), 'the deleted room to disappear');
    expect(station.cache.db.prepare("SELECT count(*) FROM tombstones WHERE table_name = 'rooms' AND id = ?").pluck().get(roomId)).toBe(1);

    const appointment = (await central.query("SELECT id FROM clinic.appointments WHERE clinic_id = $1 AND status = 'scheduled' LIMIT 1", [clinicId])).rows[0].id as string;
    await waitFor(() => cached('appointments', appointment), 'the appointment in the cache');
    await central.query("UPDATE clinic.appointments SET status = 'cancelled' WHERE id = $1", [appointment]);
    await waitFor(() => cached('appointments', appointment)?.status === 'cancelled', 'the cancellation to arrive');
  });

  it('finds a diverged partition and repairs that partition alone', async () => {
    expect(await station.verifyNow()).toEqual([]);
    const cursorBefore = station.cache.getMeta('feed_cursor');
    const patients = station.cache.db.prepare('SELECT id, full_name FROM patients ORDER BY id').all() as { id: string; full_name: string }[];
    const lost = patients[0]!;
    const stale = patients.find((p) => p.id[0] !== lost.id[0])!;
    // A lost row and a stale row, as a crashed disk or a bug would leave them.
    station.cache.db.prepare('DELETE FROM patients WHERE id = ?').run(lost.id);
    station.cache.db.prepare("UPDATE patients SET full_name = 'Stale Name', sync_seq = sync_seq - 1 WHERE id = ?").run(stale.id);

    const repaired = await station.verifyNow();
    expect(repaired.map((r) => `${r.table}:${r.partition}`).sort()).toEqual([`patients:${lost.id[0]}`, `patients:${stale.id[0]}`].sort());
    const partitionSize = (p: string) => patients.filter((x) => x.id[0] === p).length;
    for (const r of repaired) expect(r.rows).toBe(partitionSize(r.partition));
    expect(cached('patients', lost.id)?.full_name).toBe(lost.full_name);
    expect(cached('patients', stale.id)?.full_name).toBe(stale.full_name);
    // Repaired in place: no full resync was started and the feed position is untouched.
    expect(station.cache.getMeta('initial_sync')).toBeNull();
    expect(station.cache.getMeta('feed_cursor')).toBe(cursorBefore);
    expect(await station.verifyNow()).toEqual([]);
  });

  it('stops syncing against a centre with another protocol, says what to do, and resumes once it matches', async () => {
    await central.query(`CREATE OR REPLACE FUNCTION sync.protocol() RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT '{"protocol": 2, "min_station_protocol": 2}'::jsonb $$`);
    const other = await startStation({ central: centre, role: 'reception', code: 'VERIFY-NEW-DESK', pollIntervalMs: 200 });
    try {
      const refused = await waitFor(async () => {
        const status = await other.handle('sync.status', {});
        return status.lastError ? status : null;
      }, 'the handshake refusal');
      expect(refused.lastError).toMatch(/older than the central database requires.*Install the current version/);
      expect(other.cache.readCursor()).toBeNull();

      await central.query(`CREATE OR REPLACE FUNCTION sync.protocol() RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT '{"protocol": 1, "min_station_protocol": 1}'::jsonb $$`);
      await other.handle('session.signIn', { username: 'reception', password: 'demo1234' });
      await waitFor(() => other.cache.readCursor(), 'sync to resume after the centre was fixed');
      expect((await other.handle('sync.status', {})).lastError).toBeNull();
    } finally {
      await other.stop();
    }
  });

  it('tells a station whose centre predates the handshake to have the centre migrated', async () => {
    await central.query('ALTER FUNCTION sync.protocol() RENAME TO protocol_hidden');
    const other = await startStation({ central: centre, role: 'display', code: 'VERIFY-OLD-CENTRE', pollIntervalMs: 200 });
    try {
      const refused = await waitFor(async () => {
        const status = await other.handle('sync.status', {});
        return status.lastError ? status : null;
      }, 'the handshake refusal');
      expect(refused.lastError).toMatch(/central database is older.*migrate/);
    } finally {
      await other.stop();
      await central.query('ALTER FUNCTION sync.protocol_hidden() RENAME TO protocol');
    }
  });
});
