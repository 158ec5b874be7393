import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cache } from '../../src/main/cache/cache';
import type { Change, FeedCursor } from '../../src/sync/pull';
import { createTestDatabase, type TestDatabase } from '../support/db';

/*
 * Issue 4: "no missed change when transactions commit out of order". fast-check generates interleavings of K
 * concurrent writer connections (BEGIN, INSERT / UPDATE / DELETE a room, SAVEPOINT, ROLLBACK TO SAVEPOINT, COMMIT,
 * ROLLBACK, autocommitted single writes) and a puller that pages through sync.pull (limits 1-7) into a real station
 * Cache on a real SQLite file, sometimes "restarting" (reopening the cache and resuming from its stored cursor).
 * After each run: every change of a committed transaction delivered exactly once, nothing of a rolled-back
 * (sub)transaction delivered, and the cache's rooms equal the centre's.
 *
 * Writers may update and delete each other's rows. Row-lock waits are avoided with FOR UPDATE SKIP LOCKED: a row
 * another open transaction holds is simply not touched, so no command ever blocks the single-threaded driver.
 *
 * The teeth tests run the same checker against deliberately wrong pullers (sync.changes by seq, or in sync.pull's
 * (xid, seq) order, but without the horizon) and a wrong cache (last delivered image wins), and require fast-check
 * to find a counterexample each time. A hand-made test covers the one case the property avoids: a row-lock wait.
 */

// --- The command model ---------------------------------------------------------------------------------------

type Command =
  | { t: 'begin'; w: number }
  | { t: 'insert'; w: number }
  | { t: 'update'; w: number; pick: number }
  | { t: 'delete'; w: number; pick: number }
  | { t: 'savepoint'; w: number }
  | { t: 'rollbackToSavepoint'; w: number }
  | { t: 'commit'; w: number }
  | { t: 'rollback'; w: number }
  | { t: 'pull'; limit: number }
  | { t: 'restartStation' };

const MAX_WRITERS = 5;
const writer = fc.integer({ min: 0, max: MAX_WRITERS - 1 });
const pick = fc.nat({ max: 1000 });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('begin' as const), w: writer }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('insert' as const), w: writer }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('update' as const), w: writer, pick }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constant('delete' as const), w: writer, pick }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('savepoint' as const), w: writer }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('rollbackToSavepoint' as const), w: writer }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('commit' as const), w: writer }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('rollback' as const), w: writer }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('pull' as const), limit: fc.integer({ min: 1, max: 7 }) }), weight: 5 },
  { arbitrary: fc.constant({ t: 'restartStation' as const }), weight: 1 },
);

interface Scenario {
  writers: number;
  commands: Command[];
  /** How each writer ends a transaction still open after the last command. */
  finalCommit: boolean[];
}

function scenarioArb(maxCommands: number): fc.Arbitrary<Scenario> {
  return fc.record({
    writers: fc.integer({ min: 3, max: MAX_WRITERS }),
    commands: fc.array(commandArb, { maxLength: maxCommands, size: 'max' }),
    finalCommit: fc.array(fc.boolean(), { minLength: MAX_WRITERS, maxLength: MAX_WRITERS }),
  });
}

// --- Pullers ---------------------------------------------------------------------------------------------------

interface Page {
  changes: Change[];
  /** Everything of a transaction below it has been handed out once a page comes back empty; null: no horizon. */
  horizon: bigint | null;
}

type PullPage = (client: pg.ClientBase, clinicId: string, cursor: FeedCursor, limit: number) => Promise<Page>;

/** The real feed: sync.pull from migration 006. */
const feedPuller: PullPage = async (client, clinicId, cursor, limit) => {
  const { rows } = await client.query<{ r: { horizon: string; changes: Change[] } }>(
    'SELECT sync.pull($1::uuid, $2::xid8, $3::bigint, $4::text[], $5::int) AS r',
    [clinicId, cursor.xid, cursor.seq, ['rooms'], limit],
  );
  return { changes: rows[0]!.r.changes, horizon: BigInt(rows[0]!.r.horizon) };
};

/** What the feed must not be: "everything after the last seq I saw", blind to transactions still in flight. */
const naivePuller: PullPage = async (client, clinicId, cursor, limit) => {
  const { rows } = await client.query<Change>(
    `SELECT seq::text, xid::text, table_name AS "table", row_id AS id, op, row
       FROM sync.changes
      WHERE clinic_id = $1 AND table_name = 'rooms' AND seq > $2::bigint
      ORDER BY seq
      LIMIT $3`,
    [clinicId, cursor.seq, limit],
  );
  return { changes: rows, horizon: null };
};

/** sync.pull's (xid, seq) order without its horizon: the order alone does not save a late committer. */
const noHorizonPuller: PullPage = async (client, clinicId, cursor, limit) => {
  const { rows } = await client.query<Change>(
    `SELECT seq::text, xid::text, table_name AS "table", row_id AS id, op, row
       FROM sync.changes
      WHERE clinic_id = $1 AND table_name = 'rooms' AND (xid, seq) > ($2::xid8, $3::bigint)
      ORDER BY xid, seq
      LIMIT $4`,
    [clinicId, cursor.xid, cursor.seq, limit],
  );
  return { changes: rows, horizon: null };
};

/**
 * A deliberately wrong station cache for the teeth test: last delivered image wins, whatever its sync_seq. Changes
 * come in (xid, seq) order, not per-row seq order, so a row two transactions touched can end up stale.
 */
class LastWriteWinsCache extends Cache {
  override applyChanges(changes: Change[], cursor: FeedCursor): boolean {
    return this.transaction(() => {
      for (const change of changes) {
        if (change.op === 'U') this.db.prepare('DELETE FROM rooms WHERE id = ?').run(change.id);
        this.db.prepare('DELETE FROM tombstones WHERE id = ?').run(change.id);
        super.applyChanges([change], cursor);
      }
      return true;
    });
  }
}

// --- The runner ------------------------------------------------------------------------------------------------

interface Env {
  admin: pg.Client;
  puller: pg.Client;
  writers: pg.Client[];
  clinicId: string;
  dir: string;
}

interface WriterState {
  inTx: boolean;
  /** Seqs this transaction wrote so far, oldest first. */
  pending: string[];
  /** Index into `pending` where the newest savepoint was taken. */
  savepointAt: number | null;
}

interface RunStats {
  operations: number;
  delivered: number;
  committed: number;
  rolledBack: number;
  /** Pulls that came back short while a committed change was still owed: the horizon held it back. */
  heldBack: number;
  /** Updates and deletes that found their row locked by another open transaction and left it alone. */
  skippedLocked: number;
  /** Changes delivered after a newer change (higher seq) of the same row: the cache's highest-seq rule decides. */
  staleDeliveries: number;
}

let roomCounter = 0;
let runCounter = 0;

function failure(message: string, details: unknown): Error {
  return new Error(`${message}\n${JSON.stringify(details, null, 1)}`);
}

type OpenCache = (file: string) => Cache;
const openCache: OpenCache = (file) => new Cache(file);

async function runScenario(env: Env, scenario: Scenario, pullPage: PullPage, open: OpenCache = openCache): Promise<RunStats> {
  const { admin, puller, clinicId } = env;
  const writers = env.writers.slice(0, scenario.writers);
  const file = join(env.dir, `station-${++runCounter}.sqlite`);
  let cache = open(file);

  // A fresh xid is above every finished transaction's: the run's cursor starts past all earlier changes.
  const start = await admin.query<{ xid: string; seq: string }>(
    `SELECT pg_current_xact_id()::text AS xid, nextval('sync.change_seq')::text AS seq`,
  );
  const startSeq = start.rows[0]!.seq;
  // (The naive puller reads only the seq; the feed's (xid, seq) cursor starts past everything either way.)
  let cursor: FeedCursor = { xid: start.rows[0]!.xid, seq: startSeq };
  cache.setMeta('feed_cursor', JSON.stringify(cursor));

  const state: WriterState[] = writers.map(() => ({ inTx: false, pending: [], savepointAt: null }));
  const committed = new Set<string>();
  const rolledBack = new Set<string>();
  const delivered = new Map<string, number>();
  const ids: string[] = [];
  let operations = 0;
  let heldBack = 0;
  let skippedLocked = 0;
  let staleDeliveries = 0;
  const newestDelivered = new Map<string, bigint>();

  /** A write inside the writer's transaction, or autocommitted on its own. */
  const wrote = (w: number, seq: string) => {
    if (state[w]!.inTx) state[w]!.pending.push(seq);
    else committed.add(seq);
  };

  const pullOnce = async (limit: number): Promise<Page> => {
    const page = await pullPage(puller, clinicId, cursor, limit);
    operations++;
    // Every delivered seq is committed (checked below), so the sizes tell whether a committed change is still owed.
    const held = () => page.changes.length < limit && committed.size > delivered.size;
    if (page.changes.length === 0) {
      if (held()) heldBack++;
      return page;
    }
    for (const change of page.changes) {
      const seq = String(change.seq);
      if (!committed.has(seq)) {
        throw failure(`Delivered change ${seq}, which no committed transaction wrote`, { change, rolledBack: rolledBack.has(seq) });
      }
      delivered.set(seq, (delivered.get(seq) ?? 0) + 1);
      const newest = newestDelivered.get(change.id);
      if (newest !== undefined && newest > BigInt(seq)) staleDeliveries++;
      else newestDelivered.set(change.id, BigInt(seq));
    }
    if (held()) heldBack++;
    const last = page.changes[page.changes.length - 1]!;
    const next = { xid: String(last.xid), seq: String(last.seq) };
    if (!cache.applyChanges(page.changes, next)) throw new Error('The cache refused changes (it has no outbox entries)');
    cursor = next;
    return page;
  };

  const endTx = async (w: number, commit: boolean) => {
    const s = state[w]!;
    await writers[w]!.query(commit ? 'COMMIT' : 'ROLLBACK');
    for (const seq of s.pending) (commit ? committed : rolledBack).add(seq);
    s.inTx = false;
    s.pending = [];
    s.savepointAt = null;
    operations++;
  };

  try {
    for (const command of scenario.commands) {
      if (command.t === 'pull') {
        await pullOnce(command.limit);
        continue;
      }
      if (command.t === 'restartStation') {
        cache.close();
        cache = open(file);
        const stored = cache.readCursor();
        if (!stored) throw new Error('The restarted cache lost its cursor');
        cursor = stored;
        operations++;
        continue;
      }
      const w = command.w % writers.length;
      const client = writers[w]!;
      const s = state[w]!;
      switch (command.t) {
        case 'begin':
          if (s.inTx) continue;
          await client.query('BEGIN');
          s.inTx = true;
          break;
        case 'commit':
        case 'rollback':
          if (!s.inTx) continue;
          await endTx(w, command.t === 'commit');
          continue;
        case 'savepoint':
          if (!s.inTx) continue;
          await client.query('SAVEPOINT s');
          s.savepointAt = s.pending.length;
          break;
        case 'rollbackToSavepoint':
          if (!s.inTx || s.savepointAt === null) continue;
          await client.query('ROLLBACK TO SAVEPOINT s');
          for (const seq of s.pending.splice(s.savepointAt)) rolledBack.add(seq);
          break;
        case 'insert': {
          const id = randomUUID();
          ids.push(id);
          const code = `P${(++roomCounter).toString(36).toUpperCase()}`;
          const { rows } = await client.query<{ sync_seq: string }>(
            `INSERT INTO clinic.rooms (clinic_id, id, code, name) VALUES ($1, $2, $3, $4) RETURNING sync_seq::text`,
            [clinicId, id, code, `Room ${code}`],
          );
          wrote(w, rows[0]!.sync_seq);
          break;
        }
        case 'update': {
          if (ids.length === 0) continue;
          const id = ids[command.pick % ids.length]!;
          const { rows } = await client.query<{ sync_seq: string }>(
            `UPDATE clinic.rooms SET name = $3
              WHERE clinic_id = $1 AND id = (SELECT id FROM clinic.rooms WHERE clinic_id = $1 AND id = $2 FOR UPDATE SKIP LOCKED)
              RETURNING sync_seq::text`,
            [clinicId, id, `Room ${randomUUID().slice(0, 8)}`],
          );
          if (rows[0]) wrote(w, rows[0].sync_seq);
          else skippedLocked++;
          break;
        }
        case 'delete': {
          if (ids.length === 0) continue;
          const id = ids[command.pick % ids.length]!;
          const { rowCount } = await client.query(
            `DELETE FROM clinic.rooms
              WHERE clinic_id = $1 AND id = (SELECT id FROM clinic.rooms WHERE clinic_id = $1 AND id = $2 FOR UPDATE SKIP LOCKED)`,
            [clinicId, id],
          );
          if (rowCount) {
            // The trigger's nextval ran in this session; currval is session-local.
            const { rows } = await client.query<{ seq: string }>(`SELECT currval('sync.change_seq')::text AS seq`);
            wrote(w, rows[0]!.seq);
          } else {
            skippedLocked++;
          }
          break;
        }
      }
      operations++;
    }

    // Close what is still open, then pull to the end: until a page comes back empty with the horizon past a
    // transaction id taken after every writer finished.
    for (let w = 0; w < writers.length; w++) if (state[w]!.inTx) await endTx(w, scenario.finalCommit[w]!);
    const fence = BigInt((await admin.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await pullOnce(50);
      if (page.changes.length > 0) continue;
      if (page.horizon === null || page.horizon > fence) break;
      // The horizon is cluster-wide: another test file's open transaction can hold it back for a moment.
      if (Date.now() > deadline) throw new Error(`The horizon stayed at ${page.horizon}, below ${fence}`);
      await new Promise((r) => setTimeout(r, 10));
    }

    // (a) exactly once, nothing missed; (b) nothing rolled back.
    const twice = [...delivered].filter(([, n]) => n > 1).map(([seq]) => seq);
    if (twice.length > 0) throw failure('Changes delivered more than once', twice);
    const leaked = [...delivered.keys()].filter((seq) => rolledBack.has(seq));
    if (leaked.length > 0) throw failure('Changes of rolled-back (sub)transactions delivered', leaked);
    const missed = [...committed].filter((seq) => !delivered.has(seq));
    if (missed.length > 0) throw failure('Committed changes never delivered', { missed, cursor });
    const central = await admin.query<{ seq: string }>(
      `SELECT seq::text FROM sync.changes WHERE clinic_id = $1 AND table_name = 'rooms' AND seq > $2::bigint`,
      [clinicId, startSeq],
    );
    const centralSeqs = new Set(central.rows.map((r) => r.seq));
    if (centralSeqs.size !== committed.size || [...centralSeqs].some((seq) => !committed.has(seq))) {
      throw failure('The centre holds other changes than the model committed', {
        onlyCentral: [...centralSeqs].filter((seq) => !committed.has(seq)),
        onlyModel: [...committed].filter((seq) => !centralSeqs.has(seq)),
      });
    }

    // (c) the cache's rooms equal the centre's for every row the run touched; deleted rows absent, tombstoned.
    const centralRooms = await admin.query<{ id: string; name: string; sync_seq: string }>(
      `SELECT id, name, sync_seq::text FROM clinic.rooms WHERE clinic_id = $1 AND id = ANY ($2::uuid[]) ORDER BY id`,
      [clinicId, ids],
    );
    const expected = centralRooms.rows.map((r) => ({ id: r.id, name: r.name, sync_seq: Number(r.sync_seq) }));
    const idSet = new Set(ids);
    const cached = (cache.db.prepare('SELECT id, name, sync_seq FROM rooms ORDER BY id').all() as typeof expected).filter((r) =>
      idSet.has(r.id),
    );
    if (JSON.stringify(cached) !== JSON.stringify(expected)) throw failure('The cache differs from the centre', { cached, expected });
    const deletedCentral = await admin.query<{ row_id: string }>(
      `SELECT DISTINCT row_id FROM sync.changes WHERE clinic_id = $1 AND table_name = 'rooms' AND op = 'D' AND seq > $2::bigint ORDER BY row_id`,
      [clinicId, startSeq],
    );
    const tombstones = cache.db.prepare(`SELECT id FROM tombstones WHERE table_name = 'rooms' ORDER BY id`).pluck().all() as string[];
    const wantTombstones = deletedCentral.rows.map((r) => r.row_id);
    if (JSON.stringify(tombstones.filter((id) => idSet.has(id))) !== JSON.stringify(wantTombstones)) {
      throw failure('Tombstones differ from the centre’s deletes', { tombstones, wantTombstones });
    }
    return { operations, delivered: delivered.size, committed: committed.size, rolledBack: rolledBack.size, heldBack, skippedLocked, staleDeliveries };
  } finally {
    // A failed run must not leave a transaction open for the next (or a lock held).
    await Promise.all(writers.map((c) => c.query('ROLLBACK').catch(() => undefined)));
    cache.close();
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
}

// --- The tests -------------------------------------------------------------------------------------------------

let db: TestDatabase;
let env: Env;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  const connect = async () => {
    const client = new pg.Client({ connectionString: db.url, application_name: 'sync-property' });
    await client.connect();
    return client;
  };
  const admin = await connect();
  const puller = await connect();
  const writers = await Promise.all(Array.from({ length: MAX_WRITERS }, connect));
  const clinicId = (await admin.query<{ id: string }>(`SELECT id FROM clinic.clinics WHERE code = 'GFC-BDK'`)).rows[0]!.id;
  env = { admin, puller, writers, clinicId, dir: mkdtempSync(join(tmpdir(), 'sync-property-')) };
});

afterAll(async () => {
  if (env) {
    await Promise.all([env.admin, env.puller, ...env.writers].map((c) => c.end()));
    rmSync(env.dir, { recursive: true, force: true });
  }
  await db?.drop();
});

describe('change feed under concurrent writers (property)', () => {
  test('no missed, doubled or rolled-back change reaches the station cache', async () => {
    const totals: RunStats = { operations: 0, delivered: 0, committed: 0, rolledBack: 0, heldBack: 0, skippedLocked: 0, staleDeliveries: 0 };
    let runs = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(scenarioArb(500), async (scenario) => {
        const stats = await runScenario(env, scenario, feedPuller);
        runs++;
        for (const key of Object.keys(totals) as (keyof RunStats)[]) totals[key] += stats[key];
      }),
      { numRuns: 150 },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `sync property: ${totals.operations} operations in ${runs} runs (${seconds.toFixed(1)} s): ` +
        `${totals.committed} committed changes, all delivered exactly once (${totals.delivered}); ${totals.rolledBack} rolled back, none delivered; ` +
        `${totals.heldBack} pulls held back by the horizon; ${totals.skippedLocked} writes found their row gone or locked; ` +
        `${totals.staleDeliveries} changes arrived after a newer change of their row`,
    );
    expect(totals.operations).toBeGreaterThanOrEqual(10_000);
  }, 180_000);

  test('a writer that waited for a row lock gets the higher seq, even with the lower xid; the cache keeps its image', async () => {
    // The property test never waits for a row lock (SKIP LOCKED); this is the waiting case, by hand. w0 takes its
    // xid first, then queues behind w1's lock on room R. The feed hands out w0's transaction (lower xid) before
    // R's own INSERT and w1's update, so the cache sees R's newest image first and must keep it.
    const [w0, w1] = env.writers as [pg.Client, pg.Client];
    const { admin, clinicId } = env;
    const start = (await admin.query<{ xid: string; seq: string }>(`SELECT pg_current_xact_id()::text AS xid, nextval('sync.change_seq')::text AS seq`))
      .rows[0]!;
    const room = randomUUID();
    const insertRoom = (client: pg.Client, id: string) =>
      client.query(`INSERT INTO clinic.rooms (clinic_id, id, code, name) VALUES ($1, $2, $3, 'Lock test')`, [
        clinicId,
        id,
        `L${(++roomCounter).toString(36).toUpperCase()}`,
      ]);
    const rename = (client: pg.Client, name: string) =>
      client.query<{ sync_seq: string }>(`UPDATE clinic.rooms SET name = $3 WHERE clinic_id = $1 AND id = $2 RETURNING sync_seq::text`, [
        clinicId,
        room,
        name,
      ]);
    await w0.query('BEGIN');
    await insertRoom(w0, randomUUID());
    await insertRoom(w1, room);
    await w1.query('BEGIN');
    const first = await rename(w1, 'Renamed by w1');
    const waiting = rename(w0, 'Renamed by w0');
    // Wait until w0 really queues behind w1's row lock.
    for (let i = 0; ; i++) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0]!.n > 0) break;
      if (i > 500) throw new Error('w0 never waited for the row lock');
      await new Promise((r) => setTimeout(r, 5));
    }
    await w1.query('COMMIT');
    const second = await waiting;
    await w0.query('COMMIT');
    expect(BigInt(second.rows[0]!.sync_seq)).toBeGreaterThan(BigInt(first.rows[0]!.sync_seq));

    const file = join(env.dir, 'lock-wait.sqlite');
    const cache = new Cache(file);
    try {
      let cursor: FeedCursor = { xid: start.xid, seq: start.seq };
      const order: string[] = [];
      const fence = BigInt((await admin.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const page = await feedPuller(env.puller, clinicId, cursor, 2);
        if (page.changes.length === 0) {
          if (page.horizon! > fence) break;
          if (Date.now() > deadline) throw new Error('The horizon never passed the test’s transactions');
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        for (const change of page.changes) if (change.id === room) order.push(`${change.op}:${change.row?.name as string}`);
        const last = page.changes[page.changes.length - 1]!;
        cursor = { xid: String(last.xid), seq: String(last.seq) };
        cache.applyChanges(page.changes, cursor);
      }
      // (xid, seq) order: w0's update of R (lowest xid) first, then R's insert, then w1's update.
      expect(order).toEqual(['U:Renamed by w0', 'U:Lock test', 'U:Renamed by w1']);
      const central = (await admin.query(`SELECT name, sync_seq::int AS sync_seq FROM clinic.rooms WHERE id = $1`, [room])).rows[0];
      expect(cache.db.prepare('SELECT name, sync_seq FROM rooms WHERE id = ?').get(room)).toEqual(central);
      expect(central.name).toBe('Renamed by w0');
    } finally {
      cache.close();
    }
  });

  test.each([
    ['a seq cursor', naivePuller],
    ['an (xid, seq) cursor', noHorizonPuller],
  ])('the property has teeth: a puller with %s but no horizon is caught', async (name, puller) => {
    const result = await fc.check(
      fc.asyncProperty(scenarioArb(60), async (scenario) => {
        await runScenario(env, scenario, puller);
      }),
      { numRuns: 200, seed: 4242, interruptAfterTimeLimit: 30_000 },
    );
    expect(result.failed).toBe(true);
    const [counterexample] = result.counterexample ?? [];
    console.log(
      `puller with ${name}, no horizon: counterexample after ${result.numRuns} runs, ${result.numShrinks} shrinks:\n` +
        `${JSON.stringify(counterexample)}\n${String(result.errorInstance).split('\n')[0]}`,
    );
    // Which way it breaks first depends on how the writers' commits interleave with the other test
    // files on the same cluster: a puller without a horizon both skips and re-delivers changes.
    expect(String(result.errorInstance)).toMatch(/never delivered|delivered more than once/);
  }, 120_000);

  test('the property has teeth: a cache that lets the last delivered image win is caught', async () => {
    const result = await fc.check(
      fc.asyncProperty(scenarioArb(300), async (scenario) => {
        await runScenario(env, scenario, feedPuller, (file) => new LastWriteWinsCache(file));
      }),
      { numRuns: 200, seed: 4242, interruptAfterTimeLimit: 30_000 },
    );
    expect(result.failed).toBe(true);
    const [counterexample] = result.counterexample ?? [];
    console.log(
      `last-write-wins cache: counterexample after ${result.numRuns} runs, ${result.numShrinks} shrinks:\n` +
        `${JSON.stringify(counterexample)}\n${String(result.errorInstance).split('\n')[0]}`,
    );
    expect(String(result.errorInstance)).toMatch(/cache differs from the centre|Tombstones differ/);
  }, 120_000);
});
