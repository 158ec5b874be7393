import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway/gateway';
import {
  ENROLLING_STATION,
  enrolResponseSchema,
  liveMessageSchema,
  type EnrolResponse,
  type LiveMessage,
  type StationRole,
} from '../../src/shared/central-contract';
import { clinicDay } from '../../src/shared/clinic-day';
import { generateStationKeyPair, signRequest, stationKeyFromPem, type StationKey } from '../../src/sync/station-key';
import { createTestDatabase, type TestDatabase } from './db';

/*
 * A gateway over real HTTP on 127.0.0.1, connected to a cloned demo database as a login role that is only a member
 * of clinic_gateway (and through it of clinic_station) — what a real centre runs (docs/gateway.md) — with a random
 * password on the test cluster. Stations are enrolled as a real PC is, and sign every request.
 */

/** A login role that is only a member of clinic_gateway (and through it of clinic_station). */
export interface GatewayLogin {
  role: string;
  /** In the clear: PgBouncer's auth file needs it. */
  password: string;
  /** The test database's URL as this role. */
  url: string;
}

export interface GatewayFixture {
  db: TestDatabase;
  admin: pg.Client;
  /** The gateway's login role and its URL. */
  role: string;
  roleUrl: string;
  gateway: Gateway;
  url: string;
  logs: string[];
  /** Another gateway on the same database (other options); closed with the fixture. */
  start(options?: Partial<GatewayOptions>): Promise<{ gateway: Gateway; url: string }>;
  /**
   * Another login role like `role`, dropped at close(): one only the test's own gateway uses, so that what
   * pg_stat_activity shows under its name is that gateway's alone.
   */
  loginRole(): Promise<GatewayLogin>;
  close(): Promise<void>;
}

export async function startGatewayFixture(): Promise<GatewayFixture> {
  const db = await createTestDatabase({ template: 'demo' });
  const admin = new pg.Client(db.url);
  await admin.connect();
  const roles: string[] = [];
  const loginRole = async (): Promise<GatewayLogin> => {
    const role = `gw_${randomBytes(6).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE clinic_gateway`);
    roles.push(role);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    return { role, password, url: url.toString() };
  };
  const login = await loginRole();
  const logs: string[] = [];
  const started: Gateway[] = [];
  const start = async (options: Partial<GatewayOptions> = {}) => {
    const gateway = createGateway({ databaseUrl: login.url, log: (line) => logs.push(line), ...options });
    started.push(gateway);
    const { url } = await gateway.listen(0);
    return { gateway, url };
  };
  const first = await start();
  return {
    db,
    admin,
    role: login.role,
    roleUrl: login.url,
    gateway: first.gateway,
    url: first.url,
    logs,
    start,
    loginRole,
    async close() {
      await Promise.all(started.map((g) => g.close()));
      for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.end();
      await db.drop();
    },
  };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface RequestOptions {
  /** Sent instead of the JSON of `body` (for malformed bodies); what is signed unless `signedBody` says otherwise. */
  raw?: string;
  /** The bytes the signature covers, when a test sends other bytes than it signed. */
  signedBody?: string;
  /** The station's clock. */
  now?: () => number;
  /** Headers sent as they are, after (and over) the signature's. */
  headers?: Record<string, string>;
}

/**
 * One request as a station makes it: JSON body, the session in `Authorization: Bearer`, signed with `key` (no
 * signature when `key` is null).
 */
export async function api<T = Record<string, unknown>>(
  key: StationKey | null,
  base: string,
  path: string,
  body?: unknown,
  token?: string,
  options: RequestOptions = {},
): Promise<Answer<T>> {
  const sent = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const method = sent === undefined ? 'GET' : 'POST';
  const headers: Record<string, string> = {};
  if (sent !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) Object.assign(headers, signRequest(key, method, path, options.signedBody ?? sent ?? '', options.now));
  Object.assign(headers, options.headers);
  const response = await fetch(`${base}${path}`, { method, headers, body: sent });
  return { status: response.status, body: (await response.json()) as T };
}

/** An enrolled station: its key, what the centre answered at enrolment, and requests signed with its key. */
export interface StationClient extends EnrolResponse {
  key: StationKey;
  api<T = Record<string, unknown>>(path: string, body?: unknown, token?: string, options?: RequestOptions): Promise<Answer<T>>;
}

/**
 * Enrols a station as a new PC does: the operator's one-time code (clinic.create_enrolment_code, as the owner),
 * then POST /v1/enrol with a fresh key pair, signed by the new key.
 */
export async function enrolStation(
  f: Pick<GatewayFixture, 'admin' | 'url'>,
  options: { clinic: string; role: StationRole; code: string; room?: string; url?: string },
): Promise<StationClient> {
  const enrolmentCode = randomBytes(12).toString('hex');
  await f.admin.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', [options.clinic, options.role, options.code, enrolmentCode, options.room ?? null]);
  const pair = generateStationKeyPair();
  const url = options.url ?? f.url;
  const answer = await api(stationKeyFromPem(ENROLLING_STATION, pair.privateKeyPem), url, '/v1/enrol', { code: enrolmentCode, publicKey: pair.publicKeyPem });
  if (answer.status !== 200) throw new Error(`enrolment of ${options.code} failed: ${JSON.stringify(answer.body)}`);
  const enrolled = enrolResponseSchema.parse(answer.body);
  const key = stationKeyFromPem(enrolled.station.id, pair.privateKeyPem);
  return { ...enrolled, key, api: (path, body, token, requestOptions) => api(key, url, path, body, token, requestOptions) };
}

/** issue_ticket arguments for `patientId` at desk `letter`, number `seq` today. */
export function ticketArgs(letter: string, seq: number, patientId: string): Record<string, unknown> {
  return {
    id: randomUUID(),
    service_date: clinicDay(new Date()),
    ticket_number: `${letter}${String(seq).padStart(3, '0')}`,
    desk_letter: letter,
    desk_seq: seq,
    patient_id: patientId,
    urgent: false,
    issued_at: new Date().toISOString(),
  };
}

/** Patients of a clinic, for tickets (one ticket per patient per day). */
export async function patientIds(admin: pg.Client, clinicCode: string, limit: number): Promise<string[]> {
  const { rows } = await admin.query<{ id: string }>(
    `SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id WHERE c.code = $1 ORDER BY p.id LIMIT $2`,
    [clinicCode, limit],
  );
  return rows.map((r) => r.id);
}

/** A live channel (GET /v1/live) as a station opens it, and every message it has received so far. */
export interface LiveSocket {
  socket: WebSocket;
  messages: LiveMessage[];
  /** Resolves with the close code. */
  closed: Promise<number>;
}

/** Opens the live channel on `base` for `tables`, signed with `key`; resolves once the gateway says it is ready. */
export async function openLive(key: StationKey, base: string, token: string, tables: string[]): Promise<LiveSocket> {
  const path = `/v1/live?tables=${tables.join(',')}`;
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...signRequest(key, 'GET', path, '') },
  });
  const messages: LiveMessage[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = liveMessageSchema.parse(JSON.parse(data.toString()));
      messages.push(message);
      if (message.type === 'ready') resolve();
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => reject(new Error(`live channel refused: HTTP ${response.statusCode} ${body}`)));
    });
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`live channel closed (${code}) before it was ready`)));
  });
  return { socket, messages, closed };
}

/** The ids of `table`'s rows that `live` has received changes of. */
export function liveIds(live: LiveSocket, table: string): Set<string> {
  const ids = new Set<string>();
  for (const message of live.messages) if (message.type === 'changes') for (const c of message.changes) if (c.table === table) ids.add(c.id);
  return ids;
}

/**
 * Calls `probe` until it stops throwing, each call awaited to its end (unlike vi.waitFor, which gives up on a call
 * still running at its deadline and so can leave a request open while the test's gateways close); after
 * `timeoutMs` the last failure is thrown.
 */
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Promise.all that waits for every promise before throwing the first failure: after a failed test none of them is
 * still talking to a gateway, which would hold that gateway's close() open for its keep-alive timeout.
 */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}
