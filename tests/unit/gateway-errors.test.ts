import { describe, expect, it } from 'vitest';
import { fromDatabase } from '../../src/server/gateway/errors';

/*
 * How the gateway tells a station about a database failure. A database that is starting, shutting down, full of
 * connections or not accepting them is a wait, never a refusal: the station keeps the work and retries, and the
 * person at the desk never sees Postgres' own words.
 */
const pgError = (code: string, message = `raw postgres text for ${code}`) => Object.assign(new Error(message), { code });

describe('database failures as the gateway answers them', () => {
  it.each([
    ['55000', 'object not in prerequisite state (e.g. a standby, recovery)'],
    ['57P01', 'admin shutdown'],
    ['57P03', 'cannot connect now (starting up)'],
    ['53300', 'too many connections'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['08006', 'connection failure'],
    ['55P03', 'lock not available'],
  ])('%s (%s) is transient: 503, try again, in plain words', (code) => {
    const { failure, internal } = fromDatabase(pgError(code));
    expect(failure).toMatchObject({ status: 503, kind: 'transient', code: 'UNAVAILABLE' });
    expect(failure.message).not.toContain('raw postgres text');
    expect(internal).toBe(true);
  });

  it('passes the centre\'s own refusals through with their words', () => {
    const { failure, internal } = fromDatabase(pgError('GC409', 'A patient with NRIC S****567D is already registered.'));
    expect(failure).toMatchObject({ status: 409, kind: 'permanent', code: 'GC409', message: 'A patient with NRIC S****567D is already registered.' });
    expect(internal).toBe(false);
    expect(fromDatabase(pgError('GC401', 'Please sign in again.')).failure.kind).toBe('unauthenticated');
  });

  it('keeps other database errors internal, without their text, and permanent', () => {
    for (const code of ['42P01', '22P02', '23505', 'XX000']) {
      const { failure, internal } = fromDatabase(pgError(code));
      expect(failure.kind, code).toBe('permanent');
      expect(failure.message, code).not.toContain('raw postgres text');
      expect(internal, code).toBe(true);
    }
  });

  it('treats a dropped or refused connection without SQLSTATE as transient', () => {
    expect(fromDatabase(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' })).failure.kind).toBe('transient');
    expect(fromDatabase(new Error('Connection terminated unexpectedly')).failure.kind).toBe('transient');
    expect(fromDatabase(new Error('something else entirely')).failure).toMatchObject({ status: 500, kind: 'permanent' });
  });
});
