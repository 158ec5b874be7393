import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { z } from 'zod';
import {
  callRequestSchema,
  centralRoutes,
  digestsRequestSchema,
  enrolRequestSchema,
  initialPageRequestSchema,
  initialPlanRequestSchema,
  partitionRequestSchema,
  proceduresForStationRole,
  pullRequestSchema,
  pushRequestSchema,
  sessionTokenSchema,
  signInRequestSchema,
} from '../../shared/central-contract';
import { callProcedure, withSession, type SessionContext } from './db';
import { GatewayError } from './errors';
import { forbiddenAtStation, pushBatch } from './push';
import type { StationAuth, VerifiedStation } from './station-auth';
import { digests, planInitialLoad, pullFeed, readPage, readPartition } from './sync-reads';

/*
 * The contract's routes. Every body is parsed with its zod schema before anything reaches the database, and every
 * query runs inside withSession, so row-level security binds each one to the caller's verified session.
 */

/** Parses a body or answers 400 naming the first field that is wrong. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  throw new GatewayError(400, 'INVALID_REQUEST', `${field}: ${issue.message}`);
}

/** The staff session from `Authorization: Bearer <token>`; its validity is the centre's to decide. */
export function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new GatewayError(401, 'NO_SESSION', 'Please sign in first.', 'unauthenticated');
  const match = /^Bearer (\S+)$/.exec(header);
  if (!match || !sessionTokenSchema.safeParse(match[1]).success) {
    throw new GatewayError(401, 'GC401', 'Your session is not valid. Please sign in again.', 'unauthenticated');
  }
  return match[1]!;
}

/** The station that signed the request; the hook (station-auth.ts) has refused every request without one. */
function signedBy(request: FastifyRequest): VerifiedStation {
  if (!request.station) throw new GatewayError(401, 'STATION_UNSIGNED', 'This request is not signed by an enrolled station.', 'unauthenticated');
  return request.station;
}

/** The session context of a signed request carrying `Authorization: Bearer`. */
export function sessionOf(request: FastifyRequest, requestId?: string): SessionContext {
  return { token: bearer(request), requestId, stationId: signedBy(request).id };
}

/** Where internal failures go: logged with the correlation id the station was given, never sent to it. */
export type InternalLog = (correlationId: string, error: unknown) => void;

export function registerRoutes(app: FastifyInstance, pool: pg.Pool, stationAuth: StationAuth, logInternal: InternalLog): void {
  const r = centralRoutes;

  // The protocol check comes before sign-in, so it needs no session; sync.protocol() reveals nothing of a clinic.
  app.get(r.protocol.path, async () => {
    try {
      const { rows } = await pool.query<{ answer: unknown }>('SELECT sync.protocol() AS answer');
      return rows[0]!.answer;
    } catch (error) {
      // A database migrated before sync.protocol existed speaks protocol 0: stations then say the centre is older.
      const { code } = error as { code?: unknown };
      if (code === '42883' || code === '3F000') return { protocol: 0, min_station_protocol: 0 };
      throw error;
    }
  });

  app.get(r.settings.path, async (request) => {
    const settings = await withSession(pool, sessionOf(request), async (client) => (await client.query<{ s: unknown }>('SELECT clinic.settings_for_station() AS s')).rows[0]?.s);
    return { settings: settings ?? {} };
  });

  // Signed by the new key itself (the hook lets this one through unsigned by an enrolled station).
  app.post(r.enrol.path, async (request) => {
    const body = parseBody(enrolRequestSchema, request.body);
    stationAuth.verifyEnrolment(request, body.publicKey);
    const { rows } = await pool.query<{ result: unknown }>('SELECT clinic.enrol_station($1, $2) AS result', [body.code, body.publicKey]);
    return rows[0]!.result;
  });

  app.post(r.signIn.path, async (request) => {
    const body = parseBody(signInRequestSchema, request.body);
    const { rows } = await pool.query<{ result: unknown }>('SELECT clinic.sign_in_at_station($1, $2, $3) AS result', [
      signedBy(request).id,
      body.username,
      body.password,
    ]);
    return rows[0]!.result;
  });

  app.post(r.signOut.path, async (request) => {
    await withSession(pool, sessionOf(request), (client) => client.query('SELECT clinic.sign_out()'));
    return { revokedAtCentre: true };
  });

  app.post(r.refresh.path, async (request) => {
    const { rows } = await withSession(pool, sessionOf(request), (client) =>
      client.query<{ expires_at: string }>("SELECT clinic.refresh_session() ->> 'expires_at' AS expires_at"),
    );
    return { expires_at: rows[0]!.expires_at };
  });

  app.post(r.call.path, async (request) => {
    const station = signedBy(request);
    const body = parseBody(callRequestSchema, request.body);
    if (!proceduresForStationRole(station.role).includes(body.procedure)) {
      throw new GatewayError(403, 'FORBIDDEN', forbiddenAtStation(station, body.procedure).message);
    }
    const result = await withSession(pool, sessionOf(request, body.requestKey), (client) =>
      callProcedure(client, body.procedure, body.requestKey, body.args),
    );
    return { result };
  });

  app.post(r.push.path, async (request) => {
    const station = signedBy(request);
    const body = parseBody(pushRequestSchema, request.body);
    return { answers: await pushBatch(pool, body.entries, station, (error, requestKey) => logInternal(`${request.id}/${requestKey}`, error)) };
  });

  app.post(r.initialPlan.path, async (request) => {
    const body = parseBody(initialPlanRequestSchema, request.body);
    return withSession(pool, sessionOf(request), (client) => planInitialLoad(client, body.tables));
  });

  app.post(r.initialPage.path, async (request) => {
    const body = parseBody(initialPageRequestSchema, request.body);
    return { rows: await withSession(pool, sessionOf(request), (client) => readPage(client, body)) };
  });

  app.post(r.pull.path, async (request) => {
    const body = parseBody(pullRequestSchema, request.body);
    return withSession(pool, sessionOf(request), (client) => pullFeed(client, body));
  });

  app.post(r.digests.path, async (request) => {
    const body = parseBody(digestsRequestSchema, request.body);
    return { tables: await withSession(pool, sessionOf(request), (client) => digests(client, body.tables)) };
  });

  app.post(r.partition.path, async (request) => {
    const body = parseBody(partitionRequestSchema, request.body);
    return { rows: await withSession(pool, sessionOf(request), (client) => readPartition(client, body)) };
  });
}
