import { defineTable, integer, text } from '../cache/table';

const ftsColumns = 'full_name, native_name, nric_masked, phone_digits';
const ftsValues = (row: 'new' | 'old') => ftsColumns.split(', ').map((c) => `${row}.${c}`).join(', ');
// The first load writes tens of thousands of patients: keeping the trigram index in step row by
// row costs more than the rows themselves, so while meta 'fts_deferred' is set the triggers stand
// aside and the index is rebuilt once at the end (rebuildAfterFirstLoad).
const unlessDeferred = "WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred')";
const ftsInsert = `INSERT INTO patients_fts (rowid, ${ftsColumns}) VALUES (new.rowid, ${ftsValues('new')});`;
const ftsDelete = `INSERT INTO patients_fts (patients_fts, rowid, ${ftsColumns}) VALUES ('delete', old.rowid, ${ftsValues('old')});`;

export const patients = defineTable({
  name: 'patients',
  columns: {
    clinic_id: text(),
    id: text(),
    nric_hash: text(),
    nric_masked: text(),
    id_type: text(),
    full_name: text(),
    native_name: text.nullable(),
    date_of_birth: text(),
    gender: text(),
    phone: text.nullable(),
    phone_digits: text.nullable({ local: true }),
    sync_seq: integer({ default: 0 }),
    pending: integer({ default: 0, local: true }),
  },
  primaryKey: ['clinic_id', 'id'],
  ddl: [
    'CREATE UNIQUE INDEX IF NOT EXISTS patients_nric_hash ON patients (clinic_id, nric_hash)',
    'CREATE INDEX IF NOT EXISTS patients_name_prefix ON patients (full_name COLLATE NOCASE)',
    'CREATE INDEX IF NOT EXISTS patients_native_prefix ON patients (native_name)',
    // Substring search as you type (name, Chinese name, NRIC tail such as 567D, phone digits)
    // through a trigram index instead of a scan of every patient.
    `CREATE VIRTUAL TABLE IF NOT EXISTS patients_fts USING fts5(${ftsColumns}, content='patients', content_rowid='rowid', tokenize='trigram')`,
    `CREATE TRIGGER IF NOT EXISTS patients_fts_insert AFTER INSERT ON patients ${unlessDeferred} BEGIN ${ftsInsert} END`,
    `CREATE TRIGGER IF NOT EXISTS patients_fts_delete AFTER DELETE ON patients ${unlessDeferred} BEGIN ${ftsDelete} END`,
    `CREATE TRIGGER IF NOT EXISTS patients_fts_update AFTER UPDATE ON patients ${unlessDeferred} BEGIN ${ftsDelete} ${ftsInsert} END`,
  ],
  sync: {
    resultKey: 'patient',
    derive: (values) => {
      values.phone_digits = typeof values.phone === 'string' ? values.phone.replace(/\D/g, '') : null;
    },
    rebuildAfterFirstLoad: "INSERT INTO patients_fts (patients_fts) VALUES ('rebuild')",
  },
});

export const patientTables = [patients] as const;
