import type { StationRole } from '../shared/contract';
import type { SyncedTable } from '../sync/tables';
import { appointmentTables } from './appointments/tables';
import { cacheTables } from './cache/tables';
import { syncedTableOf, type SchemaOf, type TableDefinition } from './cache/table';
import { clinicTables } from './clinic/tables';
import { deviceTables } from './devices/tables';
import { patientTables } from './patients/tables';
import { queueTables } from './queue/tables';

/** Every table of the station cache, gathered from the domains that own them. */
export const stationTables = [...cacheTables, ...clinicTables, ...patientTables, ...appointmentTables, ...queueTables, ...deviceTables] as const;

export type StationSchema = SchemaOf<typeof stationTables>;
export type TableName = keyof StationSchema & string;

export const mirroredTables: readonly TableDefinition[] = stationTables.filter((table) => table.sync !== undefined);

const mirrored = (names: TableName[]): SyncedTable[] =>
  names.map((name) => {
    const table = mirroredTables.find((t) => t.name === name);
    if (!table) throw new Error(`Table ${name} is not mirrored from the centre.`);
    return syncedTableOf(table);
  });

const clinicWide: TableName[] = ['clinics', 'doctors', 'rooms', 'queue_tickets', 'queue_calls', 'appointments', 'patients'];

/** What each station role mirrors: the display never holds a patient's name. */
export const tablesForRole: Record<StationRole, SyncedTable[]> = {
  reception: mirrored([...clinicWide, 'stations']),
  consult: mirrored(clinicWide),
  display: mirrored(['clinics', 'rooms', 'queue_tickets', 'queue_calls']),
};
