import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callResponseSchema,
  digestsResponseSchema,
  errorBodySchema,
  initialPlanResponseSchema,
  protocolResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  rowsResponseSchema,
  refreshResponseSchema,
  signInResponseSchema,
  signOutResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import { enrolStation, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture, type StationClient } from '../../support/gateway';

// The central contract over real HTTP, through a gateway connected as a clinic_gateway login role, every request
// signed by an enrolled station. Every answer is parsed with the contract's response schema, as a station will.

let f: GatewayFixture;
let desk1: StationClient;
let desk2: StationClient;
let reception: SignInResponse;
let patients: string[];
let seq = 0;

async function signIn(station: StationClient, username: string) {
  const answer = await station.api('/v1/session/sign-in', { username, password: 'demo1234' });
  expect(answer.status).toBe(200);
  return signInResponseSchema.parse(answer.body);
}

/** A ticket at `desk`'s own letter; `seq` is shared, so numbers and patients never repeat. */
const ticket = (desk: SignInResponse = reception) => ticketArgs(desk.station.desk_letter!, ++seq, patients[seq]!);

beforeAll(async () => {
  f = await startGatewayFixture();
  desk1 = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-RECEPTION-1' });
  desk2 = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-RECEPTION-2' });
  reception = await signIn(desk1, 'reception');
  patients = await patientIds(f.admin, 'GFC-BDK', 200);
});

afterAll(async () => {
  await f?.close();
});

describe('protocol and session', () => {
  test('the handshake answers the centre protocol', async () => {
    const answer = await desk1.api('/v1/protocol');
    expect(answer.status).toBe(200);
    expect(protocolResponseSchema.parse(answer.body).protocol).toBeGreaterThanOrEqual(1);
  });

  test('sign-in returns a session; a wrong password is refused plainly', async () => {
    expect(reception.token).toMatch(/^[0-9a-f]{64}$/);
    expect(reception.clinic.code).toBe('GFC-BDK');
    // The station is the one that signed, with the desk letter it was given at enrolment.
    expect(reception.station).toEqual(desk1.station);
    const wrong = await desk1.api('/v1/session/sign-in', { username: 'reception', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(errorBodySchema.parse(wrong.body)).toMatchObject({ code: 'GC401', message: 'Invalid username or password.', kind: 'unauthenticated' });
  });

  test('refresh extends the session; sign-out revokes it at the centre, and the token is refused from then on', async () => {
    const session = await signIn(desk2, 'nurse');
    const refreshed = await desk2.api('/v1/session/refresh', {}, session.token);
    expect(refreshed.status).toBe(200);
    expect(Date.parse(refreshResponseSchema.parse(refreshed.body).expires_at)).toBeGreaterThanOrEqual(Date.parse(session.expires_at));
    const answer = await desk2.api('/v1/session/sign-out', {}, session.token);
    expect(answer).toEqual({ status: 200, body: signOutResponseSchema.parse({ revokedAtCentre: true }) });
    const after = await desk2.api('/v1/sync/digests', { tables: [{ table: 'patients', window: null }] }, session.token);
    expect(after.status).toBe(401);
    expect(errorBodySchema.parse(after.body)).toMatchObject({ code: 'GC401', kind: 'unauthenticated' });
  });
});

describe('procedures under the session', () => {
  test('a call with the token runs as that person; the same request key replayed returns the first answer', async () => {
    const requestKey = randomUUID();
    const args = ticket();
    const first = await desk1.api('/v1/call', { procedure: 'issue_ticket', requestKey, args }, reception.token);
    expect(first.status).toBe(200);
    const again = await desk1.api('/v1/call', { procedure: 'issue_ticket', requestKey, args }, reception.token);
    expect(callResponseSchema.parse(again.body)).toEqual(callResponseSchema.parse(first.body));
    const { rows } = await f.admin.query('SELECT issued_by_station_id FROM clinic.queue_tickets WHERE id = $1', [args.id]);
    expect(rows).toEqual([{ issued_by_station_id: reception.station.id }]);
  });

  test("another clinic's session cannot touch this clinic's patient: the centre answers as if it did not exist", async () => {
    const tpy = await enrolStation(f, { clinic: 'GFC-TPY', role: 'reception', code: 'GW-TPY-RECEPTION-1' });
    const other = await signIn(tpy, 'reception');
    const args = ticketArgs(other.station.desk_letter!, 1, patients[0]!);
    const answer = await tpy.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, other.token);
    expect(answer.status).toBe(404);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'GC404', message: 'That patient is not registered at this clinic.' });
    const page = await tpy.api('/v1/sync/initial/page',
      { table: 'patients', window: null, columns: ['id'], afterId: null, limit: 10_000 }, other.token);
    expect(rowsResponseSchema.parse(page.body).rows.map((r) => r.id)).not.toContain(patients[0]);
  });

  test("a receptionist cannot change a clinic setting (the SQL refuses, the refusal passes through)", async () => {
    const answer = await desk1.api('/v1/call', { procedure: 'set_setting', requestKey: randomUUID(), args: { key: 'announcement.languages', value: ['en'] } }, reception.token);
    expect(answer.status).toBe(403);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'GC403', message: 'Only the clinic manager (admin) can change clinic settings.', kind: 'permanent' });
  });

  test('a reception station cannot call what only consult rooms do: refused by the gateway before the database', async () => {
    const answer = await desk1.api('/v1/call', { procedure: 'call_next', requestKey: randomUUID(), args: {} }, reception.token);
    expect(answer.status).toBe(403);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'FORBIDDEN', message: 'A reception station cannot do this (call_next).', kind: 'permanent' });
  });

  test('a push batch answers each entry on its own: the refused one does not stop the others committing', async () => {
    // Two people's work from one desk, each entry under the session of the person who did it.
    const nurse = await signIn(desk1, 'nurse');
    const entries = [
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token },
      // Only a clinic manager may change a setting: permanent refusal.
      { procedure: 'set_setting', requestKey: randomUUID(), args: { key: 'queue.languages', value: ['en'] }, sessionToken: reception.token },
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(nurse), sessionToken: nurse.token },
    ];
    const answer = await desk1.api('/v1/push', { entries });
    expect(answer.status).toBe(200);
    const { answers } = pushResponseSchema.parse(answer.body);
    expect(answers.map((a) => [a.requestKey, a.ok])).toEqual(entries.map((e, i) => [e.requestKey, i !== 1]));
    expect(answers[1]).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'GC403' } });
    const { rows } = await f.admin.query<{ actor: string }>(
      `SELECT actor_user_id AS actor FROM audit.log WHERE table_name = 'queue_tickets' AND op = 'I' AND row_id = ANY($1) ORDER BY id`,
      [[entries[0]!.args.id, entries[2]!.args.id]],
    );
    expect(rows.map((r) => r.actor)).toEqual([reception.user.id, nurse.user.id]);
  });

  test("a session opened at one station is refused at another, even inside a push", async () => {
    const stolen = await desk2.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket() }, reception.token);
    expect(stolen.status).toBe(401);
    expect(errorBodySchema.parse(stolen.body)).toMatchObject({ code: 'GC401', message: 'This session was opened at another station. Please sign in again here.' });
    const pushed = await desk2.api('/v1/push', { entries: [{ procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token }] });
    expect(pushResponseSchema.parse(pushed.body).answers[0]).toMatchObject({ ok: false, error: { kind: 'unauthenticated', code: 'GC401' } });
  });
});

describe('sync reads', () => {
  test('the initial plan counts only the session clinic, and pages read its rows', async () => {
    const plan = await desk1.api('/v1/sync/initial/plan', { tables: [{ table: 'patients', window: null }] }, reception.token);
    expect(plan.status).toBe(200);
    const { tables } = initialPlanResponseSchema.parse(plan.body);
    const { rows } = await f.admin.query<{ n: number; all: number }>(
      `SELECT count(*) FILTER (WHERE clinic_id = $1)::int AS n, count(*)::int AS all FROM clinic.patients`, [reception.clinic.id],
    );
    expect(tables).toEqual([{ table: 'patients', total: rows[0]!.n }]);
    expect(rows[0]!.all).toBeGreaterThan(rows[0]!.n);
    const page = await desk1.api('/v1/sync/initial/page',
      { table: 'patients', window: null, columns: ['clinic_id', 'id', 'full_name'], afterId: null, limit: 50 }, reception.token);
    const parsed = rowsResponseSchema.parse(page.body).rows;
    expect(parsed).toHaveLength(50);
    expect(new Set(parsed.map((r) => r.clinic_id))).toEqual(new Set([reception.clinic.id]));
  });

  test('a pull from a cursor returns the changes committed after it', async () => {
    const plan = initialPlanResponseSchema.parse(
      (await desk1.api('/v1/sync/initial/plan', { tables: [{ table: 'queue_tickets', window: null }] }, reception.token)).body,
    );
    const args = ticket();
    expect((await desk1.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, reception.token)).status).toBe(200);
    // The feed hands out a change once no older transaction is still open anywhere on the cluster (the snapshot
    // horizon), and other test files run transactions beside this one: the change may take a moment to appear.
    const pullFrom = async (cursor: { xid: string; seq: string }) => {
      const pulled = await desk1.api('/v1/sync/pull', { cursor, tables: ['queue_tickets'], limit: 1000 }, reception.token);
      expect(pulled.status).toBe(200);
      return pullResponseSchema.parse(pulled.body).changes;
    };
    let changes = await pullFrom({ xid: plan.horizon, seq: '0' });
    for (let tries = 0; tries < 100 && !changes.some((c) => c.id === args.id); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      changes = await pullFrom({ xid: plan.horizon, seq: '0' });
    }
    expect(changes.some((c) => c.table === 'queue_tickets' && c.id === args.id && c.op === 'U')).toBe(true);
    const last = changes[changes.length - 1]!;
    expect(await pullFrom({ xid: last.xid, seq: last.seq })).toEqual([]);
  });

  test('digests match what the SQL returns directly, and a partition holds as many rows as its digest says', async () => {
    const answer = await desk1.api('/v1/sync/digests', { tables: [{ table: 'patients', window: null }] }, reception.token);
    expect(answer.status).toBe(200);
    const [patientsDigest] = digestsResponseSchema.parse(answer.body).tables;
    const { rows } = await f.admin.query(
      `SELECT left(id::text, 1) AS partition, count(*)::int AS count, coalesce(sum(sync_seq), 0)::text AS sum,
              coalesce(sum((sync_seq % 1000003) * (sync_seq % 999983)), 0)::text AS mix
         FROM clinic.patients WHERE clinic_id = $1 GROUP BY 1 ORDER BY 1`,
      [reception.clinic.id],
    );
    expect(patientsDigest).toEqual({ table: 'patients', partitions: rows });
    const first = rows[0] as { partition: string; count: number };
    const partition = await desk1.api('/v1/sync/partition',
      { table: 'patients', window: null, columns: ['id', 'sync_seq'], partition: first.partition }, reception.token);
    expect(rowsResponseSchema.parse(partition.body).rows).toHaveLength(first.count);
  });
});
