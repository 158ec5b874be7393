import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { FieldCrypto } from '../../src/main/crypto/field-crypto';
import { maskNric, nricCheckLetter } from '../../src/shared/nric';
import type { SignInResult } from '../../src/sync/central';
import { generateStationKeyPair } from '../../src/sync/station-key';

export type { SignInResult };

/*
 * Talking to the central database the way a station does: its own connection acting as clinic_station, and each
 * procedure call in a transaction that carries the session token (DESIGN §3).
 */

export type Row = Record<string, unknown>;

/** A connection as a station has it: SET ROLE clinic_station. */
export async function stationClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('SET ROLE clinic_station');
  return client;
}

/** The station's role in the migration's own words; enrolment decides it, never the PC. */
export type StationRole = 'reception' | 'consult' | 'display';

export interface Enrolled {
  station: SignInResult['station'];
  clinic: SignInResult['clinic'];
}

/**
 * Runs `work` as `role` on this connection and puts the connection back as it was. Test connections log in as the
 * cluster's superuser, so the owner's and the gateway's functions are reachable with SET ROLE.
 */
async function actingAs<T>(client: pg.ClientBase, role: 'clinic_gateway' | null, work: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ current: string; session: string }>('SELECT current_user AS current, session_user AS session');
  const before = rows[0]!.current === rows[0]!.session ? 'NONE' : rows[0]!.current;
  await client.query(`SET ROLE ${role ?? 'NONE'}`);
  try {
    return await work();
  } finally {
    await client.query(`SET ROLE ${before}`);
  }
}

/**
 * Enrols a station as the operator and the gateway would (migration 018): a one-time code made by the owner, then
 * consumed with the station's public key by clinic_gateway. Returns what enrol_station answers.
 */
export async function enrolStationInSql(
  client: pg.ClientBase,
  clinicCode: string,
  stationCode: string,
  stationRole: StationRole,
  options: { roomCode?: string; publicKeyPem?: string } = {},
): Promise<Enrolled> {
  const code = randomBytes(12).toString('hex');
  await actingAs(client, null, () =>
    client.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', [clinicCode, stationRole, stationCode, code, options.roomCode ?? null]),
  );
  const publicKeyPem = options.publicKeyPem ?? generateStationKeyPair().publicKeyPem;
  return actingAs(client, 'clinic_gateway', async () => {
    const { rows } = await client.query<{ r: Enrolled }>('SELECT clinic.enrol_station($1, $2) AS r', [code, publicKeyPem]);
    return rows[0]!.r;
  });
}

/**
 * Signs a member of staff in at a station, enrolling the station first if it is not yet (as the station's
 * first start does), then clinic.sign_in_at_station as the gateway calls it for a verified station.
 */
export async function signIn(
  client: pg.ClientBase,
  clinicCode: string,
  username: string,
  stationCode: string,
  stationRole: StationRole,
  password = 'demo1234',
): Promise<SignInResult> {
  const { rows: found } = await actingAs(client, null, () =>
    client.query<{ id: string }>(
      `SELECT s.id FROM clinic.stations s JOIN clinic.clinics c ON c.id = s.clinic_id
        WHERE c.code = upper($1) AND s.code = $2 AND s.public_key IS NOT NULL`,
      [clinicCode, stationCode],
    ),
  );
  const stationId = found[0]?.id ?? (await enrolStationInSql(client, clinicCode, stationCode, stationRole)).station.id;
  return signInAtStation(client, stationId, username, password);
}

/** clinic.sign_in_at_station as the gateway calls it, for a station whose signature it verified. */
export async function signInAtStation(client: pg.ClientBase, stationId: string, username: string, password = 'demo1234'): Promise<SignInResult> {
  return actingAs(client, 'clinic_gateway', async () => {
    const { rows } = await client.query<{ r: SignInResult }>('SELECT clinic.sign_in_at_station($1, $2, $3) AS r', [stationId, username, password]);
    return rows[0]!.r;
  });
}

/** Opens the transaction and sets the session context; the caller calls procedures and commits. */
export async function beginAs(client: pg.ClientBase, token: string | null, requestKey: string = randomUUID()): Promise<void> {
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.session_token', $1, true), set_config('app.request_id', $2, true)", [
    token ?? '',
    requestKey,
  ]);
}

export async function procIn<T = Row>(
  client: pg.ClientBase,
  procedure: string,
  args: unknown,
  requestKey: string = randomUUID(),
): Promise<T> {
  const { rows } = await client.query<{ r: T }>(`SELECT clinic.${procedure}($1::uuid, $2::jsonb) AS r`, [
    requestKey,
    JSON.stringify(args),
  ]);
  return rows[0]!.r;
}

/** One station call, in its own transaction, as the signed-in session `token`. */
export async function call<T = Row>(
  client: pg.ClientBase,
  token: string | null,
  procedure: string,
  args: unknown,
  requestKey: string = randomUUID(),
): Promise<T> {
  await beginAs(client, token, requestKey);
  try {
    const result = await procIn<T>(client, procedure, args, requestKey);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** The error a promise rejected with, for asserting SQLSTATE, message and column. */
export async function failure(promise: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await promise;
  } catch (e) {
    return e as pg.DatabaseError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export type PatientArgs = Record<string, unknown> & { id: string; nric_hash: string; nric_masked: string };

/** register_patient arguments for a new person with a valid NRIC that no patient of the database has yet. */
export async function newPatientArgs(
  admin: pg.ClientBase,
  crypto: FieldCrypto,
  overrides: Record<string, unknown> = {},
): Promise<{ nric: string; args: PatientArgs }> {
  for (;;) {
    const digits = String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0');
    const nric = `S${digits}${nricCheckLetter('S', digits)}`;
    const hash = await crypto.lookupHash('nric', nric);
    const { rowCount } = await admin.query('SELECT 1 FROM clinic.patients WHERE nric_hash = $1', [hash]);
    if (rowCount) continue;
    const args: PatientArgs = {
      id: randomUUID(),
      nric_hash: hash,
      nric_enc: await crypto.encrypt(nric),
      nric_masked: maskNric(nric),
      id_type: 'NRIC',
      full_name: 'Test Patient',
      date_of_birth: '1985-06-15',
      gender: 'female',
      ...overrides,
    };
    return { nric, args };
  }
}
