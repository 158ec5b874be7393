import type BetterSqlite3 from 'better-sqlite3';

/**
 * The cache's own schema versions, applied in order and recorded in PRAGMA user_version. Like the
 * central migrations, a landed entry is never edited: add a new one.
 */
export const localMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE clinics (
    id TEXT PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, address TEXT, phone TEXT, gst_reg_no TEXT,
    sync_seq INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE doctors (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT, full_name TEXT NOT NULL, mcr_number TEXT NOT NULL,
    specialty TEXT, is_active INTEGER NOT NULL DEFAULT 1, sync_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;

  CREATE TABLE rooms (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1, sync_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;

  CREATE TABLE patients (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, nric_hash TEXT NOT NULL, nric_masked TEXT NOT NULL,
    id_type TEXT NOT NULL, full_name TEXT NOT NULL, native_name TEXT, date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL, phone TEXT, phone_digits TEXT,
    sync_seq INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;
  CREATE UNIQUE INDEX patients_nric_hash ON patients (clinic_id, nric_hash);
  CREATE INDEX patients_name_prefix ON patients (full_name COLLATE NOCASE);
  CREATE INDEX patients_native_prefix ON patients (native_name);

  -- Substring search as you type (name, Chinese name, NRIC tail such as 567D, phone digits)
  -- through a trigram index instead of a scan of every patient.
  CREATE VIRTUAL TABLE patients_fts USING fts5(
    full_name, native_name, nric_masked, phone_digits,
    content='patients', content_rowid='rowid', tokenize='trigram'
  );
  CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients BEGIN
    INSERT INTO patients_fts (rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES (new.rowid, new.full_name, new.native_name, new.nric_masked, new.phone_digits);
  END;
  CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients BEGIN
    INSERT INTO patients_fts (patients_fts, rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES ('delete', old.rowid, old.full_name, old.native_name, old.nric_masked, old.phone_digits);
  END;
  CREATE TRIGGER patients_fts_update AFTER UPDATE ON patients BEGIN
    INSERT INTO patients_fts (patients_fts, rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES ('delete', old.rowid, old.full_name, old.native_name, old.nric_masked, old.phone_digits);
    INSERT INTO patients_fts (rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES (new.rowid, new.full_name, new.native_name, new.nric_masked, new.phone_digits);
  END;

  CREATE TABLE appointments (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, appointment_number TEXT NOT NULL, patient_id TEXT NOT NULL,
    doctor_id TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT, status TEXT NOT NULL, reason TEXT,
    sync_seq INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;
  CREATE INDEX appointments_start ON appointments (clinic_id, starts_at);

  CREATE TABLE queue_tickets (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, service_date TEXT NOT NULL, ticket_number TEXT NOT NULL,
    desk_letter TEXT NOT NULL, desk_seq INTEGER NOT NULL, patient_id TEXT NOT NULL, appointment_id TEXT,
    doctor_id TEXT, kind TEXT NOT NULL, priority INTEGER NOT NULL, status TEXT NOT NULL,
    issued_at TEXT NOT NULL, queued_at TEXT NOT NULL, due_at TEXT, called_at TEXT, called_by_doctor_id TEXT,
    room_id TEXT, recall_count INTEGER NOT NULL DEFAULT 0, completed_at TEXT,
    sync_seq INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;
  CREATE INDEX queue_tickets_day ON queue_tickets (clinic_id, service_date, status);
  CREATE INDEX queue_tickets_desk ON queue_tickets (clinic_id, service_date, desk_letter, desk_seq);

  CREATE TABLE queue_calls (
    clinic_id TEXT NOT NULL, id TEXT NOT NULL, ticket_id TEXT NOT NULL, ticket_number TEXT NOT NULL,
    room_id TEXT, doctor_id TEXT, kind TEXT NOT NULL, called_at TEXT NOT NULL,
    sync_seq INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (clinic_id, id)
  ) STRICT;
  CREATE INDEX queue_calls_recent ON queue_calls (clinic_id, called_at);

  CREATE TABLE tombstones (table_name TEXT NOT NULL, id TEXT NOT NULL, sync_seq INTEGER NOT NULL, PRIMARY KEY (table_name, id)) STRICT;

  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, request_key TEXT NOT NULL UNIQUE, procedure TEXT NOT NULL,
    args TEXT NOT NULL, session_token TEXT, undo TEXT NOT NULL, created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE rejections (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_key TEXT NOT NULL UNIQUE, procedure TEXT NOT NULL, args TEXT NOT NULL, code TEXT NOT NULL,
    message TEXT NOT NULL, created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE desk_counters (
    service_date TEXT NOT NULL, desk_letter TEXT NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (service_date, desk_letter)
  ) STRICT;
  `,
  `
  ALTER TABLE rejections ADD COLUMN dismissed_at TEXT;
  `,
  // Devices: configured printers and queue boards, and the persisted print queue (issue 5).
  `
  CREATE TABLE printers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('serial', 'tcp')),
    address TEXT NOT NULL, baud_rate INTEGER, paper_width INTEGER NOT NULL CHECK (paper_width IN (58, 80)),
    encoding TEXT NOT NULL CHECK (encoding IN ('gb18030', 'cp437')), created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE print_jobs (
    id TEXT PRIMARY KEY, printer_id TEXT NOT NULL, document TEXT NOT NULL, title TEXT NOT NULL,
    markup TEXT NOT NULL, paper_width INTEGER NOT NULL, encoding TEXT NOT NULL, bytes BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'printing', 'printed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT NOT NULL, printed_at TEXT
  ) STRICT;
  CREATE INDEX print_jobs_waiting ON print_jobs (printer_id, status, created_at);

  CREATE TABLE boards (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, driver TEXT NOT NULL, transport TEXT NOT NULL CHECK (transport IN ('serial', 'tcp')),
    address TEXT NOT NULL, baud_rate INTEGER, created_at TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- The first load writes tens of thousands of patients: keeping the trigram index in step row by
  -- row costs more than the rows themselves, so while meta 'fts_deferred' is set the triggers stand
  -- aside and the index is rebuilt once at the end (finishInitialSync).
  DROP TRIGGER patients_fts_insert;
  DROP TRIGGER patients_fts_delete;
  DROP TRIGGER patients_fts_update;
  CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients
  WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred') BEGIN
    INSERT INTO patients_fts (rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES (new.rowid, new.full_name, new.native_name, new.nric_masked, new.phone_digits);
  END;
  CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients
  WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred') BEGIN
    INSERT INTO patients_fts (patients_fts, rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES ('delete', old.rowid, old.full_name, old.native_name, old.nric_masked, old.phone_digits);
  END;
  CREATE TRIGGER patients_fts_update AFTER UPDATE ON patients
  WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred') BEGIN
    INSERT INTO patients_fts (patients_fts, rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES ('delete', old.rowid, old.full_name, old.native_name, old.nric_masked, old.phone_digits);
    INSERT INTO patients_fts (rowid, full_name, native_name, nric_masked, phone_digits)
    VALUES (new.rowid, new.full_name, new.native_name, new.nric_masked, new.phone_digits);
  END;
  `,
];

export function migrateCache(db: BetterSqlite3.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > localMigrations.length) {
    throw new Error(
      `This station's cache is at schema version ${from}, newer than this app (${localMigrations.length}). ` +
        'Install the newer app version again, or move the cache file aside to rebuild it from the centre.',
    );
  }
  for (let version = from; version < localMigrations.length; version += 1) {
    db.transaction(() => {
      db.exec(localMigrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return { from, to: localMigrations.length };
}
