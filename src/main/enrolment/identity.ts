import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { stationRoleSchema } from '../../shared/contract';
import { Central } from '../../sync/central';
import { stationKeyFromPem, type StationKey } from '../../sync/station-key';

/*
 * What a PC knows after enrolment, and all it needs to start: the gateway's address and the CA it pins, its station
 * id and private key, and the clinic and role the centre fixed for it. No database address, no password. The
 * browser host and the demo keep it in a file only its owner can read (0600); the Electron app keeps the same JSON
 * encrypted with safeStorage.
 */

export const stationIdentitySchema = z
  .object({
    version: z.literal(1),
    gatewayUrl: z.url({ protocol: /^https?$/, error: 'gatewayUrl must be an https:// address' }),
    /** The CA the gateway's certificate must chain to; null trusts the system's store. */
    gatewayCaPem: z.string().min(1).nullable(),
    stationId: z.uuid(),
    privateKeyPem: z.string().includes('PRIVATE KEY', { error: 'privateKeyPem must be a PEM private key' }),
    clinic: z.object({ id: z.uuid(), code: z.string().min(1), name: z.string() }),
    station: z.object({
      code: z.string().min(1),
      role: stationRoleSchema,
      deskLetter: z.string().nullable(),
      roomId: z.uuid().nullable(),
    }),
    enrolledAt: z.string(),
  })
  .strict();
export type StationIdentity = z.infer<typeof stationIdentitySchema>;

export class IdentityFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityFileError';
  }
}

export function stationKeyOf(identity: StationIdentity): StationKey {
  return stationKeyFromPem(identity.stationId, identity.privateKeyPem);
}

/** Parses an identity from its JSON text, saying which field is wrong. */
export function parseIdentity(text: string, where: string): StationIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IdentityFileError(`The station identity ${where} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = stationIdentitySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IdentityFileError(`The station identity ${where} is not valid: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  stationKeyOf(parsed.data);
  return parsed.data;
}

/** Reads the identity file, refusing one that others on the PC could read: it holds the station's private key. */
export function readIdentityFile(path: string): StationIdentity {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IdentityFileError(`This station is not enrolled yet: there is no ${path}.`);
    throw new IdentityFileError(`The station identity ${path} cannot be read: ${(error as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new IdentityFileError(`The station identity ${path} can be read by other users of this PC (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it.`);
  }
  return parseIdentity(readFileSync(path, 'utf8'), path);
}

/** Written whole or not at all, readable only by its owner from the first byte. */
export function writeIdentityFile(path: string, identity: StationIdentity): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stationIdentitySchema.parse(identity), null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Enrols this PC at the gateway with a one-time code and returns what it must keep. */
export async function enrolStation(options: { gatewayUrl: string; gatewayCaPem: string | null; code: string; now?: () => Date }): Promise<StationIdentity> {
  const central = new Central({ gatewayUrl: options.gatewayUrl, ca: options.gatewayCaPem });
  try {
    const { enrolment, privateKeyPem } = await central.enrol(options.code);
    return {
      version: 1,
      gatewayUrl: options.gatewayUrl,
      gatewayCaPem: options.gatewayCaPem,
      stationId: enrolment.station.id,
      privateKeyPem,
      clinic: enrolment.clinic,
      station: {
        code: enrolment.station.code,
        role: stationRoleSchema.parse(enrolment.station.role),
        deskLetter: enrolment.station.desk_letter,
        roomId: enrolment.station.room_id,
      },
      enrolledAt: (options.now?.() ?? new Date()).toISOString(),
    };
  } finally {
    await central.close();
  }
}
