import type pg from 'pg';
import { proceduresForStationRole, type PushAnswer, type PushRequest } from '../../shared/central-contract';
import { callProcedure, withSession } from './db';
import { fromDatabase } from './errors';
import type { VerifiedStation } from './station-auth';

/*
 * A batch of outbox entries in one round trip (DESIGN §4). Each entry is its own transaction under its own session
 * (offline work is pushed as the person who did it) and gets its own answer. A permanent refusal never blocks the
 * rest; a transient or unauthenticated failure stops the batch, as the station's pusher stops, because later
 * entries may depend on the earlier one (call a ticket after issuing it): they are answered "not attempted" and
 * stay in the station's outbox, in order.
 */

export async function pushBatch(
  pool: pg.Pool,
  entries: PushRequest['entries'],
  station: VerifiedStation,
  logInternal: (error: unknown, requestKey: string) => void = () => undefined,
): Promise<PushAnswer[]> {
  const answers: PushAnswer[] = [];
  let stopped: PushAnswer['requestKey'] | null = null;
  for (const entry of entries) {
    if (stopped) {
      answers.push({
        requestKey: entry.requestKey,
        ok: false,
        error: { kind: 'transient', code: 'NOT_ATTEMPTED', message: `Not attempted: an earlier entry (${stopped}) has to go through first.` },
      });
      continue;
    }
    if (!proceduresForStationRole(station.role).includes(entry.procedure)) {
      answers.push({ requestKey: entry.requestKey, ok: false, error: { kind: 'permanent', ...forbiddenAtStation(station, entry.procedure) } });
      continue;
    }
    try {
      const result = await withSession(pool, { token: entry.sessionToken, requestId: entry.requestKey, stationId: station.id }, (client) =>
        callProcedure(client, entry.procedure, entry.requestKey, entry.args),
      );
      answers.push({ requestKey: entry.requestKey, ok: true, result });
    } catch (error) {
      const { failure, internal } = fromDatabase(error);
      if (internal) logInternal(error, entry.requestKey);
      answers.push({ requestKey: entry.requestKey, ok: false, error: { kind: failure.kind, code: failure.code, message: failure.message } });
      if (failure.kind !== 'permanent') stopped = entry.requestKey;
    }
  }
  return answers;
}

/** The refusal of a procedure this kind of station never calls, decided before the database is asked. */
export function forbiddenAtStation(station: VerifiedStation, procedure: string): { code: 'FORBIDDEN'; message: string } {
  return { code: 'FORBIDDEN', message: `A ${station.role} station cannot do this (${procedure}).` };
}
