import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../src/main/station';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startStation, startTestCentral, type TestCentral } from '../support/stations';

/*
 * A station keeps its signed-in session alive at the centre through a long shift (and the display through its month),
 * and gives it up when the centre says it is over. The station's clock is moved; the centre's is real.
 */
describe('the station extends its session at the centre', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;
  const stations: StationCore[] = [];
  let aheadMs = 0;
  const now = () => new Date(Date.now() + aheadMs);

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    admin = new pg.Client(db.url);
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(stations.map((s) => s.stop()));
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  const centralExpiry = async (userName: string, stationCode: string): Promise<number> => {
    const { rows } = await admin.query<{ expires_at: Date }>(
      `SELECT ss.expires_at FROM clinic.staff_sessions ss JOIN clinic.users u ON u.id = ss.user_id AND u.clinic_id = ss.clinic_id
         JOIN clinic.stations st ON st.id = ss.station_id AND st.clinic_id = ss.clinic_id
        WHERE u.username = $1 AND st.code = $2 AND ss.revoked_at IS NULL ORDER BY ss.created_at DESC LIMIT 1`,
      [userName, stationCode],
    );
    return rows[0]!.expires_at.getTime();
  };

  /** As if the session had been open for a while: less of it left at the centre. */
  const shorten = async (stationCode: string, left: string): Promise<number> =>
    (
      await admin.query(
        `UPDATE clinic.staff_sessions SET expires_at = now() + $2::interval
          WHERE station_id = (SELECT id FROM clinic.stations WHERE code = $1) AND revoked_at IS NULL`,
        [stationCode, left],
      )
    ).rowCount ?? 0;

  it('extends a receptionist\'s session past the middle of its life, and only then', async () => {
    aheadMs = 0;
    const desk = await startStation({ central: centre, role: 'reception', code: 'REFRESH-DESK-1', now });
    stations.push(desk);
    const signedIn = await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    const firstExpiry = await centralExpiry('reception', 'REFRESH-DESK-1');
    expect(Date.parse(signedIn.expiresAt)).toBe(firstExpiry);

    // Early in the shift nothing is asked of the centre.
    aheadMs = 2 * 3600_000;
    await desk.refreshSession();
    expect(await centralExpiry('reception', 'REFRESH-DESK-1')).toBe(firstExpiry);
    expect((await desk.handle('session.current', {}))!.expiresAt).toBe(signedIn.expiresAt);

    // Seven hours in (by the station's clock) the centre extends it, and the station keeps the centre's new expiry.
    aheadMs = 7 * 3600_000;
    const shortenedRows = await shorten('REFRESH-DESK-1', '5 hours');
    expect(shortenedRows).toBe(1);
    const shortened = await centralExpiry('reception', 'REFRESH-DESK-1');
    expect(shortened).toBeLessThan(firstExpiry);
    await desk.refreshSession();
    const extended = await centralExpiry('reception', 'REFRESH-DESK-1');
    expect(extended).toBeGreaterThan(shortened);
    expect(Date.parse((await desk.handle('session.current', {}))!.expiresAt)).toBe(extended);
    // Still a working session at the centre: the desk can search.
    aheadMs = 0;
    expect((await desk.handle('patients.search', { query: 'tan', limit: 1 })).patients).toHaveLength(1);
  });

  it('ends the session at the station when the centre has ended it', async () => {
    aheadMs = 0;
    const desk = await startStation({ central: centre, role: 'reception', code: 'REFRESH-DESK-2', now });
    stations.push(desk);
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await admin.query(
      `UPDATE clinic.staff_sessions SET revoked_at = now() WHERE station_id = (SELECT id FROM clinic.stations WHERE code = 'REFRESH-DESK-2') AND revoked_at IS NULL`,
    );
    aheadMs = 7 * 3600_000;
    await desk.refreshSession();
    aheadMs = 0;
    expect(await desk.handle('session.current', {})).toBeNull();
  });

  it('keeps the display signed in beyond its 30-day device session', async () => {
    aheadMs = 0;
    const display = await startStation({ central: centre, role: 'display', code: 'REFRESH-DISPLAY-1', now });
    stations.push(display);
    const before = await centralExpiry('display', 'REFRESH-DISPLAY-1');
    aheadMs = 20 * 24 * 3600_000;
    expect(await shorten('REFRESH-DISPLAY-1', '10 days')).toBe(1);
    expect(await centralExpiry('display', 'REFRESH-DISPLAY-1')).toBeLessThan(before);
    await display.refreshSession();
    const after = await centralExpiry('display', 'REFRESH-DISPLAY-1');
    expect(after - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
    expect(Date.parse((await display.handle('session.current', {}))!.expiresAt)).toBe(after);
  });
});
