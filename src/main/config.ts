import type { FieldCrypto } from './crypto/field-crypto';
import type { DeviceOptions } from './devices/service';
import type { StationIdentity } from './enrolment/identity';

export interface StationConfig {
  /** The station's own folder: its SQLite cache lives here, as on a real PC. */
  dataDir: string;
  /** Who this station is, fixed at enrolment: gateway, key, clinic, role, desk or room. No database credential. */
  identity: StationIdentity;
  crypto: FieldCrypto;
  /** The timer pull that keeps a station correct when a notification is lost. */
  pollIntervalMs?: number;
  /** How often the cache's partitions are compared with the centre's. */
  verifyIntervalMs?: number;
  /** How often the station checks whether the signed-in session needs extending at the centre. */
  sessionCheckIntervalMs?: number;
  /** Rows per page of the initial load. */
  initialPageSize?: number;
  now?: () => Date;
  /** Serial binding and printer timings; tests swap in mocks. */
  devices?: DeviceOptions;
}
