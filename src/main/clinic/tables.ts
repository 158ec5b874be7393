import { defineTable, integer, text } from '../cache/table';

/** The clinic itself, its doctors and its rooms, mirrored from the centre. */

export const clinics = defineTable({
  name: 'clinics',
  columns: {
    id: text(),
    code: text(),
    name: text(),
    address: text.nullable(),
    phone: text.nullable(),
    gst_reg_no: text.nullable(),
    sync_seq: integer({ default: 0 }),
  },
  primaryKey: ['id'],
  sync: {},
});

export const doctors = defineTable({
  name: 'doctors',
  columns: {
    clinic_id: text(),
    id: text(),
    user_id: text.nullable(),
    full_name: text(),
    mcr_number: text(),
    specialty: text.nullable(),
    is_active: integer({ default: 1 }),
    sync_seq: integer({ default: 0 }),
  },
  primaryKey: ['clinic_id', 'id'],
  sync: {},
});

export const rooms = defineTable({
  name: 'rooms',
  columns: {
    clinic_id: text(),
    id: text(),
    code: text(),
    name: text(),
    is_active: integer({ default: 1 }),
    sync_seq: integer({ default: 0 }),
  },
  primaryKey: ['clinic_id', 'id'],
  sync: {},
});

export const clinicTables = [clinics, doctors, rooms] as const;
