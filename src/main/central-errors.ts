import { ApiError } from '../shared/contract';
import { CentralError } from '../sync/central';

/** The centre's refusal as the contract's error: the code a screen acts on, the centre's plain message. */
export function apiErrorFromCentral(error: CentralError): ApiError {
  if (error.kind === 'transient') return new ApiError('offline', error.message);
  if (error.kind === 'unauthenticated') return new ApiError('not_signed_in', error.message);
  const byCode: Record<string, ApiError['code']> = { GC400: 'validation', GC403: 'forbidden', GC404: 'not_found', GC409: 'conflict', GC422: 'conflict' };
  return new ApiError(byCode[error.code] ?? 'internal', error.message);
}

/** Anything thrown below a handler, as an ApiError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof CentralError) return apiErrorFromCentral(error);
  return new ApiError('internal', error instanceof Error ? error.message : String(error));
}
