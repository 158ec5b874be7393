/**
 * The station cache's tables. Mirrored tables keep the centre's column names and `sync_seq`, the
 * change-feed sequence of the image they hold, so an older image never overwrites a newer one.
 * `pending` marks rows written locally whose outbox entry the centre has not acknowledged yet.
 */
export interface CacheSchema {
  meta: { key: string; value: string };
  clinics: { id: string; code: string; name: string; address: string | null; phone: string | null; gst_reg_no: string | null; sync_seq: number };
  doctors: {
    clinic_id: string;
    id: string;
    user_id: string | null;
    full_name: string;
    mcr_number: string;
    specialty: string | null;
    is_active: number;
    sync_seq: number;
  };
  rooms: { clinic_id: string; id: string; code: string; name: string; is_active: number; sync_seq: number };
  patients: {
    clinic_id: string;
    id: string;
    nric_hash: string;
    nric_masked: string;
    id_type: string;
    full_name: string;
    native_name: string | null;
    date_of_birth: string;
    gender: string;
    phone: string | null;
    phone_digits: string | null;
    sync_seq: number;
    pending: number;
  };
  appointments: {
    clinic_id: string;
    id: string;
    appointment_number: string;
    patient_id: string;
    doctor_id: string;
    starts_at: string;
    ends_at: string | null;
    status: string;
    reason: string | null;
    sync_seq: number;
    pending: number;
  };
  queue_tickets: {
    clinic_id: string;
    id: string;
    service_date: string;
    ticket_number: string;
    desk_letter: string;
    desk_seq: number;
    patient_id: string;
    appointment_id: string | null;
    doctor_id: string | null;
    kind: string;
    priority: number;
    status: string;
    issued_at: string;
    queued_at: string;
    due_at: string | null;
    called_at: string | null;
    called_by_doctor_id: string | null;
    room_id: string | null;
    recall_count: number;
    completed_at: string | null;
    sync_seq: number;
    pending: number;
  };
  queue_calls: {
    clinic_id: string;
    id: string;
    ticket_id: string;
    ticket_number: string;
    room_id: string | null;
    doctor_id: string | null;
    kind: string;
    called_at: string;
    sync_seq: number;
    pending: number;
  };
  /** Rows the centre deleted, kept so a late older image cannot bring them back. */
  tombstones: { table_name: string; id: string; sync_seq: number };
  outbox: {
    seq: number;
    request_key: string;
    procedure: string;
    args: string;
    session_token: string | null;
    /** What to undo if the centre refuses: JSON {table, id, restore?}. */
    undo: string;
    created_at: string;
  };
  /** Work the centre refused for good, with the reason, for the "needs attention" list. */
  rejections: {
    id: number;
    request_key: string;
    procedure: string;
    args: string;
    code: string;
    message: string;
    created_at: string;
    dismissed_at: string | null;
  };
  desk_counters: { service_date: string; desk_letter: string; last_seq: number };
}
