import { defineTable, integer, text } from '../cache/table';

export const appointments = defineTable({
  name: 'appointments',
  columns: {
    clinic_id: text(),
    id: text(),
    appointment_number: text(),
    patient_id: text(),
    doctor_id: text(),
    starts_at: text(),
    ends_at: text.nullable(),
    status: text(),
    reason: text.nullable(),
    sync_seq: integer({ default: 0 }),
    pending: integer({ default: 0, local: true }),
  },
  primaryKey: ['clinic_id', 'id'],
  ddl: ['CREATE INDEX IF NOT EXISTS appointments_start ON appointments (clinic_id, starts_at)'],
  sync: { urgent: true, window: { column: 'starts_at', kind: 'timestamp' }, resultKey: 'appointment' },
});

export const appointmentTables = [appointments] as const;
