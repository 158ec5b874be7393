import type { PrinterState } from '../../shared/devices-contract';

/**
 * ESC/POS real-time status (DLE EOT n). The printer answers each query with one byte even while
 * it is offline or out of paper; a byte whose fixed bits are wrong is not an answer to our query
 * (noise, or the reply to some other command), so it never changes what we believe.
 */

export const DLE_EOT = { printer: 1, offlineCause: 2, paperSensor: 4 } as const;
export type StatusQuery = (typeof DLE_EOT)[keyof typeof DLE_EOT];

export function statusQuery(n: StatusQuery): Uint8Array {
  return Uint8Array.of(0x10, 0x04, n);
}

/** Bits 0 and 7 are always 0, bits 1 and 4 always 1, in every DLE EOT reply. */
export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

export interface StatusFlags {
  online: boolean;
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  error: boolean;
}

export function decodeStatus(printer: number, offlineCause: number, paperSensor: number): StatusFlags {
  for (const [name, b] of [['DLE EOT 1', printer], ['DLE EOT 2', offlineCause], ['DLE EOT 4', paperSensor]] as const) {
    if (!isStatusByte(b)) throw new Error(`The printer's reply to ${name} (0x${b.toString(16).padStart(2, '0')}) is not a status byte.`);
  }
  return {
    online: (printer & 0x08) === 0,
    coverOpen: (offlineCause & 0x04) !== 0,
    // Paper end shows in the roll sensor (bits 5-6) and as "stopped for paper end" (bit 5 of DLE EOT 2).
    paperOut: (paperSensor & 0x60) !== 0 || (offlineCause & 0x20) !== 0,
    paperNearEnd: (paperSensor & 0x0c) !== 0,
    error: (offlineCause & 0x40) !== 0,
  };
}

/** The one state the UI shows: the most urgent thing a receptionist must fix first. */
export function stateOf(flags: StatusFlags): PrinterState {
  if (flags.coverOpen) return 'cover_open';
  if (flags.paperOut) return 'paper_out';
  if (flags.error) return 'error';
  if (!flags.online) return 'offline';
  if (flags.paperNearEnd) return 'paper_near_end';
  return 'ready';
}

/** Whether a job may be sent: near-end still prints. */
export function canPrint(state: PrinterState): boolean {
  return state === 'ready' || state === 'paper_near_end';
}
