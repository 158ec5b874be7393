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
  signInResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import { api, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture } from '../../support/gateway';

// The central contract over real HTTP, through a gateway connected as a clinic_station login role. Every answer is
// parsed with the contract's response schema, as a station will.

let f: GatewayFixture;
let reception: SignInResponse;
let admin: SignInResponse;
let patients: string[];
let seq = 0;

async function signIn(username: string, stationCode: string, stationRole: 'reception' | 'consult' | 'display', clinicCode = 'GFC-BDK') {
  const answer = await api(f.url, '/v1/session/sign-in', { clinicCode, username, password: 'demo1234', stationCode, stationRole });
  expect(answer.status).toBe(200);
  return signInResponseSchema.parse(answer.body);
}

/** A ticket at `desk`'s own letter; `seq` is shared, so numbers and patients never repeat. */
const ticket = (desk: SignInResponse = reception) => ticketArgs(desk.station.desk_letter!, ++seq, patients[seq]!);

beforeAll(async () => {
  f = await startGatewayFixture();
  reception = await signIn('reception', 'GW-RECEPTION-1', 'reception');
  admin = await signIn('admin', 'GW-RECEPTION-2', 'reception');
  patients = await patientIds(f.admin, 'GFC-BDK', 200);
});

afterAll(async () => {
  await f?.close();
});

describe('protocol and session', () => {
  test('the handshake answers the centre protocol', async () => {
    const answer = await api(f.url, '/v1/protocol');
    expect(answer.status).toBe(200);
    expect(protocolResponseSchema.parse(answer.body).protocol).toBeGreaterThanOrEqual(1);
  });

  test('sign-in returns a session; a wrong password is refused plainly', async () => {
    expect(reception.token).toMatch(/^[0-9a-f]{64}$/);
    expect(reception.clinic.code).toBe('GFC-BDK');
    const wrong = await api(f.url, '/v1/session/sign-in', {
      clinicCode: 'GFC-BDK', username: 'reception', password: 'nope', stationCode: 'GW-RECEPTION-1', stationRole: 'reception',
    });
    expect(wrong.status).toBe(401);
    expect(errorBodySchema.parse(wrong.body)).toMatchObject({ code: 'GC401', message: 'Invalid username or password.', kind: 'unauthenticated' });
  });

  test('sign-out checks the session and says it was not revoked at the centre (no procedure does that yet)', async () => {
    const session = await signIn('nurse', 'GW-RECEPTION-3', 'reception');
    const answer = await api(f.url, '/v1/session/sign-out', {}, session.token);
    expect(answer).toEqual({ status: 200, body: { revokedAtCentre: false } });
  });
});

describe('procedures under the session', () => {
  test('a call with the token runs as that person; the same request key replayed returns the first answer', async () => {
    const requestKey = randomUUID();
    const args = ticket();
    const first = await api(f.url, '/v1/call', { procedure: 'issue_ticket', requestKey, args }, reception.token);
    expect(first.status).toBe(200);
    const again = await api(f.url, '/v1/call', { procedure: 'issue_ticket', requestKey, args }, reception.token);
    expect(callResponseSchema.parse(again.body)).toEqual(callResponseSchema.parse(first.body));
    const { rows } = await f.admin.query('SELECT issued_by_station_id FROM clinic.queue_tickets WHERE id = $1', [args.id]);
    expect(rows).toEqual([{ issued_by_station_id: reception.station.id }]);
  });

  test("another clinic's session cannot touch this clinic's patient: the centre answers as if it did not exist", async () => {
    const other = await signIn('reception', 'GW-TPY-RECEPTION-1', 'reception', 'GFC-TPY');
    const args = ticketArgs(other.station.desk_letter!, 1, patients[0]!);
    const answer = await api(f.url, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, other.token);
    expect(answer.status).toBe(404);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'GC404', message: 'That patient is not registered at this clinic.' });
    const page = await api(f.url, '/v1/sync/initial/page',
      { table: 'patients', window: null, columns: ['id'], afterId: null, limit: 10_000 }, other.token);
    expect(rowsResponseSchema.parse(page.body).rows.map((r) => r.id)).not.toContain(patients[0]);
  });

  test('a receptionist cannot call a doctor-only procedure (the SQL refuses, the refusal passes through)', async () => {
    const answer = await api(f.url, '/v1/call', { procedure: 'call_next', requestKey: randomUUID(), args: {} }, reception.token);
    expect(answer.status).toBe(403);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'GC403', message: 'Only a doctor can do this.', kind: 'permanent' });
  });

  test('a push batch answers each entry on its own: the refused one does not stop the others committing', async () => {
    const entries = [
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token },
      // Only a clinic manager may change a setting: permanent refusal.
      { procedure: 'set_setting', requestKey: randomUUID(), args: { key: 'queue.languages', value: ['en'] }, sessionToken: reception.token },
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(admin), sessionToken: admin.token },
    ];
    const answer = await api(f.url, '/v1/push', { entries });
    expect(answer.status).toBe(200);
    const { answers } = pushResponseSchema.parse(answer.body);
    expect(answers.map((a) => [a.requestKey, a.ok])).toEqual(entries.map((e, i) => [e.requestKey, i !== 1]));
    expect(answers[1]).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'GC403' } });
    const { rows } = await f.admin.query<{ station: string }>('SELECT issued_by_station_id AS station FROM clinic.queue_tickets WHERE id = ANY($1) ORDER BY desk_seq', [
      [entries[0]!.args.id, entries[2]!.args.id],
    ]);
    // Each entry ran under its own session: the second ticket is the admin's, from the admin's desk.
    expect(rows.map((r) => r.station)).toEqual([reception.station.id, admin.station.id]);
  });
});

describe('sync reads', () => {
  test('the initial plan counts only the session clinic, and pages read its rows', async () => {
    const plan = await api(f.url, '/v1/sync/initial/plan', { tables: [{ table: 'patients', window: null }] }, reception.token);
    expect(plan.status).toBe(200);
    const { tables } = initialPlanResponseSchema.parse(plan.body);
    const { rows } = await f.admin.query<{ n: number; all: number }>(
      `SELECT count(*) FILTER (WHERE clinic_id = $1)::int AS n, count(*)::int AS all FROM clinic.patients`, [reception.clinic.id],
    );
    expect(tables).toEqual([{ table: 'patients', total: rows[0]!.n }]);
    expect(rows[0]!.all).toBeGreaterThan(rows[0]!.n);
    const page = await api(f.url, '/v1/sync/initial/page',
      { table: 'patients', window: null, columns: ['clinic_id', 'id', 'full_name'], afterId: null, limit: 50 }, reception.token);
    const parsed = rowsResponseSchema.parse(page.body).rows;
    expect(parsed).toHaveLength(50);
    expect(new Set(parsed.map((r) => r.clinic_id))).toEqual(new Set([reception.clinic.id]));
  });

  test('a pull from a cursor returns the changes committed after it', async () => {
    const plan = initialPlanResponseSchema.parse(
      (await api(f.url, '/v1/sync/initial/plan', { tables: [{ table: 'queue_tickets', window: null }] }, reception.token)).body,
    );
    const args = ticket();
    expect((await api(f.url, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, reception.token)).status).toBe(200);
    // The feed hands out a change once no older transaction is still open anywhere on the cluster (the snapshot
    // horizon), and other test files run transactions beside this one: the change may take a moment to appear.
    const pullFrom = async (cursor: { xid: string; seq: string }) => {
      const pulled = await api(f.url, '/v1/sync/pull', { cursor, tables: ['queue_tickets'], limit: 1000 }, reception.token);
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
    const answer = await api(f.url, '/v1/sync/digests', { tables: [{ table: 'patients', window: null }] }, reception.token);
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
    const partition = await api(f.url, '/v1/sync/partition',
      { table: 'patients', window: null, columns: ['id', 'sync_seq'], partition: first.partition }, reception.token);
    expect(rowsResponseSchema.parse(partition.body).rows).toHaveLength(first.count);
  });
});
