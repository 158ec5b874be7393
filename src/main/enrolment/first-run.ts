import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiError } from '../../shared/contract';
import type { FirstRunResult } from '../../shared/first-run-contract';
import { stationsFileSchema, type StationsFile } from '../../shared/station-list';
import { classifyFailure } from '../../sync/central';
import { apiErrorFromCentral } from '../central-errors';
import { enrolStation, IdentityFileError, parseIdentity, stationIdentitySchema, type StationIdentity } from './identity';

/*
 * A PC's first run in the Electron app: enrol at the gateway with the one-time code, keep the identity (with the
 * station's private key) encrypted by the operating system (Electron safeStorage: DPAPI on Windows, the Keychain on
 * macOS, the secret store on Linux), and write the station list the app starts from every time after. Nothing of
 * Electron is imported: the host passes its safeStorage in, and tests pass a fake of it.
 */

/** Electron's safeStorage, as far as the identity needs it. */
export interface SecretBox {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export const PROTECTED_IDENTITY_FILE = 'identity.safe';
export const FIRST_RUN_KEY_FILE = 'keys/local-key.json';

/** Written whole or not at all, 0600 from the first byte, like the plain identity file. */
function writePrivately(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

export function writeProtectedIdentity(path: string, identity: StationIdentity, box: SecretBox): void {
  writePrivately(path, box.encryptString(JSON.stringify(stationIdentitySchema.parse(identity))));
}

export function readProtectedIdentity(path: string, box: SecretBox): StationIdentity {
  let encrypted: Buffer;
  try {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
      throw new IdentityFileError(`The station identity ${path} can be read by other users of this PC; run chmod 600 on it.`);
    }
    encrypted = readFileSync(path);
  } catch (error) {
    if (error instanceof IdentityFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IdentityFileError(`This station is not enrolled yet: there is no ${path}.`);
    throw new IdentityFileError(`The station identity ${path} cannot be read: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = box.decryptString(encrypted);
  } catch {
    // safeStorage keys belong to the Windows user (or login keychain) that enrolled: another user, or a copied file,
    // cannot open it, which is the point.
    throw new IdentityFileError(
      `The station identity ${path} cannot be decrypted by this Windows user or PC. Sign in as the user who enrolled it, or revoke the station and enrol this PC again.`,
    );
  }
  return parseIdentity(text, path);
}

/** Why enrolment failed, as a person at the new PC can act on it. */
export function enrolmentFailure(error: unknown, gatewayUrl: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && /gateway address must be https/.test(error.message)) return new ApiError('validation', error.message);
  const failure = classifyFailure(error);
  if (failure.kind !== 'transient') return apiErrorFromCentral(failure);
  const untrusted = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE'];
  if (untrusted.includes(failure.code)) {
    return new ApiError('validation', `The gateway at ${gatewayUrl} has a certificate this PC does not trust. Paste your chain's CA certificate (ask the clinic manager), then try again.`);
  }
  if (failure.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new ApiError('validation', `The certificate at ${gatewayUrl} is for another address. Check the gateway address.`);
  if (failure.code === 'CERT_HAS_EXPIRED') return new ApiError('validation', `The gateway's certificate has expired. Tell the clinic manager; nothing was enrolled.`);
  return new ApiError('offline', `Cannot reach the gateway at ${gatewayUrl}. Check the address and this PC's network, then try again. (${failure.message})`);
}

export interface FirstRunPlaces {
  /** Electron's userData folder: the station list, its folders and the local key live here. */
  userData: string;
  stationsFile: string;
}

/**
 * Enrols this PC and records it: the protected identity in the station's folder, then the station list naming it.
 * The list is written last, so a failure anywhere leaves the PC unenrolled (first run again), never half-set-up.
 */
export async function enrolThisPc(
  input: { gatewayUrl: string; gatewayCaPem: string | null; code: string },
  places: FirstRunPlaces,
  box: SecretBox,
): Promise<FirstRunResult> {
  if (existsSync(places.stationsFile)) throw new ApiError('conflict', `This PC already has a station list (${places.stationsFile}); it is enrolled.`);
  if (!box.isEncryptionAvailable()) {
    throw new ApiError('internal', 'This PC cannot encrypt the station key with the operating system\'s protected storage, so it will not enrol. On Linux, install and unlock a secret store (GNOME Keyring or KWallet).');
  }
  let identity: StationIdentity;
  try {
    identity = await enrolStation(input);
  } catch (error) {
    throw enrolmentFailure(error, input.gatewayUrl);
  }
  const code = identity.station.code;
  const identityPath = join('stations', code, PROTECTED_IDENTITY_FILE);
  writeProtectedIdentity(join(places.userData, identityPath), identity, box);
  const list: StationsFile = {
    stations: [{ code, role: identity.station.role, keyFile: FIRST_RUN_KEY_FILE, identityFile: identityPath, identityProtection: 'safeStorage' }],
  };
  writePrivately(places.stationsFile, `${JSON.stringify(stationsFileSchema.parse(list), null, 2)}\n`);
  return { stationCode: code, role: identity.station.role, clinicName: identity.clinic.name };
}
