/*
 * How an enrolled station proves who it is on every request to the gateway (issue 9, DESIGN §8). At enrolment the
 * station makes an Ed25519 key pair and the gateway records the public key with the station's clinic and role.
 * Every request then carries these headers; the signature covers the method, the path with its query, the time,
 * a one-off nonce and the SHA-256 of the exact body bytes, so none of them can be changed or replayed.
 */

export const STATION_AUTH_HEADERS = {
  station: 'x-gabriel-station',
  time: 'x-gabriel-time',
  nonce: 'x-gabriel-nonce',
  signature: 'x-gabriel-signature',
} as const;

/** How far a request's time may be from the gateway's clock; a nonce is remembered at least this long. */
export const SIGNATURE_MAX_SKEW_MS = 60_000;

export interface SignedParts {
  method: string;
  /** The path and query exactly as sent, e.g. `/v1/sync/pull`. */
  path: string;
  /** Milliseconds since the epoch, as decimal digits. */
  time: string;
  /** 16 random bytes, base64url. */
  nonce: string;
  /** SHA-256 of the body bytes, hex (of the empty string for a body-less request). */
  bodySha256: string;
}

/** The exact text that is signed and verified: one field per line, so no field can bleed into the next. */
export function canonicalRequest(parts: SignedParts): string {
  return ['gabriel-station-v1', parts.method.toUpperCase(), parts.path, parts.time, parts.nonce, parts.bodySha256].join('\n');
}
