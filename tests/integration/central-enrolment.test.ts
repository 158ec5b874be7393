import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enrolCommand, revokeStationCommand } from '../../src/server/enrol';
import { generateStationKeyPair } from '../../src/sync/station-key';
import { beginAs, call, enrolStationInSql, failure, signIn, signInAtStation, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Station enrolment and sessions bound to their station, in SQL (migration 018): the one-time code, the gateway's
// functions and what a station's own connection (clinic_station) cannot reach.

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

const newCode = () => randomBytes(10).toString('hex');
const publicKey = () => generateStationKeyPair().publicKeyPem;

async function makeCode(stationCode: string, role = 'reception', options: { room?: string; code?: string } = {}): Promise<string> {
  const code = options.code ?? newCode();
  await admin.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', ['GFC-BDK', role, stationCode, code, options.room ?? null]);
  return code;
}

/** enrol_station on its own connection as clinic_gateway, as the gateway's pool calls it. */
async function enrol(code: string, key = publicKey(), client: pg.ClientBase = admin): Promise<{ station: { id: string; code: string; role: string; desk_letter: string | null; room_id: string | null }; clinic: { code: string } }> {
  await client.query('SET ROLE clinic_gateway');
  try {
    return (await client.query('SELECT clinic.enrol_station($1, $2) AS r', [code, key])).rows[0].r;
  } finally {
    await client.query('RESET ROLE');
  }
}

/** current_session() in a transaction carrying `token`, and `atStation` as the gateway's verified station. */
async function sessionAt(token: string, atStation?: string): Promise<unknown> {
  await beginAs(station, token);
  try {
    if (atStation) await station.query("SELECT set_config('app.station_id', $1, true)", [atStation]);
    return (await station.query('SELECT (clinic.current_session()).user_id AS u')).rows[0].u;
  } finally {
    await station.query('ROLLBACK');
  }
}

describe('enrolment codes', () => {
  test('a code enrols its station once, with the next desk letter; a second use is refused in plain words', async () => {
    const code = await makeCode('ENROL-DESK-1');
    const enrolled = await enrol(code);
    expect(enrolled).toMatchObject({ station: { code: 'ENROL-DESK-1', role: 'reception', desk_letter: expect.stringMatching(/^[A-Z]$/) }, clinic: { code: 'GFC-BDK' } });
    const again = await failure(enrol(code));
    expect([again.code, again.message]).toEqual(['GC401', 'This enrolment code is not valid: it is unknown, already used or expired. Ask for a new one.']);
    const unknown = await failure(enrol(newCode()));
    expect([unknown.code, unknown.message]).toEqual([again.code, again.message]);
    const { rows } = await admin.query('SELECT used_at IS NOT NULL AS used, used_by_station_id FROM clinic.enrolment_codes WHERE code_hash = clinic.enrolment_code_hash($1)', [code]);
    expect(rows).toEqual([{ used: true, used_by_station_id: enrolled.station.id }]);
  });

  test('the code is typed loosely (case, spaces, dashes) but stored only as a hash', async () => {
    const code = await makeCode('ENROL-DESK-LOOSE', 'reception', { code: 'ABCD-EFGH-JKLM' });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM clinic.enrolment_codes WHERE code_hash::text LIKE '%ABCD%' OR station_code = $1`, [code]);
    expect(rows[0].n).toBe(0);
    expect((await enrol('abcd efgh jklm')).station.code).toBe('ENROL-DESK-LOOSE');
  });

  test('of two PCs presenting one code at the same moment, exactly one is enrolled', async () => {
    const code = await makeCode('ENROL-RACE');
    const clients = await Promise.all([1, 2, 3, 4].map(async () => {
      const c = new pg.Client(db.url);
      await c.connect();
      return c;
    }));
    try {
      const results = await Promise.allSettled(clients.map((c) => enrol(code, publicKey(), c)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['GC401', 'GC401', 'GC401']);
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM clinic.stations WHERE code = 'ENROL-RACE'`);
      expect(rows[0].n).toBe(1);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('an expired code is refused like an unknown one', async () => {
    const code = await makeCode('ENROL-LATE');
    await admin.query(`UPDATE clinic.enrolment_codes SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE station_code = 'ENROL-LATE'`);
    expect((await failure(enrol(code))).code).toBe('GC401');
  });

  test('the operator function refuses bad roles, rooms, short codes, and a station that is enrolled and in use', async () => {
    const refused = async (args: unknown[]) => {
      const e = await failure(admin.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', args));
      return [e.code, e.column];
    };
    expect(await refused(['GFC-BDK', 'kiosk', 'X-1', newCode(), null])).toEqual(['GC400', 'station_role']);
    expect(await refused(['GFC-XXX', 'reception', 'X-1', newCode(), null])).toEqual(['GC404', 'clinic_code']);
    expect(await refused(['GFC-BDK', 'consult', 'X-1', newCode(), 'R9'])).toEqual(['GC404', 'room_code']);
    expect(await refused(['GFC-BDK', 'reception', 'X-1', newCode(), 'R1'])).toEqual(['GC400', 'room_code']);
    expect(await refused(['GFC-BDK', 'reception', 'X-1', 'SHORT', null])).toEqual(['GC400', 'code']);
    await enrol(await makeCode('ENROL-IN-USE'));
    expect(await refused(['GFC-BDK', 'reception', 'ENROL-IN-USE', newCode(), null])).toEqual(['GC409', 'station_code']);
  });

  test('a consult station gets its room; with no station code the next free one is chosen', async () => {
    const code = newCode();
    const made = (await admin.query(`SELECT clinic.create_enrolment_code('GFC-BDK', 'consult', NULL, $1, 'R2') AS r`, [code])).rows[0].r;
    expect(made).toMatchObject({ station_code: expect.stringMatching(/^CONSULT-\d+$/), station_role: 'consult', room_code: 'R2' });
    const enrolled = await enrol(code);
    const room = (await admin.query(`SELECT r.id FROM clinic.rooms r JOIN clinic.clinics c ON c.id = r.clinic_id WHERE c.code = 'GFC-BDK' AND r.code = 'R2'`)).rows[0].id;
    expect(enrolled.station).toMatchObject({ code: made.station_code, role: 'consult', desk_letter: null, room_id: room });
  });

  test('a replaced PC takes over its station code (and desk letter) only after the old one was revoked', async () => {
    const first = await enrol(await makeCode('ENROL-REPLACED'));
    await admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'ENROL-REPLACED', 'PC stolen')`);
    const key = publicKey();
    const second = await enrol(await makeCode('ENROL-REPLACED'), key);
    expect(second.station).toEqual(first.station);
    const { rows } = await admin.query(`SELECT public_key, revoked_at FROM clinic.stations WHERE id = $1`, [first.station.id]);
    expect(rows).toEqual([{ public_key: key, revoked_at: null }]);
  });

  test('a key that is not an Ed25519 public key is refused', async () => {
    const code = await makeCode('ENROL-BAD-KEY');
    const e = await failure(enrol(code, '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n'));
    expect([e.code, e.column]).toEqual(['GC400', 'public_key']);
  });
});

describe('sessions bound to an enrolled station', () => {
  test('sign_in_at_station never creates or changes a station, and refuses an unenrolled one', async () => {
    const before = (await admin.query('SELECT count(*)::int AS n, max(updated_at) AS at FROM clinic.stations')).rows[0];
    const e = await failure(signInAtStation(station, randomUUID(), 'reception'));
    expect([e.code, e.message]).toEqual(['GC401', 'This station is not enrolled at the centre.']);
    const desk = await enrolStationInSql(station, 'GFC-BDK', 'BIND-DESK', 'reception');
    const after = (await admin.query('SELECT count(*)::int AS n FROM clinic.stations')).rows[0];
    expect(after.n).toBe(before.n + 1);
    const signed = await signInAtStation(station, desk.station.id, 'reception');
    expect(signed.station).toEqual(desk.station);
    expect((await admin.query('SELECT count(*)::int AS n FROM clinic.stations')).rows[0].n).toBe(after.n);
    // The station's role is the enrolled one: a display account is refused at a desk, a receptionist at a consult.
    expect((await failure(signInAtStation(station, desk.station.id, 'display'))).code).toBe('GC403');
    const consult = await enrolStationInSql(station, 'GFC-BDK', 'BIND-CONSULT', 'consult');
    expect((await failure(signInAtStation(station, consult.station.id, 'reception'))).message).toBe('Only a doctor can sign in at a consult station.');
  });

  test('a revoked station is refused at once: its open sessions, and any new sign-in', async () => {
    const session = await signIn(station, 'GFC-BDK', 'reception', 'BIND-REVOKED', 'reception');
    expect(await sessionAt(session.token)).toBe(session.user.id);
    const listener = new pg.Client(db.url);
    await listener.connect();
    const notified = new Promise<string | undefined>((resolve) => listener.on('notification', (n) => resolve(n.payload)));
    await listener.query('LISTEN station_revoked');
    const revoked = (await admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'BIND-REVOKED', 'Lost') AS r`)).rows[0].r;
    expect(revoked).toMatchObject({ station_id: session.station.id, sessions_revoked: 1 });
    expect(await notified).toBe(session.station.id);
    await listener.end();
    expect((await failure(sessionAt(session.token))).code).toBe('GC401');
    const again = await failure(signInAtStation(station, session.station.id, 'reception'));
    expect([again.code, again.message]).toEqual(['GC401', 'This station was revoked at the centre and must be enrolled again.']);
    const key = (await admin.query('SELECT clinic.station_key($1) AS k', [session.station.id])).rows[0].k;
    expect(key).toMatchObject({ station_id: session.station.id, revoked: true, role: 'reception' });
  });

  test('a session whose station was revoked is refused even if the session row itself was left open', async () => {
    const session = await signIn(station, 'GFC-BDK', 'reception', 'BIND-REVOKED-2', 'reception');
    await admin.query(`UPDATE clinic.stations SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1`, [session.station.id]);
    const e = await failure(sessionAt(session.token));
    expect([e.code, e.message]).toEqual(['GC401', 'This station was revoked at the centre and must be enrolled again.']);
  });

  test("a token taken from station A is useless at station B; RLS reads nothing with it either", async () => {
    const a = await signIn(station, 'GFC-BDK', 'reception', 'BIND-A', 'reception');
    const b = await enrolStationInSql(station, 'GFC-BDK', 'BIND-B', 'reception');
    expect(await sessionAt(a.token, a.station.id)).toBe(a.user.id);
    const e = await failure(sessionAt(a.token, b.station.id));
    expect([e.code, e.message]).toEqual(['GC401', 'This session was opened at another station. Please sign in again here.']);
    await beginAs(station, a.token);
    try {
      await station.query("SELECT set_config('app.station_id', $1, true)", [b.station.id]);
      expect((await station.query('SELECT count(*)::int AS n FROM clinic.patients')).rows[0].n).toBe(0);
    } finally {
      await station.query('ROLLBACK');
    }
  });

  test('sign_out revokes the session at the centre; refresh extends a valid one', async () => {
    const session = await signIn(station, 'GFC-BDK', 'reception', 'BIND-OUT', 'reception');
    await beginAs(station, session.token);
    await admin.query(`UPDATE clinic.staff_sessions SET expires_at = now() + interval '1 hour' WHERE station_id = $1`, [session.station.id]);
    const refreshed = (await station.query('SELECT clinic.refresh_session() AS r')).rows[0].r;
    await station.query('COMMIT');
    expect(Date.parse(refreshed.expires_at) - Date.now()).toBeGreaterThan(11 * 3600_000);
    await beginAs(station, session.token);
    const out = (await station.query('SELECT clinic.sign_out() AS r')).rows[0].r;
    await station.query('COMMIT');
    expect(out.revoked_at).toEqual(expect.any(String));
    expect((await failure(sessionAt(session.token))).code).toBe('GC401');
  });

  test('the clinic manager makes codes and revokes stations through idempotent, audited procedures', async () => {
    const manager = await signIn(station, 'GFC-BDK', 'admin', 'BIND-MANAGER', 'reception');
    const code = newCode();
    const key = randomUUID();
    const args = { station_role: 'display', station_code: 'BIND-TV', code };
    const made = await call(station, manager.token, 'create_station_enrolment', args, key);
    expect(made).toMatchObject({ station_code: 'BIND-TV', station_role: 'display' });
    expect(await call(station, manager.token, 'create_station_enrolment', args, key)).toEqual(made);
    const tv = await enrol(code);
    const { rows: audit } = await admin.query(`SELECT table_name, op, actor_user_id, new_row ? 'code_hash' AS leaked FROM audit.log WHERE request_id = $1`, [key]);
    expect(audit).toEqual([{ table_name: 'enrolment_codes', op: 'I', actor_user_id: manager.user.id, leaked: false }]);
    const reception = await signIn(station, 'GFC-BDK', 'reception', 'BIND-MANAGER', 'reception');
    expect((await failure(call(station, reception.token, 'revoke_station', { station_code: 'BIND-TV', reason: 'x' }))).code).toBe('GC403');
    const revoked = await call(station, manager.token, 'revoke_station', { station_code: 'BIND-TV', reason: 'Screen replaced' });
    expect(revoked).toMatchObject({ station_id: tv.station.id, sessions_revoked: 0 });
  });
});

describe('what a station connection cannot reach', () => {
  test("clinic_station cannot execute the gateway's or the operator's functions, nor the old sign_in", async () => {
    for (const sql of [
      `SELECT clinic.enrol_station('x', 'y')`,
      `SELECT clinic.station_key(gen_random_uuid())`,
      `SELECT clinic.sign_in_at_station(gen_random_uuid(), 'reception', 'demo1234')`,
      `SELECT clinic.create_enrolment_code('GFC-BDK', 'reception', 'X', 'ABCDEFGHIJKL')`,
      `SELECT clinic.operator_revoke_station('GFC-BDK', 'X', 'y')`,
      `SELECT clinic.sign_in('GFC-BDK', 'reception', 'demo1234', 'SNEAKY', 'reception')`,
    ]) {
      expect([sql, (await failure(station.query(sql))).code]).toEqual([sql, '42501']);
    }
  });

  test('stations read the station directory but not its keys, in the tables or the feed, nor any enrolment code', async () => {
    const session = await signIn(station, 'GFC-BDK', 'reception', 'BIND-READER', 'reception');
    expect((await failure(station.query('SELECT public_key FROM clinic.stations'))).code).toBe('42501');
    expect((await failure(station.query('SELECT * FROM clinic.enrolment_codes'))).code).toBe('42501');
    await beginAs(station, session.token);
    try {
      const { rows } = await station.query(`SELECT code, desk_letter, revoked_at FROM clinic.stations WHERE id = $1`, [session.station.id]);
      expect(rows).toEqual([{ code: 'BIND-READER', desk_letter: session.station.desk_letter, revoked_at: null }]);
      const { rows: feed } = await station.query(`SELECT row FROM sync.changes WHERE table_name = 'stations' AND row_id = $1`, [session.station.id]);
      expect(feed.length).toBeGreaterThan(0);
      expect(feed.every((f) => !('public_key' in f.row))).toBe(true);
    } finally {
      await station.query('ROLLBACK');
    }
  });
});

describe('the operator commands (npm run cli -- enrol / revoke-station)', () => {
  test('enrol prints a random code that enrols the station once; revoke-station says what it ended', async () => {
    const lines: string[] = [];
    await enrolCommand(db.url, { clinic: 'gfc-bdk', role: 'consult', stationCode: 'CLI-CONSULT', room: 'R3', expiresHours: 2 }, (line) => lines.push(line));
    const code = /\n {4}(\S+)\n/.exec(lines[0]!)![1]!;
    expect(code).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){4}$/);
    expect(lines[0]).toMatch(/^Enrolment code for consult station CLI-CONSULT in room R3 of Gabriel Family Clinic \(Bedok\) \(GFC-BDK\)/);
    const enrolled = await enrol(code);
    expect(enrolled.station).toMatchObject({ code: 'CLI-CONSULT', role: 'consult' });
    await revokeStationCommand(db.url, { clinic: 'gfc-bdk', stationCode: 'CLI-CONSULT', reason: 'Replaced' }, (line) => lines.push(line));
    expect(lines[1]).toMatch(/^Station CLI-CONSULT of GFC-BDK is revoked: every gateway refuses it from now on, and 0 open sessions were ended\./);
    await expect(revokeStationCommand(db.url, { clinic: 'GFC-BDK', stationCode: 'CLI-CONSULT', reason: 'Again' }, () => undefined)).rejects.toMatchObject({
      code: 'GC409', message: expect.stringMatching(/^Station CLI-CONSULT was already revoked on /),
    });
  });
});
