import { blob, defineTable, integer, text } from '../cache/table';

/** This station's printers and queue boards, and its persisted print queue: never mirrored. */

export const printers = defineTable({
  name: 'printers',
  columns: {
    id: text(),
    name: text(),
    kind: text({ check: "CHECK (kind IN ('serial', 'tcp'))" }),
    address: text(),
    baud_rate: integer.nullable(),
    paper_width: integer({ check: 'CHECK (paper_width IN (58, 80))' }),
    encoding: text({ check: "CHECK (encoding IN ('gb18030', 'cp437'))" }),
    created_at: text(),
  },
  primaryKey: ['id'],
});

export const printJobs = defineTable({
  name: 'print_jobs',
  columns: {
    id: text(),
    printer_id: text(),
    document: text(),
    title: text(),
    markup: text(),
    paper_width: integer(),
    encoding: text(),
    bytes: blob(),
    status: text({ check: "CHECK (status IN ('queued', 'printing', 'printed', 'cancelled'))" }),
    attempts: integer({ default: 0 }),
    last_error: text.nullable(),
    created_at: text(),
    printed_at: text.nullable(),
  },
  primaryKey: ['id'],
  ddl: ['CREATE INDEX IF NOT EXISTS print_jobs_waiting ON print_jobs (printer_id, status, created_at)'],
});

export const boards = defineTable({
  name: 'boards',
  columns: {
    id: text(),
    name: text(),
    driver: text(),
    transport: text({ check: "CHECK (transport IN ('serial', 'tcp'))" }),
    address: text(),
    baud_rate: integer.nullable(),
    created_at: text(),
  },
  primaryKey: ['id'],
});

export const deviceTables = [printers, printJobs, boards] as const;
