import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { WebSocket } from 'ws';
import { LIVE_CLOSE, centralRoutes, type LiveMessage } from '../../shared/central-contract';
import { withSession, type SessionContext } from './db';
import { GatewayError, fromDatabase } from './errors';
import type { Listener } from './listen';

/*
 * The live channel (GET /v1/live, WebSocket): each clinic's new feed changes, rows and all, pushed to that clinic's
 * stations only. Stations that would see the same rows — same clinic, same staff role (row-level security depends on
 * nothing else) and the same tables — share one stream, so a commit costs one sync.pull per stream, not per station.
 * A stream's pull runs under one of its own subscribers' sessions, so RLS decides what it reads exactly as for that
 * station's own HTTP pull. Messages say which stretch of the feed they cover (from → to): a station that is behind
 * `from` pulls the gap over HTTP, so a missed message only costs latency.
 */

interface Cursor {
  xid: string;
  seq: string;
}

type Change = Extract<LiveMessage, { type: 'changes' }>['changes'][number];

interface Subscriber {
  socket: WebSocket;
  session: SessionContext;
}

interface Stream {
  key: string;
  clinicId: string;
  tables: string[];
  subscribers: Set<Subscriber>;
  cursor: Cursor;
  draining: boolean;
  again: boolean;
  /** Looks taken since the last notification while an older transaction held the horizon back. */
  settleAttempts: number;
  settleTimer: NodeJS.Timeout | null;
}

export interface LiveOptions {
  /** Changes per message; a longer stretch goes out as several. */
  batchSize?: number;
  /** How often every subscriber's session is checked again, so a revoked or expired one stops receiving. */
  recheckMs?: number;
  /** A socket that has this much unsent is too slow: it is closed and catches up by pulling. */
  maxBufferedBytes?: number;
}

export interface LiveChannel {
  /** Streams and sockets now, for health checks and tests. */
  stats(): { streams: number; sockets: number };
  close(): Promise<void>;
}

const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/*
 * While any older transaction of the cluster (xids are cluster-wide: another clinic's, a report's) is still open,
 * pull withholds what committed after it, and that transaction's end notifies no one here. So the stream looks
 * again, soon at first, then once a second, for about a minute; past that the stations' timed pulls carry it.
 */
const SETTLE_FIRST_DELAY_MS = 50;
const SETTLE_MAX_DELAY_MS = 1000;
const SETTLE_ATTEMPTS = 60;

export function registerLiveChannel(
  app: FastifyInstance,
  pool: pg.Pool,
  listener: Listener,
  sessionOf: (request: FastifyRequest) => SessionContext,
  logInternal: (correlationId: string, error: unknown) => void,
  options: LiveOptions = {},
): LiveChannel {
  const batchSize = options.batchSize ?? 1000;
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const streams = new Map<string, Stream>();
  const byClinic = new Map<string, Set<Stream>>();

  const send = (subscriber: Subscriber, message: LiveMessage) => {
    if (subscriber.socket.readyState !== subscriber.socket.OPEN) return;
    if (subscriber.socket.bufferedAmount > maxBuffered) {
      subscriber.socket.close(1013, 'Too far behind: pull instead.');
      return;
    }
    subscriber.socket.send(JSON.stringify(message));
  };

  const remove = (stream: Stream, subscriber: Subscriber) => {
    stream.subscribers.delete(subscriber);
    if (stream.subscribers.size > 0) return;
    streams.delete(stream.key);
    byClinic.get(stream.clinicId)?.delete(stream);
    if (stream.settleTimer) clearTimeout(stream.settleTimer);
  };

  /** Pulls what the stream has not sent yet and sends it to every subscriber, until the feed is drained. */
  const drain = async (stream: Stream): Promise<void> => {
    if (stream.draining) {
      stream.again = true;
      return;
    }
    stream.draining = true;
    try {
      do {
        stream.again = false;
        for (;;) {
          const subscriber = stream.subscribers.values().next().value as Subscriber | undefined;
          if (!subscriber) return;
          let answer: { changes: Change[]; settled: boolean };
          try {
            answer = await withSession(pool, subscriber.session, async (client) => {
              const { rows } = await client.query<{ result: { changes: Change[] }; settled: boolean }>(
                // current_session() first: row-level security alone would answer an ended session with no rows, and
                // the stream would keep a signed-out station subscribed until the next recheck.
                `SELECT (clinic.current_session()).clinic_id IS NOT NULL AS signed_in,
                        sync.pull($1::uuid, $2::xid8, $3::bigint, $4::text[], $5::int) AS result,
                        pg_snapshot_xmin(pg_current_snapshot()) = pg_snapshot_xmax(pg_current_snapshot()) AS settled`,
                [stream.clinicId, stream.cursor.xid, stream.cursor.seq, stream.tables, batchSize],
              );
              return { changes: rows[0]!.result.changes, settled: rows[0]!.settled };
            });
          } catch (error) {
            const { failure, internal } = fromDatabase(error);
            if (failure.kind === 'unauthenticated') {
              subscriber.socket.close(LIVE_CLOSE.unauthenticated, 'Sign in again.');
              remove(stream, subscriber);
              continue;
            }
            // The database is away: the stations' own timed pulls carry on, and the next notification retries.
            if (internal) logInternal(`live/${stream.clinicId}`, error);
            return;
          }
          const { changes } = answer;
          if (changes.length > 0) {
            const last = changes[changes.length - 1]!;
            const to = { xid: String(last.xid), seq: String(last.seq) };
            const message: LiveMessage = { type: 'changes', from: stream.cursor, to, changes };
            for (const each of stream.subscribers) send(each, message);
            stream.cursor = to;
          }
          if (changes.length === batchSize) continue;
          // Rows may be held back behind an older open transaction (whether or not some came through): look again.
          if (!answer.settled && stream.settleAttempts < SETTLE_ATTEMPTS && !stream.settleTimer) {
            const delay = Math.min(SETTLE_FIRST_DELAY_MS * 2 ** stream.settleAttempts, SETTLE_MAX_DELAY_MS);
            stream.settleAttempts += 1;
            stream.settleTimer = setTimeout(() => {
              stream.settleTimer = null;
              void drain(stream);
            }, delay);
          }
          break;
        }
      } while (stream.again);
    } finally {
      stream.draining = false;
    }
  };

  const changed = (clinicId: string) => {
    for (const stream of byClinic.get(clinicId) ?? []) {
      stream.settleAttempts = 0;
      void drain(stream);
    }
  };
  const offNotify = listener.subscribe('clinic_changes', changed);
  // Whatever committed while the gateway was not listening is sent now.
  const offState = listener.onConnectionChange((connected) => {
    if (connected) for (const stream of streams.values()) void drain(stream);
  });

  const recheck = setInterval(() => {
    for (const stream of streams.values()) {
      for (const subscriber of stream.subscribers) {
        withSession(pool, subscriber.session, (client) => client.query('SELECT clinic.current_session()')).catch((error: unknown) => {
          if (fromDatabase(error).failure.kind !== 'unauthenticated') return;
          subscriber.socket.close(LIVE_CLOSE.unauthenticated, 'Sign in again.');
          remove(stream, subscriber);
        });
      }
    }
  }, options.recheckMs ?? 30_000);
  recheck.unref();

  app.get(
    centralRoutes.live.path,
    {
      websocket: true,
      // Refusals before the upgrade answer as plain HTTP, with the contract's error body.
      preHandler: async (request) => {
        const query = request.query as { tables?: unknown };
        const tables = typeof query.tables === 'string' ? query.tables.split(',').filter(Boolean) : [];
        if (tables.length === 0 || tables.length > 50 || !tables.every((t) => TABLE_NAME.test(t))) {
          throw new GatewayError(400, 'INVALID_REQUEST', 'tables: name the tables to follow, e.g. ?tables=queue_tickets,queue_calls');
        }
        const context = sessionOf(request);
        const session = await withSession(pool, context, async (client) => {
          const { rows } = await client.query<{ clinic_id: string; role: string; horizon: string }>(
            `SELECT s.clinic_id::text, s.role::text, pg_snapshot_xmin(pg_current_snapshot())::text AS horizon
               FROM clinic.current_session() s`,
          );
          return rows[0]!;
        });
        (request as LiveRequest).live = { context, tables: [...new Set(tables)].sort(), ...session };
      },
    },
    (socket, request) => {
      const { context, tables, clinic_id: clinicId, role, horizon } = (request as LiveRequest).live!;
      const key = `${clinicId}|${role}|${tables.join(',')}`;
      let stream = streams.get(key);
      if (!stream) {
        stream = {
          key,
          clinicId,
          tables,
          subscribers: new Set(),
          // Everything below the horizon the station reads by pulling; the stream sends what commits from now on.
          cursor: { xid: horizon, seq: '0' },
          draining: false,
          again: false,
          settleAttempts: SETTLE_ATTEMPTS,
          settleTimer: null,
        };
        streams.set(key, stream);
        let clinicStreams = byClinic.get(clinicId);
        if (!clinicStreams) byClinic.set(clinicId, (clinicStreams = new Set()));
        clinicStreams.add(stream);
      }
      const subscriber: Subscriber = { socket, session: context };
      stream.subscribers.add(subscriber);
      const joined = stream;
      socket.on('close', () => remove(joined, subscriber));
      socket.on('error', () => remove(joined, subscriber));
      // Stations send nothing on this channel; anything they do send is ignored.
      send(subscriber, { type: 'ready', cursor: stream.cursor });
    },
  );

  return {
    stats() {
      let sockets = 0;
      for (const stream of streams.values()) sockets += stream.subscribers.size;
      return { streams: streams.size, sockets };
    },
    async close() {
      offNotify();
      offState();
      clearInterval(recheck);
      for (const stream of streams.values()) {
        if (stream.settleTimer) clearTimeout(stream.settleTimer);
        for (const subscriber of stream.subscribers) subscriber.socket.terminate();
      }
      streams.clear();
      byClinic.clear();
    },
  };
}

interface LiveRequest extends FastifyRequest {
  live?: { context: SessionContext; tables: string[]; clinic_id: string; role: string; horizon: string };
}
