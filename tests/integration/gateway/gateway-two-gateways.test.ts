import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  callResponseSchema,
  initialPlanResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  signInResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import { api, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture } from '../../support/gateway';

// The gateway is stateless (DESIGN §1): two of them on one database serve the same station, as behind a load
// balancer that sends each request wherever it likes.

let f: GatewayFixture;
let a: string;
let b: string;
let reception: SignInResponse;
let patients: string[];
let seq = 0;

const ticket = () => ticketArgs(reception.station.desk_letter!, ++seq, patients[seq]!);

beforeAll(async () => {
  f = await startGatewayFixture();
  a = f.url;
  b = (await f.start()).url;
  const answer = await api(a, '/v1/session/sign-in', {
    clinicCode: 'GFC-BDK', username: 'reception', password: 'demo1234', stationCode: 'GW-TWO-1', stationRole: 'reception',
  });
  reception = signInResponseSchema.parse(answer.body);
  patients = await patientIds(f.admin, 'GFC-BDK', 50);
});

afterAll(async () => {
  await f?.close();
});

test('a session signed in through A calls and pulls through B', async () => {
  const plan = initialPlanResponseSchema.parse(
    (await api(b, '/v1/sync/initial/plan', { tables: [{ table: 'queue_tickets', window: null }] }, reception.token)).body,
  );
  const args = ticket();
  const call = await api(b, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, reception.token);
  expect(call.status).toBe(200);
  callResponseSchema.parse(call.body);
  // The feed releases a change once no older transaction is open on the cluster; other files run beside this one.
  let changes: { id: string }[] = [];
  for (let tries = 0; tries < 100 && !changes.some((c) => c.id === args.id); tries += 1) {
    if (tries) await new Promise((resolve) => setTimeout(resolve, 50));
    const pulled = await api(b, '/v1/sync/pull', { cursor: { xid: plan.horizon, seq: '0' }, tables: ['queue_tickets'], limit: 1000 }, reception.token);
    expect(pulled.status).toBe(200);
    changes = pullResponseSchema.parse(pulled.body).changes;
  }
  expect(changes.map((c) => c.id)).toContain(args.id);
});

test('a push sent to A and replayed to B with the same request keys applies once, and B answers what A did', async () => {
  const entries = [ticket(), ticket()].map((args) => ({ procedure: 'issue_ticket', requestKey: randomUUID(), args, sessionToken: reception.token }));
  const first = pushResponseSchema.parse((await api(a, '/v1/push', { entries })).body);
  const replay = pushResponseSchema.parse((await api(b, '/v1/push', { entries })).body);
  expect(first.answers.every((answer) => answer.ok)).toBe(true);
  expect(replay).toEqual(first);
  const { rows } = await f.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM clinic.queue_tickets WHERE id = ANY($1)', [
    entries.map((e) => e.args.id),
  ]);
  expect(rows[0]!.n).toBe(2);
});

test('the same push sent to both at once still applies once', async () => {
  const entries = [{ procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token }];
  const answers = await Promise.all([a, b, a, b].map(async (base) => pushResponseSchema.parse((await api(base, '/v1/push', { entries })).body)));
  expect(answers.every((answer) => answer.answers[0]!.ok)).toBe(true);
  expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toHaveProperty('size', 1);
  const { rows } = await f.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM clinic.queue_tickets WHERE id = $1', [entries[0]!.args.id]);
  expect(rows[0]!.n).toBe(1);
});
