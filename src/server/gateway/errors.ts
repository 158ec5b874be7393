import type { CentralFailureKind, ErrorBody } from '../../shared/central-contract';

/*
 * How a failure crosses to a station (DESIGN §8): a code, a plain message and the request's correlation id. The
 * centre's own refusals (SQLSTATE GC4xx, raised by procedures with clinic.fail) carry words written for staff and
 * pass through as they do to stations today; every other database message is internal and stays in the log.
 */

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly kind: CentralFailureKind = 'permanent',
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** SQLSTATE classes that mean "try again later", as src/sync/central.ts classifies them for stations. */
const TRANSIENT_CLASSES = ['08', '53', '57', '58', '40'];

const STATUS_BY_CENTRE_CODE: Record<string, number> = { GC400: 400, GC401: 401, GC403: 403, GC404: 404, GC409: 409 };

/** A database or network failure as the station should see it; `internal` says whether to log the original. */
export function fromDatabase(error: unknown): { failure: GatewayError; internal: boolean } {
  if (error instanceof GatewayError) return { failure: error, internal: false };
  const { code, message } = error as { code?: unknown; message?: unknown };
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
  if (sqlState?.startsWith('GC4') && typeof message === 'string') {
    const kind = sqlState === 'GC401' ? 'unauthenticated' : 'permanent';
    return { failure: new GatewayError(STATUS_BY_CENTRE_CODE[sqlState] ?? 422, sqlState, message, kind), internal: false };
  }
  if (sqlState ? TRANSIENT_CLASSES.includes(sqlState.slice(0, 2)) || sqlState === '55P03' || sqlState === '55000' : isNetworkFailure(error)) {
    return { failure: new GatewayError(503, 'UNAVAILABLE', 'The central database is busy or unreachable. Try again shortly.', 'transient'), internal: true };
  }
  if (!sqlState) return { failure: new GatewayError(500, 'INTERNAL', 'The centre could not answer this request.'), internal: true };
  if (sqlState === '42501') {
    return { failure: new GatewayError(403, 'FORBIDDEN', 'This station is not allowed to read or do that.'), internal: true };
  }
  if (sqlState === '42P01' || sqlState === '42703') {
    return { failure: new GatewayError(400, 'UNKNOWN_NAME', 'There is no such table or column at the centre.'), internal: true };
  }
  if (sqlState.startsWith('22')) {
    return { failure: new GatewayError(400, 'INVALID_DATA', 'A value in the request is not valid for the centre.'), internal: true };
  }
  return { failure: new GatewayError(500, 'INTERNAL', 'The centre could not answer this request.'), internal: true };
}

/**
 * Node's socket errors carry a system code (ECONNREFUSED, ETIMEDOUT…); pg's own pool and query timeouts and a
 * dropped connection carry none, only these words. Anything else without a SQLSTATE is a bug of the gateway: a
 * 500, not a "try again" that a station would retry for ever.
 */
function isNetworkFailure(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated|Query read timeout/.test(message);
}

export function errorBody(failure: GatewayError, correlationId: string): ErrorBody {
  return { code: failure.code, message: failure.message, kind: failure.kind, correlationId };
}
