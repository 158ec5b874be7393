import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { enrolStation, type StationIdentity } from '../src/main/enrolment/identity';
import type { StationRole } from '../src/shared/contract';

/*
 * The operator's two set-up steps, as the demo and the tests take them on a database they own: a login role for
 * the gateway (docs/gateway.md: a member of clinic_gateway, nothing more), and a one-time code per new station,
 * which the station then redeems at the gateway with its own fresh key — exactly as a real PC enrols.
 */

export interface GatewayLogin {
  role: string;
  /** The database URL the gateway connects with: this role and its password. */
  url: string;
  drop(): Promise<void>;
}

/** Creates (or, given the same name and password, re-creates) the gateway's login role. */
export async function createGatewayLogin(adminUrl: string, options: { role?: string; password?: string } = {}): Promise<GatewayLogin> {
  const role = options.role ?? `gw_${randomBytes(6).toString('hex')}`;
  const password = options.password ?? randomBytes(18).toString('base64url');
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = exists.rowCount ? 'ALTER' : 'CREATE';
    await admin.query(`${verb} ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
    await admin.query(`GRANT clinic_gateway TO ${pg.escapeIdentifier(role)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = role;
  url.password = password;
  return {
    role,
    url: url.toString(),
    async drop() {
      const client = new pg.Client(adminUrl);
      await client.connect();
      try {
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface StationToEnrol {
  clinic: string;
  role: StationRole;
  code: string;
  /** The consult room, e.g. 'R1'. */
  room?: string;
}

/** A one-time code from the operator function, redeemed at the gateway by a new key pair. */
export async function enrolNewStation(
  adminUrl: string,
  gateway: { url: string; caPem: string | null },
  station: StationToEnrol,
): Promise<StationIdentity> {
  const code = randomBytes(12).toString('hex');
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    await admin.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', [station.clinic, station.role, station.code, code, station.room ?? null]);
  } finally {
    await admin.end();
  }
  return enrolStation({ gatewayUrl: gateway.url, gatewayCaPem: gateway.caPem, code });
}
