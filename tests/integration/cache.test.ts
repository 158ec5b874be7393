import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Cache } from '../../src/main/cache/cache';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { CACHE_GENERATION, createTableSql, defineTable, integer, text } from '../../src/main/cache/table';
import { stationTables } from '../../src/main/schema';
import { CentralError } from '../../src/sync/central';

const clinicId = randomUUID();

/** An initial load of one table in one page. */
function load(cache: Cache, table: string, rows: Record<string, unknown>[], cursor: { xid: string; seq: string }) {
  const progress = { horizon: cursor.xid, windows: {}, tables: [{ table, afterId: null, loaded: rows.length, total: rows.length, done: true }], resumedAt: null };
  cache.saveInitialPage(table, rows, progress);
  cache.finishInitialSync(cursor);
}

function patientImage(overrides: Record<string, unknown> = {}) {
  return {
    clinic_id: clinicId,
    id: randomUUID(),
    nric_hash: randomUUID(),
    nric_masked: 'S****567D',
    id_type: 'NRIC',
    full_name: 'Tan Wei Ming',
    native_name: '陈伟明',
    date_of_birth: '1980-05-06',
    gender: 'male',
    phone: '+65 9123 4567',
    sync_seq: 10,
    ...overrides,
  };
}

describe('station cache (real SQLite file)', () => {
  let dir: string;
  let cache: Cache;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cache-test-'));
    cache = new Cache(join(dir, 'cache.sqlite'));
  });

  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records its schema version and refuses a cache from a newer app', () => {
    expect(cache.db.pragma('user_version', { simple: true })).toBe(CACHE_GENERATION);
    cache.db.pragma(`user_version = ${CACHE_GENERATION + 1}`);
    cache.close();
    expect(() => new Cache(join(dir, 'cache.sqlite'))).toThrow(/newer than this app/);
    cache = new Cache(join(dir, 'other.sqlite'));
  });

  /** Every table's columns as SQLite reports them, with type, required flag and default. */
  function layout(db: Database.Database): Record<string, string[]> {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'patients_fts%' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, (db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY name`).all(t) as object[]).map((c) => JSON.stringify(c))]),
    );
  }

  /** Tables declared after the hand-written migrations ended: an old cache gains them, empty, and nothing else changes. */
  const ADDED_SINCE_GENERATION_4 = ['stations'];
  const withoutAdded = (tables: Record<string, unknown>) => Object.fromEntries(Object.entries(tables).filter(([name]) => !ADDED_SINCE_GENERATION_4.includes(name)));

  it('opens a cache built by the old hand-written migrations with its rows and layout unchanged', () => {
    const file = join(dir, 'generation-4.sqlite');
    const old = new Database(file);
    old.exec(readFileSync(join(import.meta.dirname, '../fixtures/cache-generation-4.sql'), 'utf8'));
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO outbox (request_key, procedure, args, session_token, undo, created_at) VALUES ('k1', 'issue_ticket', '{}', 't', '[]', '2026-12-01T01:00:00Z')").run();
    const before = layout(old);
    const triggers = old.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").all();
    old.close();

    const reopened = new Cache(file);
    try {
      expect(withoutAdded(layout(reopened.db))).toEqual(before);
      expect(Object.keys(layout(reopened.db))).toEqual(expect.arrayContaining(ADDED_SINCE_GENERATION_4));
      expect(reopened.db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").all()).toEqual(triggers);
      expect(reopened.pendingCount()).toBe(1);
      expect(reopened.db.pragma('user_version', { simple: true })).toBe(CACHE_GENERATION);
    } finally {
      reopened.close();
    }
  });

  it('builds a new cache with the same layout the old migrations built', () => {
    const old = new Database(':memory:');
    old.exec(readFileSync(join(import.meta.dirname, '../fixtures/cache-generation-4.sql'), 'utf8'));
    expect(withoutAdded(layout(cache.db))).toEqual(layout(old));
    old.close();
  });

  it('adds a column declared later to an existing cache, keeping its rows', () => {
    const file = join(dir, 'grow.sqlite');
    const v1 = defineTable({ name: 'notes', columns: { id: text(), body: text() }, primaryKey: ['id'] });
    const first = new Cache(file, [...stationTables, v1]);
    first.db.prepare("INSERT INTO notes (id, body) VALUES ('n1', 'first')").run();
    first.close();
    const v2 = defineTable({ name: 'notes', columns: { id: text(), body: text(), author: text.nullable(), revision: integer({ default: 1 }) }, primaryKey: ['id'] });
    const second = new Cache(file, [...stationTables, v2]);
    try {
      expect(second.db.prepare('SELECT id, body, author, revision FROM notes').all()).toEqual([{ id: 'n1', body: 'first', author: null, revision: 1 }]);
    } finally {
      second.close();
    }
  });

  it('refuses to add a required column without a default, and a file whose columns this app cannot fill', () => {
    const file = join(dir, 'strict.sqlite');
    const v1 = defineTable({ name: 'notes', columns: { id: text() }, primaryKey: ['id'] });
    new Cache(file, [...stationTables, v1]).close();
    const required = defineTable({ name: 'notes', columns: { id: text(), body: text() }, primaryKey: ['id'] });
    expect(() => new Cache(file, [...stationTables, required])).toThrow(/cannot gain required column body without a default/);

    const newer = join(dir, 'newer.sqlite');
    const db = new Database(newer);
    db.exec(createTableSql(defineTable({ name: 'meta', columns: { key: text(), value: text(), written_by: text() }, primaryKey: ['key'] })));
    db.close();
    expect(() => new Cache(newer)).toThrow(/newer than this app/);
  });

  it('finds patients through the trigram index by name, Chinese name, NRIC tail and phone digits', () => {
    const tan = patientImage();
    const siti = patientImage({ full_name: 'Siti Nurhaliza binte Ahmad', native_name: null, nric_masked: 'T****210J', phone: '+65 8765 4321' });
    load(cache, 'patients', [tan, siti], { xid: '1', seq: '0' });
    const match = (term: string) =>
      cache.db
        .prepare('SELECT p.full_name FROM patients_fts f JOIN patients p ON p.rowid = f.rowid WHERE patients_fts MATCH ? ORDER BY p.full_name')
        .pluck()
        .all(`"${term}"`);
    expect(match('wei')).toEqual(['Tan Wei Ming']);
    expect(match('陈伟明')).toEqual(['Tan Wei Ming']);
    expect(match('210J')).toEqual(['Siti Nurhaliza binte Ahmad']);
    expect(match('87654')).toEqual(['Siti Nurhaliza binte Ahmad']);
    const plan = cache.db.prepare("EXPLAIN QUERY PLAN SELECT rowid FROM patients_fts WHERE patients_fts MATCH '\"wei\"'").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/VIRTUAL TABLE INDEX/);
  });

  it('keeps the newest image of a row whatever order images arrive in, and honours tombstones', () => {
    const row = patientImage({ sync_seq: 20, full_name: 'Newer Name' });
    load(cache, 'patients', [row], { xid: '100', seq: '0' });
    cache.applyChanges([{ seq: '15', xid: '99', table: 'patients', id: row.id, op: 'U', row: { ...row, full_name: 'Older Name' } }], { xid: '100', seq: '15' });
    expect(cache.readRow('patients', row.id)?.full_name).toBe('Newer Name');

    cache.applyChanges([{ seq: '30', xid: '101', table: 'patients', id: row.id, op: 'D', row: null }], { xid: '101', seq: '30' });
    expect(cache.readRow('patients', row.id)).toBeUndefined();
    cache.applyChanges([{ seq: '25', xid: '102', table: 'patients', id: row.id, op: 'U', row }], { xid: '102', seq: '25' });
    expect(cache.readRow('patients', row.id)).toBeUndefined();
    expect(cache.readCursor()).toEqual({ xid: '102', seq: '25' });
  });

  it('never applies server state while local writes wait in the outbox', () => {
    const row = patientImage();
    cache.enqueue(
      () => cache.writeRow('patients', row, { mode: 'local', pending: true }),
      () => ({ procedure: 'register_patient', args: { id: row.id }, sessionToken: 't', undo: [{ kind: 'delete', table: 'patients', id: row.id }] }),
    );
    const applied = cache.applyChanges([{ seq: '50', xid: '7', table: 'patients', id: row.id, op: 'U', row: { ...row, full_name: 'Server Name', sync_seq: 50 } }], { xid: '7', seq: '50' });
    expect(applied).toBe(false);
    expect(cache.readRow('patients', row.id)?.full_name).toBe('Tan Wei Ming');
    expect(cache.readCursor()).toBeNull();
  });

  it('writes a local change and its outbox entry together or not at all', () => {
    const row = patientImage();
    expect(() =>
      cache.enqueue(
        () => {
          cache.writeRow('patients', row, { mode: 'local', pending: true });
          throw new Error('disk full');
        },
        () => ({ procedure: 'register_patient', args: {}, sessionToken: null, undo: [] }),
      ),
    ).toThrow('disk full');
    expect(cache.readRow('patients', row.id)).toBeUndefined();
    expect(cache.pendingCount()).toBe(0);
  });

  it('takes an optimistic change back when the centre refuses it, and records why', () => {
    const row = patientImage();
    const { requestKey } = cache.enqueue(
      () => cache.writeRow('patients', row, { mode: 'local', pending: true }),
      () => ({ procedure: 'register_patient', args: { id: row.id }, sessionToken: 't', undo: [{ kind: 'delete', table: 'patients', id: row.id }] }),
    );
    const [entry] = cache.peek(10);
    cache.reject(entry!, new CentralError('permanent', 'GC409', 'A patient with NRIC S****567D is already registered.'));
    expect(cache.readRow('patients', row.id)).toBeUndefined();
    expect(cache.pendingCount()).toBe(0);
    expect(cache.rejectionOf(requestKey)).toMatchObject({ code: 'GC409', procedure: 'register_patient' });
  });

  it('replaces the optimistic row with the centre’s answer on acknowledgement', () => {
    const row = patientImage({ sync_seq: 0 });
    cache.enqueue(
      () => cache.writeRow('patients', row, { mode: 'local', pending: true }),
      () => ({ procedure: 'register_patient', args: {}, sessionToken: 't', undo: [] }),
    );
    expect(cache.readRow('patients', row.id)?.pending).toBe(1);
    const [entry] = cache.peek(10);
    cache.acknowledge(entry!, { patient: { ...row, sync_seq: 77 } });
    expect(cache.readRow('patients', row.id)).toMatchObject({ pending: 0, sync_seq: 77 });
    expect(cache.pendingCount()).toBe(0);
  });
});
