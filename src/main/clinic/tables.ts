import { defineTable, integer, text } from '../cache/table';

/** The clinic itself, its doctors, rooms and stations, mirrored from the centre. */

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

/** The clinic's station directory, for the manager's Stations screen; keys and revocation reasons stay central. */
export const stations = defineTable({
  name: 'stations',
  columns: {
    clinic_id: text(),
    id: text(),
    code: text(),
    role: text(),
    desk_letter: text.nullable(),
    room_id: text.nullable(),
    enrolled_at: text.nullable(),
    revoked_at: text.nullable(),
    sync_seq: integer({ default: 0 }),
  },
  primaryKey: ['clinic_id', 'id'],
  sync: {},
});

export const clinicTables = [clinics, doctors, rooms, stations] as const;
