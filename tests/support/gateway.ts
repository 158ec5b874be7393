import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway/gateway';
import { clinicDay } from '../../src/shared/clinic-day';
import { createTestDatabase, type TestDatabase } from './db';

/*
 * A gateway over real HTTP on 127.0.0.1, connected to a cloned demo database as a login role that is only a member
 * of clinic_station — what a real centre runs (docs/gateway.md) — with a random password on the test cluster.
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
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE clinic_station`);
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

/** One request as a station makes it: JSON body, the session in `Authorization: Bearer`. */
export async function api<T = Record<string, unknown>>(
  base: string,
  path: string,
  body?: unknown,
  token?: string,
  raw?: string,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, {
    method: body === undefined && raw === undefined ? 'GET' : 'POST',
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: response.status, body: (await response.json()) as T };
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
