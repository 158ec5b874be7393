import { addDays, clinicDay, clinicDayStart } from '../shared/clinic-day';

/**
 * A central table a station mirrors, and the columns it reads on the initial load. The change
 * feed carries the same columns (its row images leave out the secret ones). Secret columns
 * (password hashes, session token hashes, encrypted NRIC) are never granted to stations. The
 * station core derives these from its cache table definitions.
 */
export interface SyncedTable {
  name: string;
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

/** The lower bound of a table's window at `now`, as both databases compare it. */
export function windowStart(kind: 'date' | 'timestamp', now: Date): string {
  const yesterday = addDays(clinicDay(now), -1);
  return kind === 'date' ? yesterday : clinicDayStart(yesterday).toISOString();
}

/** Rows are split into 16 partitions by the first hex digit of their id for verification and repair. */
export const PARTITIONS = '0123456789abcdef'.split('');
