import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENROLLING_STATION, errorBodySchema, signInResponseSchema, type SignInResponse } from '../../../src/shared/central-contract';
import { SIGNATURE_MAX_SKEW_MS, STATION_AUTH_HEADERS } from '../../../src/shared/station-auth';
import { generateStationKeyPair, signRequest, stationKeyFromPem } from '../../../src/sync/station-key';
import { api, enrolStation, patientIds, startGatewayFixture, ticketArgs, type GatewayFixture, type StationClient } from '../../support/gateway';

// Station signatures at the gateway (issue 9 part 2): who may knock, and how a forged, altered, replayed, late or
// revoked request is told apart from a good one — each refused before any procedure runs.

let f: GatewayFixture;
let desk: StationClient;
let reception: SignInResponse;
let patients: string[];
let seq = 0;

const ticket = () => ticketArgs(reception.station.desk_letter!, ++seq, patients[seq]!);
const digests = { tables: [{ table: 'patients', window: null }] };
const refusal = (answer: { status: number; body: unknown }) => ({ status: answer.status, ...errorBodySchema.parse(answer.body) });

async function signIn(station: StationClient, username = 'reception'): Promise<SignInResponse> {
  const answer = await station.api('/v1/session/sign-in', { username, password: 'demo1234' });
  expect(answer.status).toBe(200);
  return signInResponseSchema.parse(answer.body);
}

beforeAll(async () => {
  f = await startGatewayFixture();
  await f.gateway.listener.ready();
  desk = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-AUTH-1' });
  reception = await signIn(desk);
  patients = await patientIds(f.admin, 'GFC-BDK', 100);
});

afterAll(async () => {
  await f?.close();
});

describe('signatures', () => {
  test('the protocol check needs none; everything else refuses an unsigned request', async () => {
    expect((await api(null, f.url, '/v1/protocol')).status).toBe(200);
    const unsigned = await api(null, f.url, '/v1/sync/digests', digests, reception.token);
    expect(refusal(unsigned)).toMatchObject({ status: 401, code: 'STATION_UNSIGNED', kind: 'unauthenticated' });
    const signIn = await api(null, f.url, '/v1/session/sign-in', { username: 'reception', password: 'demo1234' });
    expect(refusal(signIn)).toMatchObject({ status: 401, code: 'STATION_UNSIGNED' });
  });

  test("a signature by another key under this station's id is refused", async () => {
    const impostor = stationKeyFromPem(desk.station.id, generateStationKeyPair().privateKeyPem);
    const forged = await api(impostor, f.url, '/v1/sync/digests', digests, reception.token);
    expect(refusal(forged)).toMatchObject({ status: 401, code: 'STATION_SIGNATURE_INVALID' });
  });

  test('a body changed after signing is refused, and nothing is written', async () => {
    const args = ticket();
    const signed = JSON.stringify({ procedure: 'issue_ticket', requestKey: randomUUID(), args });
    const tampered = await desk.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args }, reception.token, { signedBody: signed });
    expect(refusal(tampered)).toMatchObject({ status: 401, code: 'STATION_SIGNATURE_INVALID' });
    expect((await f.admin.query('SELECT 1 FROM clinic.queue_tickets WHERE id = $1', [args.id])).rowCount).toBe(0);
  });

  test('the same signed request sent twice is refused the second time', async () => {
    const body = JSON.stringify(digests);
    const headers = signRequest(desk.key, 'POST', '/v1/sync/digests', body);
    const send = () => api(null, f.url, '/v1/sync/digests', undefined, reception.token, { raw: body, headers });
    expect((await send()).status).toBe(200);
    expect(refusal(await send())).toMatchObject({ status: 401, code: 'STATION_REPLAYED' });
  });

  test("a PC whose clock is off by more than a minute is told by how much", async () => {
    const late = await desk.api('/v1/sync/digests', digests, reception.token, { now: () => Date.now() - SIGNATURE_MAX_SKEW_MS - 95_000 });
    const body = refusal(late);
    expect(body).toMatchObject({ status: 401, code: 'STATION_CLOCK_SKEW', kind: 'unauthenticated' });
    expect(body.message).toMatch(/clock is 15\d seconds behind the centre's/);
  });

  test('an id that was never enrolled is unknown', async () => {
    const stranger = stationKeyFromPem(randomUUID(), generateStationKeyPair().privateKeyPem);
    expect(refusal(await api(stranger, f.url, '/v1/sync/digests', digests))).toMatchObject({ status: 401, code: 'STATION_UNKNOWN' });
    const malformed = await desk.api('/v1/sync/digests', digests, reception.token, { headers: { [STATION_AUTH_HEADERS.station]: 'not-an-id' } });
    expect(refusal(malformed)).toMatchObject({ status: 401, code: 'STATION_UNKNOWN' });
  });
});

describe('enrolment', () => {
  test('a code enrols once; the second PC presenting it is refused', async () => {
    const code = randomBytes(10).toString('hex');
    await f.admin.query(`SELECT clinic.create_enrolment_code('GFC-BDK', 'reception', 'GW-AUTH-TWICE', $1)`, [code]);
    const enrolAs = () => {
      const pair = generateStationKeyPair();
      return api(stationKeyFromPem(ENROLLING_STATION, pair.privateKeyPem), f.url, '/v1/enrol', { code, publicKey: pair.publicKeyPem });
    };
    expect((await enrolAs()).status).toBe(200);
    expect(refusal(await enrolAs())).toMatchObject({ status: 401, code: 'GC401', message: expect.stringMatching(/^This enrolment code is not valid/) });
  });

  test('the proof must be made with the key being enrolled', async () => {
    const code = randomBytes(10).toString('hex');
    await f.admin.query(`SELECT clinic.create_enrolment_code('GFC-BDK', 'reception', 'GW-AUTH-PROOF', $1)`, [code]);
    const other = stationKeyFromPem(ENROLLING_STATION, generateStationKeyPair().privateKeyPem);
    const answer = await api(other, f.url, '/v1/enrol', { code, publicKey: generateStationKeyPair().publicKeyPem });
    expect(refusal(answer)).toMatchObject({ status: 401, code: 'STATION_SIGNATURE_INVALID' });
    const { rows } = await f.admin.query(`SELECT used_at FROM clinic.enrolment_codes WHERE station_code = 'GW-AUTH-PROOF'`);
    expect(rows).toEqual([{ used_at: null }]);
  });
});

describe('station roles', () => {
  test('a display station may call no queue or patient procedure, in a call or in a push', async () => {
    const tv = await enrolStation(f, { clinic: 'GFC-BDK', role: 'display', code: 'GW-AUTH-TV' });
    const screen = await signIn(tv, 'display');
    const call = await tv.api('/v1/call', { procedure: 'issue_ticket', requestKey: randomUUID(), args: ticket() }, screen.token);
    expect(refusal(call)).toMatchObject({ status: 403, code: 'FORBIDDEN', message: 'A display station cannot do this (issue_ticket).' });
    const push = await tv.api('/v1/push', {
      entries: [
        { procedure: 'register_patient', requestKey: randomUUID(), args: {}, sessionToken: screen.token },
        { procedure: 'call_next', requestKey: randomUUID(), args: {}, sessionToken: screen.token },
      ],
    });
    expect(push.status).toBe(200);
    expect((push.body as { answers: { ok: boolean; error?: { kind: string; code: string } }[] }).answers.map((a) => [a.ok, a.error?.kind, a.error?.code])).toEqual([
      [false, 'permanent', 'FORBIDDEN'],
      [false, 'permanent', 'FORBIDDEN'],
    ]);
  });
});

describe('revocation', () => {
  test('a revoked station is refused at once, the session already open at it included, on every gateway', async () => {
    const lost = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-AUTH-LOST' });
    const session = await signIn(lost);
    const second = await f.start();
    await second.gateway.listener.ready();
    for (const url of [f.url, second.url]) {
      expect((await api(lost.key, url, '/v1/sync/digests', digests, session.token)).status).toBe(200);
    }
    await f.admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'GW-AUTH-LOST', 'Stolen from the front desk')`);
    // Even before a gateway has heard of it, the centre refuses the station's session.
    const first = refusal(await api(lost.key, second.url, '/v1/sync/digests', digests, session.token));
    expect(first.status).toBe(401);
    expect(first.message).toMatch(/revoked/);
    // And once notified (at commit, a moment later), each gateway refuses the station itself.
    for (const url of [f.url, second.url]) {
      const attempt = async () => refusal(await api(lost.key, url, '/v1/session/sign-in', { username: 'reception', password: 'demo1234' }));
      let answer = await attempt();
      for (let tries = 0; tries < 50 && answer.code !== 'STATION_REVOKED'; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answer = await attempt();
      }
      expect(answer).toMatchObject({ status: 401, code: 'STATION_REVOKED', kind: 'permanent', message: expect.stringMatching(/enrolled again/) });
    }
  });

  test('while the LISTEN connection is down nothing is cached, so a revocation is never missed', async () => {
    const pc = await enrolStation(f, { clinic: 'GFC-BDK', role: 'reception', code: 'GW-AUTH-DOWN' });
    const applicationName = `gw-listen-${randomBytes(4).toString('hex')}`;
    const gw = await f.start({ applicationName });
    await gw.gateway.listener.ready();
    expect((await api(pc.key, gw.url, '/v1/session/sign-in', { username: 'reception', password: 'demo1234' })).status).toBe(200);
    const dropped = new Promise<void>((resolve) => gw.gateway.listener.onConnectionChange((up) => !up && resolve()));
    await f.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${applicationName}-listen`]);
    await dropped;
    await f.admin.query(`SELECT clinic.operator_revoke_station('GFC-BDK', 'GW-AUTH-DOWN', 'Replaced')`);
    const answer = refusal(await api(pc.key, gw.url, '/v1/session/sign-in', { username: 'reception', password: 'demo1234' }));
    expect(answer).toMatchObject({ status: 401, code: 'STATION_REVOKED' });
  });
});
