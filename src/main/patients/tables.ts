import { patientSearchTerms } from '../../shared/patient-search';
import { defineTable, integer, text } from '../cache/table';

// The first load writes tens of thousands of patients: keeping the search index in step row by
// row costs more than the rows themselves, so while meta 'fts_deferred' is set the triggers stand
// aside and the index is rebuilt once at the end (rebuildIndexes).
const unlessDeferred = "WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred')";
const ftsInsert = 'INSERT INTO patients_search (rowid, search_terms) VALUES (new.rowid, new.search_terms);';
const ftsDelete = "INSERT INTO patients_search (patients_search, rowid, search_terms) VALUES ('delete', old.rowid, old.search_terms);";

/** The terms a row is found by (src/shared/patient-search.ts), space-separated for the FTS5 tokenizer. */
export function searchTermsOf(row: Partial<Record<'full_name' | 'native_name' | 'nric_masked' | 'phone', unknown>>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return patientSearchTerms({
    fullName: text(row.full_name) ?? '',
    nativeName: text(row.native_name),
    nricMasked: text(row.nric_masked) ?? '',
    phone: text(row.phone),
  }).join(' ');
}

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
    search_terms: text.nullable({ local: true }),
    sync_seq: integer({ default: 0 }),
    pending: integer({ default: 0, local: true }),
  },
  primaryKey: ['clinic_id', 'id'],
  ddl: [
    'CREATE UNIQUE INDEX IF NOT EXISTS patients_nric_hash ON patients (clinic_id, nric_hash)',
    'CREATE INDEX IF NOT EXISTS patients_name_prefix ON patients (full_name COLLATE NOCASE)',
    'CREATE INDEX IF NOT EXISTS patients_native_prefix ON patients (native_name)',
    // Term prefixes in any order as you type (name words, a Chinese given name, an NRIC tail such as
    // 567D, a phone number or its last four digits) through an index instead of a scan of every
    // patient. unicode61 splits on what src/shared/patient-search.ts splits on; the one- and
    // two-character prefix indexes keep the first keystrokes as fast as the later ones.
    `CREATE VIRTUAL TABLE IF NOT EXISTS patients_search USING fts5(search_terms, content='patients', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='1 2')`,
    `CREATE TRIGGER IF NOT EXISTS patients_search_insert AFTER INSERT ON patients ${unlessDeferred} BEGIN ${ftsInsert} END`,
    `CREATE TRIGGER IF NOT EXISTS patients_search_delete AFTER DELETE ON patients ${unlessDeferred} BEGIN ${ftsDelete} END`,
    `CREATE TRIGGER IF NOT EXISTS patients_search_update AFTER UPDATE ON patients ${unlessDeferred} BEGIN ${ftsDelete} ${ftsInsert} END`,
  ],
  upgrades: [
    {
      // Generation 6 finds words by prefix in any order instead of substrings of 3 or more characters, which
      // missed "Hui Yi Tan", "Yi" and 慧怡: the trigram index and the phone digits it read give way to search_terms.
      generation: 6,
      sql: [
        'DROP TRIGGER IF EXISTS patients_fts_insert',
        'DROP TRIGGER IF EXISTS patients_fts_delete',
        'DROP TRIGGER IF EXISTS patients_fts_update',
        'DROP TABLE IF EXISTS patients_fts',
        'ALTER TABLE patients DROP COLUMN phone_digits',
      ],
    },
  ],
  sync: {
    resultKey: 'patient',
    derive: (values) => {
      values.search_terms = searchTermsOf(values);
    },
    rebuildIndexes: "INSERT INTO patients_search (patients_search) VALUES ('rebuild')",
  },
});

export const patientTables = [patients] as const;
