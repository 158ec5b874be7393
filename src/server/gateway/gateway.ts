import { randomUUID } from 'node:crypto';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createPool, type PoolOptions } from './db';
import { GatewayError, errorBody, fromDatabase } from './errors';
import { createListener, type Listener } from './listen';
import { registerLiveChannel, type LiveChannel, type LiveOptions } from './live';
import { registerRoutes, sessionOf } from './routes';
import { registerStationAuth } from './station-auth';
import { isLoopback, type TlsFiles } from './tls';

/*
 * The central gateway (DESIGN §1): the only network door to the centre. It serves the central contract over HTTPS
 * (the live channel's WSS will ride on the same server), or over plain HTTP on loopback only.
 */

export interface GatewayOptions extends PoolOptions {
  log: (line: string) => void;
  /** Largest request body accepted, in bytes: a push of 200 entries fits well inside the default 1 MiB. */
  bodyLimit?: number;
  /**
   * Where the one LISTEN connection goes; defaults to databaseUrl. Behind PgBouncer in transaction mode the pool
   * goes through it and this must reach Postgres directly, since a pooled connection cannot LISTEN.
   */
  listenUrl?: string;
  live?: LiveOptions;
  /** Serve HTTPS with this key and certificate; without it the gateway listens on loopback only. */
  tls?: TlsFiles;
}

export interface Gateway {
  /** Defaults to loopback: exposing the gateway on a network is a deliberate choice, and refused without TLS. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  /** The gateway's own pool, for health checks and for tests that prove what its database role cannot do. */
  readonly pool: pg.Pool;
  /** The gateway's one LISTEN connection (station revocations and the live channel). */
  readonly listener: Listener;
  readonly live: Pick<LiveChannel, 'stats'>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const pool = createPool(options);
  const listener = createListener({ databaseUrl: options.listenUrl ?? options.databaseUrl, log: options.log, applicationName: `${options.applicationName ?? 'gabriel-gateway'}-listen` });
  // One instance type whether it serves HTTP or HTTPS: the routes do not care which.
  const app = (Fastify as (options: object) => FastifyInstance)({
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Each request's id is its correlation id: sent with every error and logged beside the internal cause.
    genReqId: () => randomUUID(),
  });
  const logInternal = (correlationId: string, error: unknown) => {
    const { code, message } = error as { code?: unknown; message?: unknown };
    options.log(`gateway ${correlationId}: ${String(code ?? 'ERROR')} ${String(message ?? error)}`);
  };

  app.setErrorHandler((error, request, reply) => {
    let failure: GatewayError;
    const { statusCode, code } = error as { statusCode?: number; code?: string };
    if (error instanceof GatewayError) failure = error;
    else if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && code?.startsWith('FST_')) {
      // Fastify's own refusals (body too large, not JSON): their messages describe the request, not our internals.
      failure = new GatewayError(statusCode, code, plainFastifyMessage(code, String((error as { message?: unknown }).message)));
    } else {
      const mapped = fromDatabase(error);
      failure = mapped.failure;
      if (mapped.internal) logInternal(request.id, error);
    }
    void reply.status(failure.status).send(errorBody(failure, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(new GatewayError(404, 'NOT_FOUND', `There is no ${request.method} ${request.url} in the central contract.`), request.id));
  });
  const stationAuth = registerStationAuth(app, { pool, listener });
  let live: LiveChannel | null = null;
  void app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  void app.register(async (instance) => {
    registerRoutes(instance, pool, stationAuth, logInternal);
    live = registerLiveChannel(instance, pool, listener, sessionOf, logInternal, options.live);
  });

  return {
    pool,
    listener,
    live: { stats: () => live?.stats() ?? { streams: 0, sockets: 0 } },
    async listen(port, host = '127.0.0.1') {
      if (!options.tls && !isLoopback(host)) {
        throw new Error(
          `The gateway will not serve plain HTTP on ${host}: stations' passwords and patients' data would cross the network unencrypted. ` +
            'Give it a certificate (--tls-cert FILE --tls-key FILE), or listen on 127.0.0.1.',
        );
      }
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      return { url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound };
    },
    async close() {
      await live?.close();
      await app.close();
      stationAuth.close();
      await listener.close();
      await pool.end();
    },
  };
}

function plainFastifyMessage(code: string, message: string): string {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body: the request is larger than the gateway accepts.';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'body: send JSON (Content-Type: application/json).';
  return `body: ${message}`;
}
