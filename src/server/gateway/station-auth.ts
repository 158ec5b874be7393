import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { ENROLLING_STATION, centralRoutes, stationRoleSchema, type StationRole } from '../../shared/central-contract';
import { SIGNATURE_MAX_SKEW_MS, STATION_AUTH_HEADERS, canonicalRequest } from '../../shared/station-auth';
import { GatewayError } from './errors';
import type { Listener } from './listen';

/*
 * Every request but the protocol check and enrolment itself must be signed by an enrolled station's key
 * (src/shared/station-auth.ts): the gateway then knows the station, its clinic and its role from the signature
 * alone, and the routes use that instead of anything the request says.
 *
 * Keys are cached, and a revocation must still take effect at once: every gateway LISTENs on station_revoked and
 * drops that station's key, and while its LISTEN connection is down it caches nothing (a notification could be
 * missed) and forgets what it had. Nonces are remembered per gateway for twice the allowed clock skew, so a
 * replay to the same gateway is refused; a replay of a captured request to another gateway within the skew window
 * is the accepted gap — it can only repeat that exact request (same body), which is idempotent by its request key,
 * and capturing it needs a break of TLS.
 */

export interface VerifiedStation {
  id: string;
  clinicId: string;
  role: StationRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The enrolled station that signed this request (absent only on the unsigned routes). */
    station?: VerifiedStation;
    /** The body exactly as received: the signature covers these bytes, not a re-serialisation. */
    rawBody?: Buffer;
  }
}

const UNSIGNED_ROUTES = new Set([`GET ${centralRoutes.protocol.path}`, `POST ${centralRoutes.enrol.path}`]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
/** Even with LISTEN up, a cached key is re-read now and then: belt and braces against a lost notification. */
const KEY_CACHE_MS = 5 * 60_000;

interface CachedKey {
  station: VerifiedStation;
  key: KeyObject;
  revoked: boolean;
  until: number;
}

interface StationKeyRow {
  station_id: string;
  clinic_id: string;
  role: string;
  public_key: string;
  revoked: boolean;
}

const unauthenticated = (code: string, message: string) => new GatewayError(401, code, message, 'unauthenticated');

export interface StationAuthOptions {
  pool: pg.Pool;
  listener: Listener;
  now?: () => number;
}

export interface StationAuth {
  /** Checks the enrolment request's proof: signed, in time and not replayed, by the key it asks to enrol. */
  verifyEnrolment(request: FastifyRequest, publicKeyPem: string): void;
  close(): void;
}

export function registerStationAuth(app: FastifyInstance, options: StationAuthOptions): StationAuth {
  const now = options.now ?? Date.now;
  const keys = new Map<string, CachedKey>();
  // Bumped whenever keys are forgotten: a lookup that started before must not put back what was just dropped.
  let epoch = 0;
  const forget = (stationId?: string) => {
    epoch += 1;
    if (stationId === undefined) keys.clear();
    else keys.delete(stationId);
  };
  const unsubscribe = options.listener.subscribe('station_revoked', (stationId) => forget(stationId));
  const unwatch = options.listener.onConnectionChange(() => forget());

  const nonces = new Map<string, number>();
  const sweep = setInterval(() => {
    const t = now();
    for (const [nonce, until] of nonces) if (until < t) nonces.delete(nonce);
  }, SIGNATURE_MAX_SKEW_MS / 2);
  sweep.unref();

  // The signature covers the exact bytes sent, so they are kept before JSON parsing.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, {});
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch {
      done(new GatewayError(400, 'INVALID_REQUEST', 'body: the request is not valid JSON.'), undefined);
    }
  });

  async function stationKey(stationId: string): Promise<CachedKey | null> {
    const cached = keys.get(stationId);
    if (cached && cached.until > now()) return cached;
    const started = epoch;
    const { rows } = await options.pool.query<{ key: StationKeyRow | null }>('SELECT clinic.station_key($1) AS key', [stationId]);
    const row = rows[0]?.key;
    if (!row) return null;
    const entry: CachedKey = {
      station: { id: row.station_id, clinicId: row.clinic_id, role: stationRoleSchema.parse(row.role) },
      key: createPublicKey(row.public_key),
      revoked: row.revoked,
      until: now() + KEY_CACHE_MS,
    };
    if (options.listener.connected && started === epoch) keys.set(stationId, entry);
    return entry;
  }

  /** The signed headers, checked for shape and time; the signature itself is checked by the caller's key. */
  function signedParts(request: FastifyRequest) {
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const station = header(STATION_AUTH_HEADERS.station);
    const time = header(STATION_AUTH_HEADERS.time);
    const nonce = header(STATION_AUTH_HEADERS.nonce);
    const signature = header(STATION_AUTH_HEADERS.signature);
    if (!station || !time || !nonce || !signature) {
      throw unauthenticated('STATION_UNSIGNED', 'This request is not signed by an enrolled station. Enrol this PC first.');
    }
    if (!/^\d{1,16}$/.test(time) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) {
      throw unauthenticated('STATION_SIGNATURE_INVALID', "The station's signature on this request is not valid.");
    }
    const offBy = Number(time) - now();
    if (Math.abs(offBy) > SIGNATURE_MAX_SKEW_MS) {
      const seconds = Math.round(Math.abs(offBy) / 1000);
      throw unauthenticated(
        'STATION_CLOCK_SKEW',
        `This PC's clock is ${seconds} seconds ${offBy > 0 ? 'ahead of' : 'behind'} the centre's. Set the date and time right (synchronise with internet time) and try again.`,
      );
    }
    const text = canonicalRequest({
      method: request.method,
      path: request.url,
      time,
      nonce,
      bodySha256: createHash('sha256').update(request.rawBody ?? Buffer.alloc(0)).digest('hex'),
    });
    return { station, nonce, signature, text };
  }

  /** Verifies the signature, then remembers the nonce (only a correctly signed request may use one up). */
  function verifySigned(parts: ReturnType<typeof signedParts>, key: KeyObject): void {
    if (!verify(null, Buffer.from(parts.text), key, Buffer.from(parts.signature, 'base64'))) {
      throw unauthenticated('STATION_SIGNATURE_INVALID', "The station's signature on this request is not valid.");
    }
    const seen = `${parts.station}/${parts.nonce}`;
    if (nonces.has(seen)) {
      throw unauthenticated('STATION_REPLAYED', 'This request was already received once; a repeated copy is refused.');
    }
    nonces.set(seen, now() + 2 * SIGNATURE_MAX_SKEW_MS);
  }

  app.addHook('preHandler', async (request) => {
    if (UNSIGNED_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return;
    const parts = signedParts(request);
    if (!UUID.test(parts.station)) {
      throw unauthenticated('STATION_UNKNOWN', 'This station is not enrolled at the centre. Enrol this PC first.');
    }
    const entry = await stationKey(parts.station);
    if (!entry) throw unauthenticated('STATION_UNKNOWN', 'This station is not enrolled at the centre. Enrol this PC first.');
    verifySigned(parts, entry.key);
    if (entry.revoked) {
      throw new GatewayError(401, 'STATION_REVOKED', 'This station was revoked at the centre. It must be enrolled again before it can be used.', 'permanent');
    }
    request.station = entry.station;
  });

  return {
    verifyEnrolment(request, publicKeyPem) {
      const parts = signedParts(request);
      if (parts.station !== ENROLLING_STATION) {
        throw unauthenticated('STATION_SIGNATURE_INVALID', `An enrolment request is signed with station "${ENROLLING_STATION}".`);
      }
      let key: KeyObject;
      try {
        key = createPublicKey(publicKeyPem);
      } catch {
        throw new GatewayError(400, 'INVALID_REQUEST', 'publicKey: must be an Ed25519 public key (SPKI PEM).');
      }
      if (key.asymmetricKeyType !== 'ed25519') {
        throw new GatewayError(400, 'INVALID_REQUEST', 'publicKey: must be an Ed25519 public key (SPKI PEM).');
      }
      verifySigned(parts, key);
    },
    close() {
      clearInterval(sweep);
      unsubscribe();
      unwatch();
    },
  };
}
