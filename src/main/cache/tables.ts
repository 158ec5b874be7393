import { defineTable, integer, text } from './table';

/** The cache's own bookkeeping: settings and cursors, the outbox, refusals, and deletions seen. */

export const meta = defineTable({ name: 'meta', columns: { key: text(), value: text() }, primaryKey: ['key'] });

/** Rows the centre deleted, kept so a late older image cannot bring them back. */
export const tombstones = defineTable({
  name: 'tombstones',
  columns: { table_name: text(), id: text(), sync_seq: integer() },
  primaryKey: ['table_name', 'id'],
});

export const outbox = defineTable({
  name: 'outbox',
  columns: {
    seq: integer({ autoIncrement: true }),
    request_key: text({ unique: true }),
    procedure: text(),
    args: text(),
    session_token: text.nullable(),
    /** What to undo if the centre refuses: JSON list of steps. */
    undo: text(),
    created_at: text(),
  },
  primaryKey: ['seq'],
});

/** Work the centre refused for good, with the reason, for the "needs attention" list. */
export const rejections = defineTable({
  name: 'rejections',
  columns: {
    id: integer({ autoIncrement: true }),
    request_key: text({ unique: true }),
    procedure: text(),
    args: text(),
    code: text(),
    message: text(),
    created_at: text(),
    dismissed_at: text.nullable(),
  },
  primaryKey: ['id'],
});

export const cacheTables = [meta, tombstones, outbox, rejections] as const;
