import { z } from 'zod';
import { apiErrorSchema, stationRoleSchema } from '../../shared/contract';
import { stationIdentitySchema } from '../enrolment/identity';

/*
 * The station contract carried over a message port between a host (the Electron main process, or
 * a test) and a station core in its own process. Both sides parse what they receive with these
 * schemas: a process boundary is a trust boundary like any other, and a malformed message must
 * become a clear error, never a crash deep inside a handler.
 */

/**
 * What a core process needs to build its StationCore. Plain JSON, because it crosses a process
 * boundary. The identity comes as the path of its 0600 file, or -- when the app keeps it encrypted
 * with safeStorage, which only the main process can open -- decrypted, over the app's own port, in
 * memory only.
 */
export const coreConfigSchema = z
  .object({
    dataDir: z.string().min(1, 'dataDir is required'),
    /** The station the host means to run: the identity file must be this station's, or the core refuses it. */
    stationCode: z.string().min(1, 'stationCode is required'),
    role: stationRoleSchema,
    /** The enrolled station's identity file (0600): gateway, CA, station key, clinic and role. */
    identityFile: z.string().min(1).optional(),
    identity: stationIdentitySchema.optional(),
    keyFile: z.string().min(1, 'keyFile is required'),
    pollIntervalMs: z.number().int().positive().optional(),
    verifyIntervalMs: z.number().int().positive().optional(),
    initialPageSize: z.number().int().positive().optional(),
  })
  .strict()
  .refine((config) => (config.identityFile === undefined) !== (config.identity === undefined), {
    message: 'give the station identity either as identityFile or as identity, not both or neither',
    path: ['identityFile'],
  });
export type CoreConfig = z.infer<typeof coreConfigSchema>;

/** The first message a core process receives, on its parent link; in Electron it carries the contract's port. */
export const initMessageSchema = z.object({ type: z.literal('init'), config: coreConfigSchema }).strict();
export type InitMessage = z.infer<typeof initMessageSchema>;

const requestId = z.number().int().nonnegative();

export const toCoreSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: requestId, method: z.string().min(1), input: z.unknown() }).strict(),
  /** Stop syncing, close the cache, answer `stopped`, then exit. */
  z.object({ type: z.literal('stop') }).strict(),
]);
export type ToCore = z.infer<typeof toCoreSchema>;

export const fromCoreSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started') }).strict(),
  /** The core could not start; it exits after sending this. */
  z.object({ type: z.literal('failed'), error: apiErrorSchema }).strict(),
  z.discriminatedUnion('ok', [
    z.object({ type: z.literal('result'), id: requestId, ok: z.literal(true), value: z.unknown() }).strict(),
    z.object({ type: z.literal('result'), id: requestId, ok: z.literal(false), error: apiErrorSchema }).strict(),
  ]),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }).strict(),
  /** A message the core could not read at all (no request id to answer). */
  z.object({ type: z.literal('rejected'), error: apiErrorSchema }).strict(),
  z.object({ type: z.literal('stopped') }).strict(),
]);
export type FromCore = z.infer<typeof fromCoreSchema>;
