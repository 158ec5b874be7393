import { z } from 'zod';

/*
 * The clinic manager's station directory (reception stations, clinic admins): every PC of the clinic, a one-time
 * code for a new PC, and revoking a lost or replaced one. Codes and revocations are decided by the centre at once,
 * never queued: a code that only exists in an outbox enrols nobody, and a stolen PC must be refused now.
 */

const stationRole = z.enum(['reception', 'consult', 'display']);
const isoDateTime = z.iso.datetime({ offset: true });
export const STATION_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export const clinicStationSchema = z.object({
  code: z.string(),
  role: stationRole,
  deskLetter: z.string().nullable(),
  /** The consult room, by name, for a consult station enrolled into one. */
  roomName: z.string().nullable(),
  /** null: made as a code but no PC has enrolled with it yet (or before enrolment existed). */
  enrolledAt: isoDateTime.nullable(),
  revokedAt: isoDateTime.nullable(),
  /** The PC this screen runs on (which cannot revoke itself from here). */
  thisStation: z.boolean(),
});
export type ClinicStation = z.infer<typeof clinicStationSchema>;

export const stationDirectorySchema = z.object({
  stations: z.array(clinicStationSchema),
  /** The active consult rooms a new consult PC can be enrolled into. */
  rooms: z.array(z.object({ code: z.string(), name: z.string() })),
  /** What the new PC's first-run screen asks for, besides the code. */
  gatewayUrl: z.string(),
});
export type StationDirectory = z.infer<typeof stationDirectorySchema>;

export const enrolmentCodeSchema = z.object({
  /** Shown once, typed at the new PC's first-run screen; the centre keeps only its hash. */
  code: z.string(),
  stationCode: z.string(),
  role: stationRole,
  roomCode: z.string().nullable(),
  expiresAt: isoDateTime,
});
export type EnrolmentCode = z.infer<typeof enrolmentCodeSchema>;

export const stationAdminMethods = {
  'stations.list': { input: z.object({}), output: stationDirectorySchema },
  'stations.createEnrolmentCode': {
    input: z
      .object({
        role: stationRole,
        /** Empty: the centre names it (RECEPTION-3, the next free number of that role). */
        stationCode: z
          .string()
          .trim()
          .regex(STATION_CODE_PATTERN, 'Station code must be 1 to 40 letters, digits, dots, dashes or underscores')
          .optional()
          .or(z.literal('').transform(() => undefined)),
        roomCode: z.string().trim().min(1).max(10).optional(),
        expiresHours: z.number().int().min(1, 'A code lasts at least 1 hour').max(720, 'A code lasts at most 30 days (720 hours)').default(24),
      })
      .superRefine((input, context) => {
        if (input.role === 'consult' && !input.roomCode) context.addIssue({ code: 'custom', path: ['roomCode'], message: 'Choose the consult room this PC sits in' });
        if (input.role !== 'consult' && input.roomCode) context.addIssue({ code: 'custom', path: ['roomCode'], message: 'Only a consult station sits in a room' });
      }),
    output: enrolmentCodeSchema,
  },
  'stations.revoke': {
    input: z.object({
      stationCode: z.string().trim().regex(STATION_CODE_PATTERN, 'Station code is not valid'),
      reason: z.string().trim().min(1, 'Say why the station is revoked').max(200, 'The reason can be at most 200 characters'),
    }),
    output: z.object({ stationCode: z.string(), sessionsRevoked: z.number().int().nonnegative() }),
  },
} as const;
