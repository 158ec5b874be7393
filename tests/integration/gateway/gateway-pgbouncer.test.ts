import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import {
  initialPlanResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  rowsResponseSchema,
  signInResponseSchema,
  type SignInResponse,
} from '../../../src/shared/central-contract';
import { api, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture } from '../../support/gateway';
import { pgbouncerInstalled, startPgBouncer, type PgBouncer } from '../../support/pgbouncer';

// The gateway through PgBouncer in transaction pool mode: a server connection serves one gateway transaction, then
// whichever comes next, so the session context (set_config(…, true)) must die with each transaction.

let f: GatewayFixture;
let bouncer: PgBouncer;
let url: string;
let applicationName: string;
const clinics: Record<'BDK' | 'TPY', { session: SignInResponse; patients: string[]; seq: number }> = {} as never;

async function signIn(clinicCode: string, stationCode: string): Promise<SignInResponse> {
  const answer = await api(url, '/v1/session/sign-in', { clinicCode, username: 'reception', password: 'demo1234', stationCode, stationRole: 'reception' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return signInResponseSchema.parse(answer.body);
}

const ticket = (clinic: 'BDK' | 'TPY') => {
  const c = clinics[clinic];
  c.seq += 1;
  return ticketArgs(c.session.station.desk_letter!, c.seq, c.patients[c.seq]!);
};

describe.skipIf(!pgbouncerInstalled() && process.env.CI !== 'true')('the gateway through PgBouncer (transaction mode)', () => {
  beforeAll(async () => {
    f = await startGatewayFixture();
    const role = new URL(f.roleUrl);
    const server = inject('pg');
    bouncer = await startPgBouncer({
      upstream: { host: server.host, port: server.port },
      users: [{ name: role.username, password: decodeURIComponent(role.password) }],
      poolSize: 2,
    });
    applicationName = `gw-bouncer-${randomBytes(4).toString('hex')}`;
    // More gateway connections than PgBouncer has server connections: they must take turns on the same two.
    url = (await f.start({ databaseUrl: bouncer.through(f.roleUrl), poolSize: 12, applicationName })).url;
    clinics.BDK = { session: await signIn('GFC-BDK', 'GW-BOUNCER-BDK'), patients: await patientIds(f.admin, 'GFC-BDK', 100), seq: 0 };
    clinics.TPY = { session: await signIn('GFC-TPY', 'GW-BOUNCER-TPY'), patients: await patientIds(f.admin, 'GFC-TPY', 100), seq: 0 };
  });

  afterAll(async () => {
    await f?.close();
    await bouncer?.stop();
  });

  test('calls and pushes go through and run as their own session', async () => {
    const args = ticket('BDK');
    const call = await api(url, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, clinics.BDK.session.token);
    expect(call.status, bouncer.output()).toBe(200);
    const entries = (['TPY', 'BDK'] as const).map((clinic) => ({
      procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket(clinic), sessionToken: clinics[clinic].session.token,
    }));
    const { answers } = pushResponseSchema.parse((await api(url, '/v1/push', { entries })).body);
    expect(answers.map((a) => a.ok)).toEqual([true, true]);
    const { rows } = await f.admin.query<{ id: string; station: string }>(
      'SELECT id, issued_by_station_id AS station FROM clinic.queue_tickets WHERE id = ANY($1)', [[args.id, ...entries.map((e) => e.args.id)]],
    );
    const byId = new Map(rows.map((r) => [r.id, r.station]));
    expect([args.id, ...entries.map((e) => e.args.id)].map((id) => byId.get(String(id)))).toEqual([
      clinics.BDK.session.station.id, clinics.TPY.session.station.id, clinics.BDK.session.station.id,
    ]);
  });

  test('the initial load and a pull read the session clinic', async () => {
    const plan = initialPlanResponseSchema.parse(
      (await api(url, '/v1/sync/initial/plan', { tables: [{ table: 'patients', window: null }, { table: 'queue_tickets', window: null }] }, clinics.TPY.session.token)).body,
    );
    const total = plan.tables.find((t) => t.table === 'patients')!.total;
    const page = await api(url, '/v1/sync/initial/page',
      { table: 'patients', window: null, columns: ['clinic_id', 'id'], afterId: null, limit: 10_000 }, clinics.TPY.session.token);
    const rows = rowsResponseSchema.parse(page.body).rows;
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.clinic_id))).toEqual(new Set([clinics.TPY.session.clinic.id]));

    const args = ticket('TPY');
    expect((await api(url, '/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, clinics.TPY.session.token)).status).toBe(200);
    let changes: { id: string }[] = [];
    for (let tries = 0; tries < 100 && !changes.some((c) => c.id === args.id); tries += 1) {
      if (tries) await new Promise((resolve) => setTimeout(resolve, 50));
      const pulled = await api(url, '/v1/sync/pull', { cursor: { xid: plan.horizon, seq: '0' }, tables: ['queue_tickets'], limit: 1000 }, clinics.TPY.session.token);
      changes = pullResponseSchema.parse(pulled.body).changes;
    }
    expect(changes.map((c) => c.id)).toContain(args.id);
  });

  test("50 concurrent requests from each of two clinics' sessions are each answered with their own clinic's data", async () => {
    const order = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'BDK' : 'TPY') as 'BDK' | 'TPY');
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await f.admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND backend_type = 'client backend'", [f.role]);
        most = Math.max(most, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const answers = await Promise.all(
      order.map(async (clinic) => {
        const page = await api(url, '/v1/sync/initial/page',
          { table: 'patients', window: null, columns: ['clinic_id', 'id'], afterId: null, limit: 25 }, clinics[clinic].session.token);
        expect(page.status).toBe(200);
        return { clinic, seen: new Set(rowsResponseSchema.parse(page.body).rows.map((r) => r.clinic_id)) };
      }),
    );
    sampling = false;
    await sampler;
    for (const { clinic, seen } of answers) expect(seen).toEqual(new Set([clinics[clinic].session.clinic.id]));
    // The 12 gateway connections shared PgBouncer's 2 server connections, which is what made a leak possible.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  });

  test('after a session used a server connection, a query outside any session reads nothing through it', async () => {
    const { rows } = await (await f.start({ databaseUrl: bouncer.through(f.roleUrl), poolSize: 1 })).gateway.pool.query<{ n: number; token: string | null }>(
      "SELECT count(*)::int AS n, current_setting('app.session_token', true) AS token FROM clinic.patients",
    );
    expect(rows[0]!.n).toBe(0);
    expect(rows[0]!.token ?? '').toBe('');
  });
});
