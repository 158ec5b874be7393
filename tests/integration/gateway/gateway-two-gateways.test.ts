import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  callResponseSchema,
  errorBodySchema,
  initialPlanResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  signInResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import { api, enrolStation, eventually, liveIds, openLive, patientIds, settleAll, startGatewayFixture, ticketArgs, type GatewayFixture, type StationClient } from '../../support/gateway';

/*
 * The gateway keeps nothing a station depends on (DESIGN §1): sessions, request keys and revocations live at the
 * centre, so two gateways on one database serve the same stations, as behind a load balancer that sends each
 * request wherever it likes. What a gateway does cache, station keys, each one drops when the centre says a
 * station was revoked.
 */

let f: GatewayFixture;
let a: string;
let b: string;
let patients: string[];
let used = 0;

/** A desk enrolled (and signed in) through A; `through` sends its signed requests to either gateway. */
interface Desk {
  station: StationClient;
  /** From the database, not from the gateway's answer. */
  stationId: string;
  session: SignInResponse;
  seq: number;
  through(base: string, path: string, body?: unknown, token?: string): ReturnType<typeof api>;
}

async function newDesk(code: string): Promise<Desk> {
  const station = await enrolStation({ admin: f.admin, url: a }, { clinic: 'GFC-BDK', role: 'reception', code });
  const signIn = await station.api('/v1/session/sign-in', { username: 'reception', password: 'demo1234' });
  expect(signIn.status).toBe(200);
  const { rows } = await f.admin.query<{ id: string }>("SELECT id FROM clinic.stations WHERE code = $1 AND clinic_id = (SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK')", [code]);
  return {
    station,
    stationId: rows[0]!.id,
    session: signInResponseSchema.parse(signIn.body),
    seq: 0,
    through: (base, path, body, token) => api(station.key, base, path, body, token),
  };
}

/** A ticket at `desk`'s letter for a patient no other ticket here uses. */
const ticket = (desk: Desk) => ticketArgs(desk.session.station.desk_letter!, ++desk.seq, patients[used++]!);

const ticketRows = async (ids: unknown[]) =>
  (await f.admin.query<{ id: string; station: string }>('SELECT id, issued_by_station_id AS station FROM clinic.queue_tickets WHERE id = ANY($1)', [ids])).rows;

beforeAll(async () => {
  f = await startGatewayFixture();
  a = f.url;
  const second = await f.start();
  b = second.url;
  // Until each gateway listens it caches no station key, and the revocation test would prove nothing.
  await Promise.all([f.gateway.listener.ready(), second.gateway.listener.ready()]);
  patients = await patientIds(f.admin, 'GFC-BDK', 50);
});

afterAll(async () => {
  await f?.close();
});

test("a session signed in through A calls through B, and a pull through B sees A's writes", async () => {
  const desk = await newDesk('GW-TWO-CALLS');
  const plan = await desk.through(b, '/v1/sync/initial/plan', { tables: [{ table: 'queue_tickets', window: null }] }, desk.session.token);
  expect(plan.status).toBe(200);
  const { horizon } = initialPlanResponseSchema.parse(plan.body);

  const viaB = ticket(desk);
  const call = await desk.through(b, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args: viaB }, desk.session.token);
  expect(call.status, JSON.stringify(call.body)).toBe(200);
  expect(callResponseSchema.parse(call.body).result).toMatchObject({ ticket: { id: viaB.id, issued_by_station_id: desk.stationId } });
  const viaA = ticket(desk);
  expect((await desk.through(a, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args: viaA }, desk.session.token)).status).toBe(200);
  expect(await ticketRows([viaA.id, viaB.id])).toEqual(
    expect.arrayContaining([viaA.id, viaB.id].map((id) => ({ id, station: desk.stationId }))),
  );

  // The feed releases a change once no older transaction is open on the cluster, and other files share it.
  await eventually(async () => {
    const pulled = await desk.through(b, '/v1/sync/pull', { cursor: { xid: horizon, seq: '0' }, tables: ['queue_tickets'], limit: 1000 }, desk.session.token);
    expect(pulled.status).toBe(200);
    expect(pullResponseSchema.parse(pulled.body).changes.map((c) => c.id)).toEqual(expect.arrayContaining([viaA.id, viaB.id]));
  });
});

test('a sign-out through B ends the session on A at once, and only that session', async () => {
  const desk = await newDesk('GW-TWO-SIGNOUT');
  const other = signInResponseSchema.parse((await desk.station.api('/v1/session/sign-in', { username: 'nurse', password: 'demo1234' })).body);
  const plan = (base: string, token: string) => desk.through(base, '/v1/sync/initial/plan', { tables: [{ table: 'patients', window: null }] }, token);
  expect((await plan(a, desk.session.token)).status).toBe(200);

  const out = await desk.through(b, '/v1/session/sign-out', {}, desk.session.token);
  expect(out.status).toBe(200);
  // No waiting: there is no session state on A that B's sign-out would have to reach.
  const refused = await plan(a, desk.session.token);
  expect(refused.status).toBe(401);
  expect(errorBodySchema.parse(refused.body)).toMatchObject({ code: 'GC401', kind: 'unauthenticated' });
  expect((await plan(b, desk.session.token)).status).toBe(401);
  for (const base of [a, b]) expect((await plan(base, other.token)).status).toBe(200);
});

test('the same push through A, then through B, then through both at once applies once and answers the same', async () => {
  const desk = await newDesk('GW-TWO-PUSH');
  const entries = [ticket(desk), ticket(desk)].map((args) => ({ procedure: 'issue_ticket', requestKey: randomUUID(), args, sessionToken: desk.session.token }));
  const first = await desk.through(a, '/v1/push', { entries });
  expect(first.status).toBe(200);
  const answers = pushResponseSchema.parse(first.body).answers;
  expect(answers.map((x) => x.ok)).toEqual([true, true]);
  const replays = [await desk.through(b, '/v1/push', { entries }), ...(await settleAll([a, b, a, b].map((base) => desk.through(base, '/v1/push', { entries }))))];
  for (const replay of replays) expect(replay).toEqual(first);
  expect(await ticketRows(entries.map((e) => e.args.id))).toHaveLength(entries.length);
  const { rows } = await f.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM clinic.queue_tickets WHERE issued_by_station_id = $1', [desk.stationId]);
  expect(rows[0]!.n).toBe(entries.length);
});

test('a live channel opened on B receives a ticket committed through A', async () => {
  const writer = await newDesk('GW-TWO-LIVE-WRITER');
  const watcher = await newDesk('GW-TWO-LIVE-WATCHER');
  const live = await openLive(watcher.station.key, b, watcher.session.token, ['queue_tickets']);
  try {
    const args = ticket(writer);
    expect((await writer.through(a, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, writer.session.token)).status).toBe(200);
    await eventually(() => expect(liveIds(live, 'queue_tickets')).toContain(args.id));
  } finally {
    live.socket.close();
  }
});

test('a station revoked at the centre is refused by both gateways, though each had its key cached', async () => {
  const desk = await newDesk('GW-TWO-REVOKED');
  const signIn = (base: string) => desk.through(base, '/v1/session/sign-in', { username: 'nurse', password: 'demo1234' });
  // A signed request through each gateway: each now holds the station's key.
  for (const base of [a, b]) expect((await signIn(base)).status).toBe(200);

  await f.admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'GW-TWO-REVOKED', 'Stolen from the front desk')`);
  // Refused by the gateway itself (STATION_REVOKED), not only by the centre's session check: the revocation's
  // notification reached each gateway's key cache. Left to its own ageing the cache would hold the key for minutes.
  await settleAll(
    [a, b].map((base) =>
      eventually(async () => {
        const answer = await signIn(base);
        expect({ status: answer.status, ...errorBodySchema.parse(answer.body) }).toMatchObject({ status: 401, code: 'STATION_REVOKED', kind: 'permanent' });
      }, 2000),
    ),
  );
  for (const base of [a, b]) {
    const call = await desk.through(base, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(desk) }, desk.session.token);
    expect(errorBodySchema.parse(call.body)).toMatchObject({ code: 'STATION_REVOKED' });
  }
});
