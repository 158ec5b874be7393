import { createHash, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import {
  callResponseSchema,
  errorBodySchema,
  initialPlanResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  signInResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import {
  enrolStation,
  eventually,
  liveIds,
  openLive,
  patientIds,
  settleAll,
  startGatewayFixture,
  ticketArgs,
  type GatewayFixture,
  type GatewayLogin,
  type StationClient,
} from '../../support/gateway';
import { pgbouncerInstalled, startPgBouncer, type PgBouncer } from '../../support/pgbouncer';

/*
 * The gateway behind PgBouncer in transaction pool mode, as a centre that outgrows direct connections runs it. A
 * server connection serves one gateway transaction, then whichever comes next from any station, so whatever the
 * gateway sets for a request (session token, station, request key) must live and die inside that transaction, or
 * one station's request runs as another's. The LISTEN connection cannot go through PgBouncer at all (a LISTEN
 * outlives its transaction), so it reaches Postgres directly.
 */

const SERVER_CONNECTIONS = 2;
const CLINICS = ['GFC-BDK', 'GFC-TPY'] as const;
const DESKS_PER_CLINIC = 10;
/** Tickets each desk issues: one call and a push of two in the busy day, one more while the live channel listens. */
const TICKETS_PER_DESK = 4;

interface Desk {
  code: string;
  client: StationClient;
  // From the database, so that the gateway's answers are checked against something it did not say.
  stationId: string;
  clinicId: string;
  letter: string;
  patients: string[];
  seq: number;
  reception?: SignInResponse;
  nurse?: SignInResponse;
}

/** What the centre must have recorded for one ticket: who issued it, at which station, in which request. */
interface Issued {
  ticketId: string;
  clinicId: string;
  stationId: string;
  letter: string;
  userId: string;
  token: string;
  requestKey: string;
}

let f: GatewayFixture;
let login: GatewayLogin;
let bouncer: PgBouncer;
let url: string;
let gatewayPool: pg.Pool;
let listenName: string;
let desks: Desk[];
const patientsOfClinic = new Map<string, number>();
const userIds = new Map<string, string>();

const sha256 = (token: string) => createHash('sha256').update(Buffer.from(token, 'hex')).digest('hex');
const nextTicket = (desk: Desk) => {
  desk.seq += 1;
  return ticketArgs(desk.letter, desk.seq, desk.patients[desk.seq - 1]!);
};

async function signIn(desk: Desk, username: string): Promise<SignInResponse> {
  const answer = await desk.client.api('/v1/session/sign-in', { username, password: 'demo1234' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const session = signInResponseSchema.parse(answer.body);
  expect({ station: session.station.id, letter: session.station.desk_letter, clinic: session.clinic.id, user: session.user.id }).toEqual({
    station: desk.stationId,
    letter: desk.letter,
    clinic: desk.clinicId,
    user: userIds.get(`${desk.clinicId}/${username}`),
  });
  return session;
}

/** Runs `work` while sampling how many server connections the gateway's role holds and how many clients its pool. */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; serverConnections: number; gatewayClients: number }> {
  let serverConnections = 0;
  let gatewayClients = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      // All of the role's connections but the LISTEN one, which goes to Postgres directly: PgBouncer's.
      const { rows } = await f.admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND backend_type = 'client backend' AND application_name <> $2",
        [login.role, listenName],
      );
      serverConnections = Math.max(serverConnections, rows[0]!.n);
      gatewayClients = Math.max(gatewayClients, gatewayPool.totalCount);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  try {
    return { result: await work(), serverConnections, gatewayClients };
  } finally {
    running = false;
    await sampler;
  }
}

describe.skipIf(!pgbouncerInstalled())('the gateway behind PgBouncer in transaction mode', () => {
  beforeAll(async () => {
    f = await startGatewayFixture();
    // A role of its own, so that every connection Postgres shows under it is this gateway's.
    login = await f.loginRole();
    const server = inject('pg');
    bouncer = await startPgBouncer({
      upstream: { host: server.host, port: server.port },
      users: [{ name: login.role, password: login.password }],
      poolSize: SERVER_CONNECTIONS,
    });
    const applicationName = `gw-bouncer-${randomBytes(4).toString('hex')}`;
    listenName = `${applicationName}-listen`;
    const started = await f.start({
      databaseUrl: bouncer.through(login.url),
      listenUrl: login.url,
      // One client connection per station at the busiest moment: they queue at PgBouncer for its two.
      poolSize: CLINICS.length * DESKS_PER_CLINIC,
      applicationName,
    });
    url = started.url;
    gatewayPool = started.gateway.pool;
    await started.gateway.listener.ready();

    const codes = CLINICS.flatMap((clinic) => Array.from({ length: DESKS_PER_CLINIC }, (_, i) => ({ clinic, code: `GW-BOUNCER-${clinic.slice(4)}-${i + 1}` })));
    const clients: StationClient[] = [];
    for (const { clinic, code } of codes) clients.push(await enrolStation({ admin: f.admin, url }, { clinic, role: 'reception', code }));
    const { rows: stations } = await f.admin.query<{ code: string; id: string; clinic_id: string; desk_letter: string }>(
      'SELECT code, id, clinic_id, desk_letter FROM clinic.stations WHERE code = ANY($1)',
      [codes.map((c) => c.code)],
    );
    const patients = new Map<string, string[]>();
    for (const clinic of CLINICS) patients.set(clinic, await patientIds(f.admin, clinic, DESKS_PER_CLINIC * TICKETS_PER_DESK));
    desks = codes.map(({ clinic, code }, i) => {
      const station = stations.find((s) => s.code === code)!;
      const k = i % DESKS_PER_CLINIC;
      return {
        code,
        client: clients[i]!,
        stationId: station.id,
        clinicId: station.clinic_id,
        letter: station.desk_letter,
        patients: patients.get(clinic)!.slice(k * TICKETS_PER_DESK, (k + 1) * TICKETS_PER_DESK),
        seq: 0,
      };
    });
    expect(new Set(desks.map((d) => `${d.clinicId}/${d.letter}`)).size).toBe(desks.length);
    const { rows: counts } = await f.admin.query<{ clinic_id: string; n: number }>('SELECT clinic_id, count(*)::int AS n FROM clinic.patients GROUP BY 1');
    for (const c of counts) patientsOfClinic.set(c.clinic_id, c.n);
    const { rows: users } = await f.admin.query<{ clinic_id: string; username: string; id: string }>('SELECT clinic_id, username::text, id FROM clinic.users');
    for (const u of users) userIds.set(`${u.clinic_id}/${u.username}`, u.id);
  });

  afterAll(async () => {
    await bouncer?.stop();
    await f?.close();
  });

  test("20 stations at once on 2 server connections: every answer, every write and every sign-out is its own station's", async () => {
    const issued: Issued[] = [];
    const signedOut = new Set<string>();

    const workday = async (desk: Desk, index: number) => {
      const reception = (desk.reception = await signIn(desk, 'reception'));
      const nurse = (desk.nurse = await signIn(desk, 'nurse'));

      const plan = await desk.client.api('/v1/sync/initial/plan', { tables: [{ table: 'patients', window: null }] }, reception.token);
      expect(plan.status).toBe(200);
      const { horizon, tables } = initialPlanResponseSchema.parse(plan.body);
      expect(tables).toEqual([{ table: 'patients', total: patientsOfClinic.get(desk.clinicId) }]);

      const requestKey = randomUUID();
      const args = nextTicket(desk);
      const call = { procedure: 'issue_ticket', requestKey, args };
      const first = await desk.client.api('/v1/call', call, reception.token);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(callResponseSchema.parse(first.body).result).toMatchObject({
        ticket: { id: args.id, clinic_id: desk.clinicId, issued_by_station_id: desk.stationId, desk_letter: desk.letter, ticket_number: args.ticket_number },
      });
      issued.push({ ticketId: String(args.id), clinicId: desk.clinicId, stationId: desk.stationId, letter: desk.letter, userId: reception.user.id, token: reception.token, requestKey });
      // A retry after a lost answer, as a station's outbox makes it.
      const again = await desk.client.api('/v1/call', call, reception.token);
      expect(again).toEqual(first);

      // The nurse's offline work, pushed in one batch under her own session.
      const entries = [nextTicket(desk), nextTicket(desk)].map((a) => ({ procedure: 'issue_ticket', requestKey: randomUUID(), args: a, sessionToken: nurse.token }));
      const pushed = await desk.client.api('/v1/push', { entries });
      expect(pushed.status).toBe(200);
      const { answers } = pushResponseSchema.parse(pushed.body);
      expect(answers).toEqual(
        entries.map((e) => ({
          requestKey: e.requestKey,
          ok: true,
          result: { ticket: expect.objectContaining({ id: e.args.id, clinic_id: desk.clinicId, issued_by_station_id: desk.stationId, desk_letter: desk.letter }) },
        })),
      );
      for (const e of entries) {
        issued.push({ ticketId: String(e.args.id), clinicId: desk.clinicId, stationId: desk.stationId, letter: desk.letter, userId: nurse.user.id, token: nurse.token, requestKey: e.requestKey });
      }
      expect(await desk.client.api('/v1/push', { entries })).toEqual(pushed);

      // Half the nurses sign out while the other half's sessions (the same user's) are still working.
      if (index % 2 === 0) {
        expect((await desk.client.api('/v1/session/sign-out', {}, nurse.token)).status).toBe(200);
        signedOut.add(nurse.token);
      }

      const mine = issued.filter((i) => i.stationId === desk.stationId).map((i) => i.ticketId);
      const clinicsSeen = new Set<unknown>();
      await eventually(async () => {
        const pulled = await desk.client.api('/v1/sync/pull', { cursor: { xid: horizon, seq: '0' }, tables: ['queue_tickets'], limit: 1000 }, reception.token);
        expect(pulled.status).toBe(200);
        const { changes } = pullResponseSchema.parse(pulled.body);
        for (const c of changes) clinicsSeen.add(c.row?.clinic_id);
        // The feed releases a change once no older transaction is open, and 19 other stations are writing.
        expect(changes.map((c) => c.id)).toEqual(expect.arrayContaining(mine));
      });
      expect([...clinicsSeen]).toEqual([desk.clinicId]);
    };

    const { serverConnections, gatewayClients } = await sampled(() => settleAll(desks.map(workday)));
    // The gateway held many more connections than PgBouncer had to give them: they really took turns.
    expect(serverConnections).toBeGreaterThan(0);
    expect(serverConnections).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    expect(gatewayClients).toBeGreaterThan(SERVER_CONNECTIONS);

    // Each ticket once (the retries added none), issued at its own desk by the person whose session sent it.
    const ids = issued.map((i) => i.ticketId);
    const { rows } = await f.admin.query<{ id: string; clinic_id: string; station: string; letter: string; actor: string; audit_station: string; token_hash: string; request_id: string }>(
      `SELECT t.id, t.clinic_id, t.issued_by_station_id AS station, t.desk_letter AS letter, a.actor_user_id AS actor,
              a.station_id AS audit_station, encode(s.token_hash, 'hex') AS token_hash, a.request_id
         FROM clinic.queue_tickets t
         JOIN audit.log a ON a.table_name = 'queue_tickets' AND a.op = 'I' AND a.row_id = t.id
         JOIN clinic.staff_sessions s ON s.clinic_id = a.clinic_id AND s.id = a.session_id
        WHERE t.issued_by_station_id = ANY($1)`,
      [desks.map((d) => d.stationId)],
    );
    expect(rows).toHaveLength(desks.length * 3);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const i of issued) {
      expect(byId.get(i.ticketId)).toEqual({
        id: i.ticketId,
        clinic_id: i.clinicId,
        station: i.stationId,
        letter: i.letter,
        actor: i.userId,
        audit_station: i.stationId,
        token_hash: sha256(i.token),
        request_id: i.requestKey,
      });
    }

    // A sign-out ended that session and no other, though ten sessions of the same nurse were in flight with it.
    const tokens = desks.flatMap((d) => [d.reception!.token, d.nurse!.token]);
    const { rows: sessions } = await f.admin.query<{ token_hash: string; ended: boolean }>(
      "SELECT encode(token_hash, 'hex') AS token_hash, revoked_at IS NOT NULL AS ended FROM clinic.staff_sessions WHERE encode(token_hash, 'hex') = ANY($1)",
      [tokens.map(sha256)],
    );
    expect(new Map(sessions.map((s) => [s.token_hash, s.ended]))).toEqual(new Map(tokens.map((t) => [sha256(t), signedOut.has(t)])));
    expect(signedOut.size).toBe(DESKS_PER_CLINIC);
    await settleAll(
      desks.flatMap((desk) =>
        [desk.reception!, desk.nurse!].map(async (session) => {
          const answer = await desk.client.api('/v1/sync/initial/plan', { tables: [{ table: 'queue_tickets', window: null }] }, session.token);
          if (signedOut.has(session.token)) expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'GC401', kind: 'unauthenticated' });
          expect(answer.status).toBe(signedOut.has(session.token) ? 401 : 200);
        }),
      ),
    );
  });

  test("the live channel, on its direct LISTEN connection, brings each clinic's new tickets to that clinic only", async () => {
    const [bdk, tpy] = CLINICS.map((clinic) => desks.find((d) => d.code.startsWith(`GW-BOUNCER-${clinic.slice(4)}-`))!);
    const sockets = await Promise.all([bdk!, tpy!].map((d) => openLive(d.client.key, url, d.reception!.token, ['queue_tickets'])));
    try {
      const tickets = await settleAll(
        desks.map(async (desk) => {
          const args = nextTicket(desk);
          const answer = await desk.client.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, desk.reception!.token);
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          return { id: String(args.id), clinicId: desk.clinicId };
        }),
      );
      for (const [i, live] of sockets.entries()) {
        const clinicId = [bdk!, tpy!][i]!.clinicId;
        const expected = tickets.filter((t) => t.clinicId === clinicId).map((t) => t.id);
        await eventually(() => expect([...liveIds(live, 'queue_tickets')]).toEqual(expect.arrayContaining(expected)));
        const rows = live.messages.flatMap((m) => (m.type === 'changes' ? m.changes.map((c) => c.row?.clinic_id) : []));
        expect(new Set(rows)).toEqual(new Set([clinicId]));
      }
      // The one LISTEN connection is the gateway's own, straight to Postgres, and it is listening.
      const { rows } = await f.admin.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE usename = $1 AND application_name = $2", [login.role, listenName]);
      expect(rows.map((r) => r.query)).toEqual([expect.stringMatching(/^LISTEN /)]);
    } finally {
      for (const live of sockets) live.socket.close();
    }
  });

  test('after all that, a transaction on either server connection starts with no session, station or request', async () => {
    const clients = Array.from({ length: SERVER_CONNECTIONS }, () => new pg.Client(bouncer.through(login.url)));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      // Both transactions open at once, so each holds one of the two server connections.
      const seen = await Promise.all(
        clients.map(async (c) => {
          await c.query('BEGIN');
          const { rows } = await c.query<{ backend: number; token: string | null; station: string | null; request: string | null; patients: number }>(
            `SELECT pg_backend_pid() AS backend, current_setting('app.session_token', true) AS token, current_setting('app.station_id', true) AS station,
                    current_setting('app.request_id', true) AS request, (SELECT count(*)::int FROM clinic.patients) AS patients`,
          );
          return rows[0]!;
        }),
      );
      await Promise.all(clients.map((c) => c.query('COMMIT')));
      expect(new Set(seen.map((s) => s.backend)).size).toBe(SERVER_CONNECTIONS);
      for (const s of seen) expect({ token: s.token ?? '', station: s.station ?? '', request: s.request ?? '', patients: s.patients }).toEqual({ token: '', station: '', request: '', patients: 0 });
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  });
});
