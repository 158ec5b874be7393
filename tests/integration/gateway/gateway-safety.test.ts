import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorBodySchema, pushResponseSchema, signInResponseSchema, type SignInResponse } from '../../../src/shared/central-contract';
import { api, enrolStation, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture, type StationClient } from '../../support/gateway';

// What the gateway refuses, and what its database role cannot do even on the gateway's own connections.

let f: GatewayFixture;
let desk: StationClient;
let reception: SignInResponse;
let patients: string[];
let seq = 0;

const ticket = () => ticketArgs(reception.station.desk_letter!, ++seq, patients[seq]!);
const ticketCount = async () => (await f.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM clinic.queue_tickets')).rows[0]!.n;

beforeAll(async () => {
  f = await startGatewayFixture();
  desk = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-SAFETY-1' });
  const answer = await desk.api('/v1/session/sign-in', { username: 'reception', password: 'demo1234' });
  reception = signInResponseSchema.parse(answer.body);
  patients = await patientIds(f.admin, 'GFC-BDK', 100);
});

afterAll(async () => {
  await f?.close();
});

describe('bad requests get 400 naming the field and write nothing', () => {
  test('a missing field', async () => {
    const answer = await desk.api('/v1/session/sign-in', { username: 'reception' });
    expect(answer.status).toBe(400);
    expect(errorBodySchema.parse(answer.body)).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^password: /) });
  });

  test('a wrong type, inside one entry of a push batch: no entry of the batch commits', async () => {
    const before = await ticketCount();
    const good = { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token };
    const answer = await desk.api('/v1/push', { entries: [good, { ...good, requestKey: 42 }] });
    expect(answer.status).toBe(400);
    expect(errorBodySchema.parse(answer.body).message).toMatch(/^entries\.1\.requestKey: /);
    expect(await ticketCount()).toBe(before);
  });

  test('an oversized field, and a body over the limit', async () => {
    const long = await desk.api('/v1/session/sign-in', { username: 'x'.repeat(5000), password: 'demo1234' });
    expect(long.status).toBe(400);
    expect(errorBodySchema.parse(long.body).message).toMatch(/^username: /);
    const before = await ticketCount();
    const huge = { procedure: 'issue_ticket', requestKey: randomUUID(), args: { ...ticket(), note: 'x'.repeat(2 * 1024 * 1024) } };
    const big = await desk.api('/v1/call', huge, reception.token);
    expect(big.status).toBe(413);
    expect(errorBodySchema.parse(big.body)).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: expect.stringMatching(/^body: /) });
    expect(await ticketCount()).toBe(before);
  });

  test('a body that is not JSON', async () => {
    const answer = await desk.api('/v1/session/sign-in', undefined, undefined, { raw: '{"username": ' });
    expect(answer.status).toBe(400);
    expect(errorBodySchema.parse(answer.body).message).toMatch(/^body: /);
  });

  test('an unknown procedure is refused before the database', async () => {
    const answer = await desk.api('/v1/call', { procedure: 'erase_patient', requestKey: randomUUID(), args: {} }, reception.token);
    expect(answer.status).toBe(400);
    expect(errorBodySchema.parse(answer.body).message).toMatch(/^procedure: /);
  });

  test('a table name that is not a plain identifier never reaches SQL', async () => {
    const answer = await desk.api('/v1/sync/digests', { tables: [{ table: 'patients"; DROP TABLE x; --', window: null }] }, reception.token);
    expect(answer.status).toBe(400);
    expect(errorBodySchema.parse(answer.body).message).toMatch(/^tables\.0\.table: /);
  });
});

test('an unreachable database is a transient 503 with a plain message, the cause only in the log', async () => {
  const down = await f.start({ databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none', connectTimeoutMs: 500 });
  const answer = await api(null, down.url, '/v1/protocol');
  expect(answer.status).toBe(503);
  const body = errorBodySchema.parse(answer.body);
  expect(body).toMatchObject({ code: 'UNAVAILABLE', kind: 'transient' });
  expect(body.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  expect(f.logs.find((line) => line.includes(body.correlationId))).toMatch(/ECONNREFUSED/);
});

test('connections the database ends are dropped from the pool, and the gateway keeps serving', async () => {
  const applicationName = `gw-kill-${randomBytes(4).toString('hex')}`;
  const gw = await f.start({ poolSize: 2, applicationName });
  expect((await api(null, gw.url, '/v1/protocol')).status).toBe(200);
  const { rows } = await f.admin.query<{ n: number }>(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName],
  );
  expect(rows[0]!.n).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await api(null, gw.url, '/v1/protocol')).status).toBe(200);
});

describe('sessions', () => {
  test('no token, and a forged token, are 401', async () => {
    const body = { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket() };
    const none = await desk.api('/v1/call', body);
    expect(none.status).toBe(401);
    expect(errorBodySchema.parse(none.body)).toMatchObject({ code: 'NO_SESSION', kind: 'unauthenticated' });
    const forged = await desk.api('/v1/call', body, randomBytes(32).toString('hex'));
    expect(forged.status).toBe(401);
    expect(errorBodySchema.parse(forged.body)).toMatchObject({ code: 'GC401', kind: 'unauthenticated' });
    const reads = await desk.api('/v1/sync/digests', { tables: [{ table: 'patients', window: null }] }, randomBytes(32).toString('hex'));
    expect(reads.status).toBe(401);
  });

  test('a push entry under a forged session is refused as unauthenticated and the rest wait, in order', async () => {
    const entries = [
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: randomBytes(32).toString('hex') },
      { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token },
    ];
    const { answers } = pushResponseSchema.parse((await desk.api('/v1/push', { entries })).body);
    expect(answers.map((a) => (a.ok ? 'ok' : `${a.error.kind}:${a.error.code}`))).toEqual(['unauthenticated:GC401', 'transient:NOT_ATTEMPTED']);
  });
});

describe("the gateway's database role", () => {
  test('is not a superuser, cannot SET ROLE to the owner, cannot read nric_enc (on its own pool)', async () => {
    const client = await f.gateway.pool.connect();
    try {
      const { rows } = await client.query('SELECT current_user AS me, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user');
      expect(rows).toEqual([{ me: f.role, rolsuper: false, rolbypassrls: false }]);
      await expect(client.query('SET ROLE clinic_owner')).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('SET ROLE NONE; SELECT nric_enc FROM clinic.patients LIMIT 1')).rejects.toMatchObject({ code: '42501' });
    } finally {
      client.release();
    }
  });

  test("RLS binds it: a clinic's session reads none of the other clinic's patients", async () => {
    const client = await f.gateway.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.session_token', $1, true)", [reception.token]);
      const { rows } = await client.query<{ mine: number; theirs: number }>(
        `SELECT count(*) FILTER (WHERE c.code = 'GFC-BDK')::int AS mine, count(*) FILTER (WHERE c.code = 'GFC-TPY')::int AS theirs
           FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id`,
      );
      expect(rows[0]!.mine).toBeGreaterThan(0);
      expect(rows[0]!.theirs).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  test('a column the role may not read is refused without the database message, logged under the correlation id', async () => {
    const answer = await desk.api('/v1/sync/partition', { table: 'patients', window: null, columns: ['id', 'nric_enc'], partition: '0' }, reception.token);
    expect(answer.status).toBe(403);
    const body = errorBodySchema.parse(answer.body);
    expect(body.code).toBe('FORBIDDEN');
    expect(body.message).not.toMatch(/permission|nric_enc|patients/);
    expect(f.logs.find((line) => line.includes(body.correlationId))).toMatch(/42501 permission denied/);
  });

  test("a session never outlives its transaction on a pooled connection: the next caller runs without it", async () => {
    const single = await f.start({ poolSize: 1 });
    const call = { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket() };
    expect((await api(desk.key, single.url, '/v1/call', call, reception.token)).status).toBe(200);
    const { rows } = await single.gateway.pool.query<{ token: string | null }>("SELECT current_setting('app.session_token', true) AS token");
    expect(rows[0]!.token ?? '').toBe('');
    const anonymous = await single.gateway.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM clinic.patients');
    expect(anonymous.rows[0]!.n).toBe(0);
  });

  test('30 concurrent pushes never hold more connections than the pool size', async () => {
    const applicationName = `gw-pool-${randomBytes(4).toString('hex')}`;
    const small = await f.start({ poolSize: 3, applicationName });
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await f.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        most = Math.max(most, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const pushes = await Promise.all(
      Array.from({ length: 30 }, () =>
        api(desk.key, small.url, '/v1/push', { entries: [{ procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(), sessionToken: reception.token }] }),
      ),
    );
    sampling = false;
    await sampler;
    expect(pushes.map((p) => pushResponseSchema.parse(p.body).answers[0]!.ok)).toEqual(Array(30).fill(true));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
  });
});
