import { randomInt } from 'node:crypto';
import pg from 'pg';

/*
 * The operator's side of station enrolment (migration 018, docs/gateway.md): `enrol` makes a one-time code for
 * one station of one clinic, to be typed at the new PC; `revoke-station` ends a lost or replaced PC and every
 * session open at it. Both run as the database owner, on the server: no station and no gateway can call them.
 */

export interface EnrolOptions {
  clinic: string;
  role: string;
  /** The station's code; the centre picks the next free one (RECEPTION-3) when absent. */
  stationCode?: string;
  /** The one-time code; a random one is made when absent, which is what an operator should normally use. */
  code?: string;
  room?: string;
  expiresHours: number;
}

/** Letters and digits nobody misreads on a phone call (no 0/O, 1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** 20 characters in groups of four (about 99 bits): easy to type, hopeless to guess. */
export function newEnrolmentCode(): string {
  const chars = Array.from({ length: 20 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return chars.join('').replace(/(.{4})(?=.)/g, '$1-');
}

async function asOwner<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gabriel-cli' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function enrolCommand(databaseUrl: string, options: EnrolOptions, log: (line: string) => void): Promise<void> {
  const code = options.code ?? newEnrolmentCode();
  const made = await asOwner(databaseUrl, async (client) => {
    const { rows } = await client.query<{ r: { station_code: string; station_role: string; room_code: string | null; expires_at: string; clinic: { code: string; name: string } } }>(
      'SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5, $6) AS r',
      [options.clinic, options.role, options.stationCode ?? null, code, options.room ?? null, options.expiresHours],
    );
    return rows[0]!.r;
  });
  log(
    `Enrolment code for ${made.station_role} station ${made.station_code}${made.room_code ? ` in room ${made.room_code}` : ''} ` +
      `of ${made.clinic.name} (${made.clinic.code}):\n\n    ${code}\n\n` +
      `Type it at the new PC when it asks to be enrolled. It works once, until ${new Date(made.expires_at).toLocaleString('en-SG', { timeZone: 'Asia/Singapore' })} (Singapore time). ` +
      'The centre keeps only a hash of it: write it down now.',
  );
}

export async function revokeStationCommand(
  databaseUrl: string,
  options: { clinic: string; stationCode: string; reason: string },
  log: (line: string) => void,
): Promise<void> {
  const revoked = await asOwner(databaseUrl, async (client) => {
    const { rows } = await client.query<{ r: { station_code: string; sessions_revoked: number } }>(
      'SELECT clinic.operator_revoke_station($1, $2, $3) AS r',
      [options.clinic, options.stationCode, options.reason],
    );
    return rows[0]!.r;
  });
  log(
    `Station ${revoked.station_code} of ${options.clinic.toUpperCase()} is revoked: every gateway refuses it from now on, and ` +
      `${revoked.sessions_revoked} open session${revoked.sessions_revoked === 1 ? ' was' : 's were'} ended. ` +
      `To put a new PC in its place, make a code for the same station code: npm run cli -- enrol --clinic ${options.clinic.toUpperCase()} --role … --station-code ${revoked.station_code}`,
  );
}
