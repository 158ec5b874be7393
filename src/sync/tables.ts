import { addDays, clinicDay, clinicDayStart } from '../shared/clinic-day';

/**
 * The central tables a station mirrors, and the columns it reads on the initial load. The change
 * feed carries the same columns (its row images leave out the secret ones). Secret columns
 * (password hashes, session token hashes, encrypted NRIC) are never granted to stations.
 */
export interface SyncedTable {
  name: SyncedTableName;
  columns: readonly string[];
  /**
   * The rows a station holds of a table that grows every day: from yesterday on. Later changes to
   * older rows still arrive through the feed. Stated as a column and kind rather than SQL so the
   * centre and the SQLite cache select exactly the same rows when their digests are compared.
   */
  window?: { column: string; kind: 'date' | 'timestamp' };
  /** Loaded first so the queue is usable while the rest is still arriving. */
  urgent?: boolean;
}

export type SyncedTableName =
  | 'clinics'
  | 'doctors'
  | 'rooms'
  | 'patients'
  | 'appointments'
  | 'queue_tickets'
  | 'queue_calls';

/** The lower bound of a table's window at `now`, as both databases compare it. */
export function windowStart(kind: 'date' | 'timestamp', now: Date): string {
  const yesterday = addDays(clinicDay(now), -1);
  return kind === 'date' ? yesterday : clinicDayStart(yesterday).toISOString();
}

export const syncedTables: Record<SyncedTableName, SyncedTable> = {
  clinics: { name: 'clinics', columns: ['id', 'code', 'name', 'address', 'phone', 'gst_reg_no', 'sync_seq'] },
  doctors: {
    name: 'doctors',
    columns: ['clinic_id', 'id', 'user_id', 'full_name', 'mcr_number', 'specialty', 'is_active', 'sync_seq'],
  },
  rooms: { name: 'rooms', columns: ['clinic_id', 'id', 'code', 'name', 'is_active', 'sync_seq'] },
  queue_tickets: {
    name: 'queue_tickets',
    urgent: true,
    window: { column: 'service_date', kind: 'date' },
    columns: [
      'clinic_id',
      'id',
      'service_date',
      'ticket_number',
      'desk_letter',
      'desk_seq',
      'patient_id',
      'appointment_id',
      'doctor_id',
      'kind',
      'priority',
      'status',
      'issued_at',
      'queued_at',
      'due_at',
      'called_at',
      'called_by_doctor_id',
      'room_id',
      'recall_count',
      'completed_at',
      'sync_seq',
    ],
  },
  queue_calls: {
    name: 'queue_calls',
    urgent: true,
    window: { column: 'called_at', kind: 'timestamp' },
    columns: ['clinic_id', 'id', 'ticket_id', 'ticket_number', 'room_id', 'doctor_id', 'kind', 'called_at', 'sync_seq'],
  },
  appointments: {
    name: 'appointments',
    urgent: true,
    window: { column: 'starts_at', kind: 'timestamp' },
    columns: [
      'clinic_id',
      'id',
      'appointment_number',
      'patient_id',
      'doctor_id',
      'starts_at',
      'ends_at',
      'status',
      'reason',
      'sync_seq',
    ],
  },
  patients: {
    name: 'patients',
    columns: [
      'clinic_id',
      'id',
      'nric_hash',
      'nric_masked',
      'id_type',
      'full_name',
      'native_name',
      'date_of_birth',
      'gender',
      'phone',
      'sync_seq',
    ],
  },
};

/** What each station role mirrors: the display never holds a patient's name. */
export const tablesForRole: Record<'reception' | 'consult' | 'display', SyncedTableName[]> = {
  reception: ['clinics', 'doctors', 'rooms', 'queue_tickets', 'queue_calls', 'appointments', 'patients'],
  consult: ['clinics', 'doctors', 'rooms', 'queue_tickets', 'queue_calls', 'appointments', 'patients'],
  display: ['clinics', 'rooms', 'queue_tickets', 'queue_calls'],
};

/** Rows are split into 16 partitions by the first hex digit of their id for verification and repair. */
export const PARTITIONS = '0123456789abcdef'.split('');
