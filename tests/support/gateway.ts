import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway/gateway';
import { ENROLLING_STATION, enrolResponseSchema, type EnrolResponse, type StationRole } from '../../src/shared/central-contract';
import { clinicDay } from '../../src/shared/clinic-day';
import { generateStationKeyPair, signRequest, stationKeyFromPem, type StationKey } from '../../src/sync/station-key';
import { createTestDatabase, type TestDatabase } from './db';

/*
 * A gateway over real HTTP on 127.0.0.1, connected to a cloned demo database as a login role that is only a member
 * of clinic_gateway (and through it of clinic_station) — what a real centre runs (docs/gateway.md) — with a random
 * password on the test cluster. Stations are enrolled as a real PC is, and sign every request.
 */

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
  close(): Promise<void>;
}

export async function startGatewayFixture(): Promise<GatewayFixture> {
  const db = await createTestDatabase({ template: 'demo' });
  const admin = new pg.Client(db.url);
  await admin.connect();
  const role = `gw_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE clinic_gateway`);
  const roleUrl = new URL(db.url);
  roleUrl.username = role;
  roleUrl.password = password;
  const logs: string[] = [];
  const started: Gateway[] = [];
  const start = async (options: Partial<GatewayOptions> = {}) => {
    const gateway = createGateway({ databaseUrl: roleUrl.toString(), log: (line) => logs.push(line), ...options });
    started.push(gateway);
    const { url } = await gateway.listen(0);
    return { gateway, url };
  };
  const first = await start();
  return {
    db,
    admin,
    role,
    roleUrl: roleUrl.toString(),
    gateway: first.gateway,
    url: first.url,
    logs,
    start,
    async close() {
      await Promise.all(started.map((g) => g.close()));
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
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
