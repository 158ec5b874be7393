import pg from 'pg';
import { databaseConnection, type DatabaseTlsOptions } from './tls';

/*
 * The gateway's one bounded pool, and the per-transaction session context every query runs under. The semantics
 * are those of src/sync/central.ts (Central.withSession): one checked-out client, BEGIN, the session token and
 * request id set with set_config(…, true) so they die with the transaction, COMMIT or ROLLBACK. Row-level security
 * and every procedure read the verified session from these settings, so a token the centre does not honour reads
 * nothing and writes nothing.
 */

export interface PoolOptions extends DatabaseTlsOptions {
  databaseUrl: string;
  /** The most database connections this gateway holds, however many stations it serves. */
  poolSize?: number;
  /** Shown in pg_stat_activity, to tell the gateway's connections from others. */
  applicationName?: string;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

const DATE_OID = 1082;

/** A calendar date stays the string Postgres sent (as at the station): a Date would shift it across time zones. */
const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    ...databaseConnection(options.databaseUrl, options),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    query_timeout: options.queryTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'gabriel-gateway',
    types: { getTypeParser },
  });
  // A client whose server went away emits 'error' (the pool re-emits it for idle clients); its pending query fails
  // anyway, and an unhandled 'error' would crash the gateway for every station.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export interface SessionContext {
  /** The staff session token ('' when there is none: procedures then fail closed with GC401). */
  token: string;
  requestId?: string;
  /** The station that signed the request: a session opened at another station is refused (clinic.current_session). */
  stationId: string;
}

export async function withSession<T>(pool: pg.Pool, context: SessionContext, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(
      "SELECT set_config('app.session_token', $1, true), set_config('app.request_id', $2, true), set_config('app.station_id', $3, true)",
      [context.token, context.requestId ?? '', context.stationId],
    );
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A client that cannot even roll back is dropped rather than handed to the next station.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The clinic of the verified session: sync reads are scoped by it, never by what the station names. */
export async function sessionClinic(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query<{ clinic_id: string }>('SELECT (clinic.current_session()).clinic_id::text AS clinic_id');
  return rows[0]!.clinic_id;
}

/** clinic.<procedure>(request_key, args); the name comes from the contract's allow-list, never from free text. */
export async function callProcedure(client: pg.PoolClient, procedure: string, requestKey: string, args: unknown): Promise<unknown> {
  const { rows } = await client.query<{ result: unknown }>(`SELECT clinic.${procedure}($1::uuid, $2::jsonb) AS result`, [
    requestKey,
    JSON.stringify(args),
  ]);
  return rows[0]!.result;
}
