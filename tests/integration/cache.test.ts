import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Cache } from '../../src/main/cache/cache';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { CACHE_GENERATION, createTableSql, defineTable, integer, text } from '../../src/main/cache/table';
import { searchByTerms } from '../../src/main/patients/search';
import { stationTables } from '../../src/main/schema';
import { parsePatientQuery } from '../../src/shared/patient-search';
import { SEARCH_CASES, SEARCH_PEOPLE } from '../support/patient-search-cases';
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

  /** Every table's columns as SQLite reports them, with type, required flag and default (FTS5 tables aside). */
  function layout(db: Database.Database): Record<string, string[]> {
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'patients_fts%' AND name NOT LIKE 'patients_search%' ORDER BY name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, (db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY name`).all(t) as object[]).map((c) => JSON.stringify(c))]),
    );
  }

  /** Indexes, triggers and virtual tables with their SQL; plain tables by name (layout compares their columns). */
  const schemaObjects = (db: Database.Database) =>
    db
      .prepare("SELECT type, name, CASE WHEN sql LIKE 'CREATE TABLE%' THEN NULL ELSE sql END AS sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all();
  const column = (name: string, type: string) => JSON.stringify({ name, type, notnull: 0, dflt_value: null, pk: 0 });

  /** Since the hand-written migrations ended: a table added, and generation 6's patient search column for the digits. */
  const ADDED_SINCE_GENERATION_4 = ['stations'];
  function asGeneration4(tables: Record<string, string[]>): Record<string, string[]> {
    const old = Object.fromEntries(Object.entries(tables).filter(([name]) => !ADDED_SINCE_GENERATION_4.includes(name)));
    old.patients = [...old.patients!.filter((c) => c !== column('search_terms', 'TEXT')), column('phone_digits', 'TEXT')].sort();
    // Issue 11's queue corrections: a skip mark and a cancellation reason.
    old.queue_tickets = old.queue_tickets!.filter((c) => c !== column('skipped_at', 'TEXT') && c !== column('cancel_reason', 'TEXT'));
    return old;
  }

  function oldPatient(db: Database.Database, fullName: string, nativeName: string | null, phone: string): void {
    db.prepare(
      `INSERT INTO patients (clinic_id, id, nric_hash, nric_masked, id_type, full_name, native_name, date_of_birth, gender, phone, phone_digits, sync_seq)
       VALUES (?, ?, ?, 'S****567D', 'NRIC', ?, ?, '1988-10-07', 'female', ?, ?, 3)`,
    ).run(clinicId, randomUUID(), randomUUID(), fullName, nativeName, phone, phone.replace(/\D/g, ''));
  }

  const names = (found: { rows: { full_name: string }[] }) => found.rows.map((r) => r.full_name);

  it('brings a cache built by the old hand-written migrations to the declared layout, keeping its rows and finding its patients', () => {
    const file = join(dir, 'generation-4.sqlite');
    const old = new Database(file);
    old.exec(readFileSync(join(import.meta.dirname, '../fixtures/cache-generation-4.sql'), 'utf8'));
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO outbox (request_key, procedure, args, session_token, undo, created_at) VALUES ('k1', 'issue_ticket', '{}', 't', '[]', '2026-12-01T01:00:00Z')").run();
    oldPatient(old, 'Tan Hui Yi', '陈慧怡', '+65 9661 2840');
    oldPatient(old, 'Lim Mei Ling', null, '8234 1190');
    old.close();

    const reopened = new Cache(file);
    try {
      expect(layout(reopened.db)).toEqual(layout(cache.db));
      expect(schemaObjects(reopened.db)).toEqual(schemaObjects(cache.db));
      expect(reopened.pendingCount()).toBe(1);
      expect(reopened.db.pragma('user_version', { simple: true })).toBe(CACHE_GENERATION);
      // Rows written before the search column existed are found by it, through the index.
      expect(names(searchByTerms(reopened, clinicId, ['hui', 'yi', 'tan'], { limit: 5, offset: 0 }))).toEqual(['Tan Hui Yi']);
      expect(names(searchByTerms(reopened, clinicId, ['慧怡'], { limit: 5, offset: 0 }))).toEqual(['Tan Hui Yi']);
      expect(names(searchByTerms(reopened, clinicId, ['1190'], { limit: 5, offset: 0 }))).toEqual(['Lim Mei Ling']);
      reopened.db.exec("INSERT INTO patients_search (patients_search, rank) VALUES ('integrity-check', 1)");
    } finally {
      reopened.close();
    }
  });

  it('builds a new cache with the layout the old migrations built, but for what changed since', () => {
    const old = new Database(':memory:');
    old.exec(readFileSync(join(import.meta.dirname, '../fixtures/cache-generation-4.sql'), 'utf8'));
    expect(asGeneration4(layout(cache.db))).toEqual(layout(old));
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

  describe('patient search', () => {
    function loadPeople(): void {
      const rows = SEARCH_PEOPLE.map((p) => patientImage({ full_name: p.fullName, native_name: p.nativeName, nric_masked: p.nricMasked, phone: p.phone }));
      load(cache, 'patients', rows, { xid: '1', seq: '0' });
    }
    const keyOf = new Map(SEARCH_PEOPLE.map((p) => [p.fullName, p.key]));

    it.each(SEARCH_CASES)('the index finds for %s what the shared rule finds', (query, keys) => {
      loadPeople();
      const parsed = parsePatientQuery(query);
      const found = parsed.kind === 'terms' ? names(searchByTerms(cache, clinicId, parsed.terms, { limit: 50, offset: 0 })) : [];
      expect(found.map((name) => keyOf.get(name)).sort()).toEqual([...keys].sort());
    });

    it('keeps the index in step with rows that change and go', () => {
      loadPeople();
      const row = cache.db.prepare("SELECT * FROM patients WHERE full_name = 'Tan Hui Yi'").get() as Record<string, unknown>;
      cache.applyChanges([{ seq: '20', xid: '2', table: 'patients', id: String(row.id), op: 'U', row: { ...row, full_name: 'Ong Hui Yi', native_name: '王慧怡' } }], { xid: '2', seq: '20' });
      expect(names(searchByTerms(cache, clinicId, ['tan', 'hui'], { limit: 5, offset: 0 }))).toEqual([]);
      expect(names(searchByTerms(cache, clinicId, ['ong', '慧怡'], { limit: 5, offset: 0 }))).toEqual(['Ong Hui Yi']);
      cache.applyChanges([{ seq: '21', xid: '3', table: 'patients', id: String(row.id), op: 'D', row: null }], { xid: '3', seq: '21' });
      expect(names(searchByTerms(cache, clinicId, ['ong'], { limit: 5, offset: 0 }))).toEqual([]);
    });

    it('pages through the matches in name order and counts them all, through the index', () => {
      const rows = Array.from({ length: 57 }, (_, i) => patientImage({ full_name: `Tan Patient ${String(i).padStart(2, '0')}`, native_name: null }));
      load(cache, 'patients', [...rows, patientImage({ clinic_id: randomUUID(), full_name: 'Tan Elsewhere' })], { xid: '1', seq: '0' });
      const first = searchByTerms(cache, clinicId, ['tan'], { limit: 20, offset: 0 });
      const last = searchByTerms(cache, clinicId, ['tan'], { limit: 20, offset: 40 });
      expect(first.total).toBe(57);
      expect(names(first)).toEqual(rows.slice(0, 20).map((r) => r.full_name));
      expect(names(last)).toEqual(rows.slice(40).map((r) => r.full_name));
      expect(last.total).toBe(57);
      const plan = cache.db.prepare("EXPLAIN QUERY PLAN SELECT rowid FROM patients_search WHERE patients_search MATCH '\"tan\"*'").all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/VIRTUAL TABLE INDEX/);
    });
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
