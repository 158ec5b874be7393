import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { STATION_AUTH_HEADERS, canonicalRequest } from '../shared/station-auth';

/*
 * The station's half of request signing (src/shared/station-auth.ts). The private key never leaves the PC: it is
 * made here at enrolment and kept by the host (Electron safeStorage, or a 0600 file in the browser host); only the
 * public key goes to the gateway.
 */

export interface StationKey {
  /** The gateway's id for this station, fixed at enrolment. */
  stationId: string;
  privateKey: KeyObject;
}

/** A new Ed25519 key pair: the private key as PKCS#8 PEM (for the host to keep), the public key as SPKI PEM. */
export function generateStationKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function stationKeyFromPem(stationId: string, privateKeyPem: string): StationKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('The station key must be an Ed25519 private key.');
  return { stationId, privateKey };
}

export function publicKeyPemOf(key: StationKey): string {
  return createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The headers that authenticate one request; `body` must be the exact bytes sent ('' when there is none). */
export function signRequest(
  key: StationKey,
  method: string,
  path: string,
  body: string | Uint8Array,
  now: () => number = Date.now,
): Record<string, string> {
  const time = String(now());
  const nonce = randomBytes(16).toString('base64url');
  const text = canonicalRequest({ method, path, time, nonce, bodySha256: sha256Hex(body) });
  return {
    [STATION_AUTH_HEADERS.station]: key.stationId,
    [STATION_AUTH_HEADERS.time]: time,
    [STATION_AUTH_HEADERS.nonce]: nonce,
    [STATION_AUTH_HEADERS.signature]: sign(null, Buffer.from(text), key.privateKey).toString('base64'),
  };
}
