import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolStation } from '../../src/main/enrolment/identity';
import type { StationCore } from '../../src/main/station';
import { ApiError } from '../../src/shared/contract';
import { Central, CentralError } from '../../src/sync/central';
import { stationKeyFromPem } from '../../src/sync/station-key';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';

/*
 * The clinic manager's Stations screen, on a real station core against the real gateway and Postgres: the directory
 * mirrored from the centre, a one-time code a new PC enrols with, and revoking that PC, which the gateway then refuses.
 */
describe('the clinic manager enrols and revokes PCs from a reception station', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let desk: StationCore;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    desk = await startStation({ central: centre, role: 'reception', code: 'ADMIN-DESK-1' });
    admin = new pg.Client(db.url);
    await admin.connect();
  });

  afterAll(async () => {
    await desk?.stop();
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  const signInAs = async (username: string) => {
    if (await desk.handle('session.current', {})) await desk.handle('session.signOut', {});
    await desk.handle('session.signIn', { username, password: 'demo1234' });
  };

  const refusal = async (work: Promise<unknown>): Promise<ApiError> => {
    const error = await work.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  };

  it('is closed to a receptionist, at the station and at the centre', async () => {
    await signInAs('reception');
    expect((await refusal(desk.handle('stations.list', {}))).code).toBe('forbidden');
    expect((await refusal(desk.handle('stations.createEnrolmentCode', { role: 'display' }))).code).toBe('forbidden');
    expect((await refusal(desk.handle('stations.revoke', { stationCode: 'BDK-DISPLAY-1', reason: 'x' }))).code).toBe('forbidden');
  });

  it('lists the clinic\'s stations as the centre has them, and only that clinic\'s', async () => {
    await signInAs('admin');
    const { rows: expected } = await admin.query<{ code: string; role: string; enrolled: boolean; revoked: boolean }>(
      `SELECT s.code, s.role, s.enrolled_at IS NOT NULL AS enrolled, s.revoked_at IS NOT NULL AS revoked
         FROM clinic.stations s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = 'GFC-BDK' ORDER BY s.code`,
    );
    expect(expected.map((s) => s.code)).toContain('ADMIN-DESK-1');
    const directory = await waitFor(async () => {
      const listed = await desk.handle('stations.list', {});
      return listed.stations.length === expected.length ? listed : null;
    }, 'the station directory to be mirrored');
    const listed = [...directory.stations].sort((a, b) => a.code.localeCompare(b.code));
    expect(listed.map((s) => ({ code: s.code, role: s.role, enrolled: s.enrolledAt !== null, revoked: s.revokedAt !== null }))).toEqual(expected);
    expect(listed.filter((s) => s.thisStation).map((s) => s.code)).toEqual(['ADMIN-DESK-1']);
    expect(directory.gatewayUrl).toBe(centre.gatewayUrl);
    const { rows: rooms } = await admin.query<{ code: string }>(`SELECT r.code FROM clinic.rooms r JOIN clinic.clinics c ON c.id = r.clinic_id WHERE c.code = 'GFC-BDK' AND r.is_active ORDER BY r.code`);
    expect(directory.rooms.map((r) => r.code)).toEqual(rooms.map((r) => r.code));
  });

  it('makes a one-time code a new PC enrols with, as the station and room it names, once', async () => {
    await signInAs('admin');
    const made = await desk.handle('stations.createEnrolmentCode', { role: 'consult', stationCode: 'NEW-CONSULT-9', roomCode: 'R2', expiresHours: 2 });
    expect(made).toMatchObject({ stationCode: 'NEW-CONSULT-9', role: 'consult', roomCode: 'R2' });
    expect(made.code).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
    const hours = (Date.parse(made.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);

    // Typed by hand at the new PC: lower case and without the dashes still works.
    const identity = await enrolStation({ gatewayUrl: centre.gatewayUrl, gatewayCaPem: null, code: made.code.replace(/-/g, '').toLowerCase() });
    const { rows } = await admin.query<{ room: string }>(
      `SELECT r.code AS room FROM clinic.stations s JOIN clinic.rooms r ON r.clinic_id = s.clinic_id AND r.id = s.room_id WHERE s.id = $1`,
      [identity.stationId],
    );
    expect(identity.station).toMatchObject({ code: 'NEW-CONSULT-9', role: 'consult' });
    expect(rows).toEqual([{ room: 'R2' }]);
    await expect(enrolStation({ gatewayUrl: centre.gatewayUrl, gatewayCaPem: null, code: made.code })).rejects.toThrow(/not valid/);

    const shown = await waitFor(async () => (await desk.handle('stations.list', {})).stations.find((s) => s.code === 'NEW-CONSULT-9' && s.enrolledAt), 'the new PC in the directory');
    expect(shown).toMatchObject({ role: 'consult', roomName: expect.any(String), revokedAt: null, thisStation: false });
  });

  it('names the station when no code is given, and says what is wrong with bad input', async () => {
    await signInAs('admin');
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinic.stations s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = 'GFC-BDK' AND s.role = 'display'`);
    const named = await desk.handle('stations.createEnrolmentCode', { role: 'display', stationCode: '' });
    expect(named.stationCode).toMatch(/^DISPLAY-\d+$/);
    expect(Number(named.stationCode.split('-')[1])).toBeGreaterThan(rows[0]!.n);

    expect((await refusal(desk.handle('stations.createEnrolmentCode', { role: 'consult' }))).message).toMatch(/room/i);
    expect((await refusal(desk.handle('stations.createEnrolmentCode', { role: 'display', expiresHours: 0 }))).code).toBe('validation');
    expect((await refusal(desk.handle('stations.createEnrolmentCode', { role: 'reception', stationCode: 'has space' }))).code).toBe('validation');
    const inUse = await refusal(desk.handle('stations.createEnrolmentCode', { role: 'reception', stationCode: 'ADMIN-DESK-1' }));
    expect(inUse.code).toBe('conflict');
    expect(inUse.message).toMatch(/ADMIN-DESK-1 is enrolled and in use/);
    const room = await refusal(desk.handle('stations.createEnrolmentCode', { role: 'consult', roomCode: 'R99' }));
    expect(room.code).toBe('not_found');
  });

  it('revokes a PC: the gateway refuses it at once, its sessions end, and the directory shows it', async () => {
    await signInAs('admin');
    const made = await desk.handle('stations.createEnrolmentCode', { role: 'reception', stationCode: 'LOST-DESK-1' });
    const identity = await enrolStation({ gatewayUrl: centre.gatewayUrl, gatewayCaPem: null, code: made.code });
    const lost = new Central({ gatewayUrl: centre.gatewayUrl, key: () => stationKeyFromPem(identity.stationId, identity.privateKeyPem) });
    try {
      const signedIn = await lost.signIn({ username: 'reception', password: 'demo1234' });
      expect(signedIn.token).toBeTruthy();

      expect((await refusal(desk.handle('stations.revoke', { stationCode: 'LOST-DESK-1', reason: '  ' }))).code).toBe('validation');
      expect((await refusal(desk.handle('stations.revoke', { stationCode: 'ADMIN-DESK-1', reason: 'testing' }))).code).toBe('conflict');
      const revoked = await desk.handle('stations.revoke', { stationCode: 'LOST-DESK-1', reason: 'Stolen from the front desk' });
      expect(revoked).toEqual({ stationCode: 'LOST-DESK-1', sessionsRevoked: 1 });

      const refused = await lost.settings(signedIn.token).then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(CentralError);
      expect((refused as CentralError).message).toMatch(/revoked/i);
      const { rows } = await admin.query(`SELECT revoked_reason FROM clinic.stations WHERE id = $1`, [identity.stationId]);
      expect(rows).toEqual([{ revoked_reason: 'Stolen from the front desk' }]);

      await waitFor(async () => (await desk.handle('stations.list', {})).stations.find((s) => s.code === 'LOST-DESK-1' && s.revokedAt), 'the revocation in the directory');
      const again = await refusal(desk.handle('stations.revoke', { stationCode: 'LOST-DESK-1', reason: 'again' }));
      expect(again.code).toBe('conflict');
      expect(again.message).toMatch(/already revoked/);
    } finally {
      await lost.close();
    }
  });

  it('says the centre must be reachable, rather than queueing a code that would enrol nobody', async () => {
    const target = new URL(centre.gatewayUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    const offline = await startStation({ central: centre, role: 'reception', code: 'ADMIN-DESK-2', gatewayUrl: `http://127.0.0.1:${await proxy.listen()}` });
    try {
      await offline.handle('session.signIn', { username: 'admin', password: 'demo1234' });
      proxy.cut();
      const error = await refusal(offline.handle('stations.createEnrolmentCode', { role: 'display' }));
      expect(error.code).toBe('offline');
      expect(error.message).toMatch(/needs the network/);
      const revoke = await refusal(offline.handle('stations.revoke', { stationCode: 'ADMIN-DESK-1', reason: 'offline attempt' }));
      expect(revoke.code).toBe('offline');
      const { rows } = await admin.query(`SELECT revoked_at FROM clinic.stations s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = 'GFC-BDK' AND s.code = 'ADMIN-DESK-1'`);
      expect(rows).toEqual([{ revoked_at: null }]);
    } finally {
      await offline.stop();
      await proxy.close();
    }
  });
});
