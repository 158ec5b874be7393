import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';

/**
 * The station's connection to the central Postgres. Stations act as the `clinic_station` role:
 * they read under grants (RLS comes with the hardening issue) and write only through procedures.
 */

/** What a failed central call means for the caller. */
export type FailureKind =
  /** Network down, server restarting, lock timeout: try again later, keep the work. */
  | 'transient'
  /** The session is missing or expired: keep the work, ask the person to sign in again. */
  | 'unauthenticated'
  /** The centre refused the request for good (validation, conflict): tell the person, do not retry. */
  | 'permanent'
  /** This app and the centre speak different sync protocols: stop syncing until one is upgraded. */
  | 'incompatible';

export class CentralError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** SQLSTATE from Postgres, or the Node error code for network failures. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CentralError';
  }
}

const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57', '58', '40'];

export function classifyFailure(error: unknown): CentralError {
  if (error instanceof CentralError) return error;
  const err = error as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : String(error);
  const isSqlState = /^[0-9A-Z]{5}$/.test(code);
  if (!isSqlState) return new CentralError('transient', code || 'NETWORK', `Central database unreachable: ${message}`);
  if (code === 'GC401') return new CentralError('unauthenticated', code, message);
  if (TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return new CentralError('transient', code, message);
  if (code === '55P03') return new CentralError('transient', code, message);
  return new CentralError('permanent', code, message);
}

const DATE_OID = 1082;

/**
 * A calendar date (a birthday, a clinic day) stays the string Postgres sent: turning it into a
 * JavaScript Date would pin it to a midnight in some time zone and shift it a day elsewhere.
 */
const typeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

export interface CentralOptions {
  url: string;
  /** The role stations act as; the connecting user must be a member of it. */
  role?: string | null;
  /** How long to wait for a connection before calling the centre unreachable. */
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  maxConnections?: number;
}

/** The central tables stations read directly (everything else comes through the change feed). */
export interface CentralSchema {
  'clinic.clinics': { id: string; code: string; name: string; address: string | null; gst_reg_no: string | null };
  'clinic.queue_tickets': { clinic_id: string; service_date: string; desk_letter: string; desk_seq: number };
}

/** What clinic.sign_in answers: the session token and who, where and for which clinic it is. */
export interface SignInResult {
  token: string;
  expires_at: string;
  user: { id: string; username: string; full_name: string; role: string };
  doctor: { id: string; full_name: string; mcr_number: string } | null;
  clinic: { id: string; code: string; name: string };
  station: { id: string; code: string; role: string; desk_letter: string | null; room_id: string | null };
}

export interface SessionContext {
  token: string | null;
  requestId?: string;
}

export class Central {
  readonly pool: pg.Pool;
  readonly db: Kysely<CentralSchema>;
  private closed = false;

  constructor(readonly options: CentralOptions) {
    const role = options.role === undefined ? 'clinic_station' : options.role;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      idleTimeoutMillis: 30_000,
      application_name: 'gabriel-station',
      types: { getTypeParser: typeParser },
      // Set as a startup parameter rather than a later SET ROLE so a missing role fails the
      // connection instead of silently leaving the station with the login user's privileges.
      ...(role ? { options: `-c role=${role}` } : {}),
    });
    // A client whose server went away emits 'error' (the pool re-emits it for idle clients); its
    // pending query rejects anyway, and without listeners Node would crash the station.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.db = new Kysely({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  /**
   * Runs `work` in one transaction on one checked-out client with the session context set, as
   * DESIGN §3 requires: procedures read the verified session from these settings.
   */
  async withSession<T>(context: SessionContext, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyFailure(error);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query(
        "SELECT set_config('app.session_token', $1, true), set_config('app.request_id', $2, true)",
        [context.token ?? '', context.requestId ?? ''],
      );
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw classifyFailure(error);
    } finally {
      client.release(broken);
    }
  }

  /** Calls one station procedure (`clinic.<name>(request_key, args)`), idempotent by its key. */
  async callProcedure<T = unknown>(procedure: string, requestKey: string, args: unknown, token: string | null): Promise<T> {
    if (!/^[a-z_]+$/.test(procedure)) throw new CentralError('permanent', 'GC400', `Unknown procedure ${procedure}`);
    return this.withSession({ token, requestId: requestKey }, async (client) => {
      const { rows } = await client.query(`SELECT clinic.${procedure}($1::uuid, $2::jsonb) AS result`, [
        requestKey,
        JSON.stringify(args),
      ]);
      return rows[0].result as T;
    });
  }

  /** A read that needs no session (reference data, change feed). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      const result = await this.pool.query<R>(text, values);
      return result.rows;
    } catch (error) {
      throw classifyFailure(error);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy().catch(() => undefined);
  }
}

export { sql };
