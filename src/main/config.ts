import type { StationRole } from '../shared/contract';
import type { FieldCrypto } from './crypto/field-crypto';
import type { DeviceOptions } from './devices/service';

export interface StationConfig {
  /** The station's own folder: its SQLite cache lives here, as on a real PC. */
  dataDir: string;
  stationCode: string;
  role: StationRole;
  clinicCode: string;
  /** The consult room this station sits in (consult stations only), e.g. 'R1'. */
  roomCode?: string;
  /** The central gateway's address (https://…): a station holds no database credential. */
  gatewayUrl: string;
  /** The CA certificate (PEM) the gateway's certificate must chain to; unset means the system's trust store. */
  gatewayCa?: string | null;
  crypto: FieldCrypto;
  /** The timer pull that keeps a station correct when a notification is lost. */
  pollIntervalMs?: number;
  /** How often the cache's partitions are compared with the centre's. */
  verifyIntervalMs?: number;
  /** Rows per page of the initial load. */
  initialPageSize?: number;
  now?: () => Date;
  /** Serial binding and printer timings; tests swap in mocks. */
  devices?: DeviceOptions;
}
