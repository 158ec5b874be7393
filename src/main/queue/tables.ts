import { defineTable, integer, text } from '../cache/table';

export const queueTickets = defineTable({
  name: 'queue_tickets',
  columns: {
    clinic_id: text(),
    id: text(),
    service_date: text(),
    ticket_number: text(),
    desk_letter: text(),
    desk_seq: integer(),
    patient_id: text(),
    appointment_id: text.nullable(),
    doctor_id: text.nullable(),
    kind: text(),
    priority: integer(),
    status: text(),
    issued_at: text(),
    queued_at: text(),
    due_at: text.nullable(),
    called_at: text.nullable(),
    called_by_doctor_id: text.nullable(),
    room_id: text.nullable(),
    recall_count: integer({ default: 0 }),
    completed_at: text.nullable(),
    skipped_at: text.nullable(),
    cancel_reason: text.nullable(),
    sync_seq: integer({ default: 0 }),
    pending: integer({ default: 0, local: true }),
  },
  primaryKey: ['clinic_id', 'id'],
  ddl: [
    'CREATE INDEX IF NOT EXISTS queue_tickets_day ON queue_tickets (clinic_id, service_date, status)',
    'CREATE INDEX IF NOT EXISTS queue_tickets_desk ON queue_tickets (clinic_id, service_date, desk_letter, desk_seq)',
  ],
  sync: { urgent: true, window: { column: 'service_date', kind: 'date' }, resultKey: 'ticket' },
});

export const queueCalls = defineTable({
  name: 'queue_calls',
  columns: {
    clinic_id: text(),
    id: text(),
    ticket_id: text(),
    ticket_number: text(),
    room_id: text.nullable(),
    doctor_id: text.nullable(),
    kind: text(),
    called_at: text(),
    sync_seq: integer({ default: 0 }),
    pending: integer({ default: 0, local: true }),
  },
  primaryKey: ['clinic_id', 'id'],
  ddl: ['CREATE INDEX IF NOT EXISTS queue_calls_recent ON queue_calls (clinic_id, called_at)'],
  sync: { urgent: true, window: { column: 'called_at', kind: 'timestamp' }, resultKey: 'call', reportNewRows: true },
});

/** Each desk's own ticket counter per clinic day: numbers stay unique while offline. */
export const deskCounters = defineTable({
  name: 'desk_counters',
  columns: { service_date: text(), desk_letter: text(), last_seq: integer() },
  primaryKey: ['service_date', 'desk_letter'],
});

export const queueTables = [queueTickets, queueCalls, deskCounters] as const;
