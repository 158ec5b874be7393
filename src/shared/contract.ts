import { z } from 'zod';
import { deviceEvents, deviceMethods } from './devices-contract';
import { genderSchema, patientRegistrationSchema } from './patient';
import { describeIssues } from './issue-text';
import { stationAdminMethods } from './station-admin-contract';

/**
 * The station API: one object mapping each method to its input and output schemas, plus the
 * events a station pushes. The preload builds `window.clinic` from it, the main process registers
 * handlers from it, the browser host serves it, and every payload is parsed on the receiving side.
 */

export const stationRoleSchema = z.enum(['reception', 'consult', 'display']);
export type StationRole = z.infer<typeof stationRoleSchema>;

/** Who is signed in at a station; `display` is the waiting-room screen's own device account. */
export const staffRoleSchema = z.enum(['receptionist', 'nurse', 'doctor', 'clinic_admin', 'chain_admin', 'display']);

export const queueStatusSchema = z.enum(['waiting', 'called', 'completed', 'skipped', 'no_show', 'cancelled']);
export type QueueStatus = z.infer<typeof queueStatusSchema>;

/** 0 = first come, 1 = elderly (80 and over, automatic), 2 = urgent (reception's choice). */
export const prioritySchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);

const uuid = z.uuid();
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

export const clinicSummarySchema = z.object({
  id: uuid,
  code: z.string(),
  name: z.string(),
});

export const doctorSchema = z.object({
  id: uuid,
  fullName: z.string(),
  mcrNumber: z.string(),
});

export const roomSchema = z.object({
  id: uuid,
  code: z.string(),
  name: z.string(),
});

export const stationInfoSchema = z.object({
  stationId: uuid,
  stationCode: z.string(),
  role: stationRoleSchema,
  clinic: clinicSummarySchema,
  /** The consult room this station sits in; null for reception and display. */
  room: roomSchema.nullable(),
  /** The letter this reception desk prefixes its ticket numbers with, once assigned by the centre. */
  deskLetter: z.string().length(1).nullable(),
});
export type StationInfo = z.infer<typeof stationInfoSchema>;

export const sessionSchema = z.object({
  userId: uuid,
  username: z.string(),
  fullName: z.string(),
  role: staffRoleSchema,
  /** Set when the signed-in user is a doctor. */
  doctor: doctorSchema.nullable(),
  expiresAt: isoDateTime,
});
export type Session = z.infer<typeof sessionSchema>;

export const patientSchema = z.object({
  id: uuid,
  fullName: z.string(),
  /** Name in its own script (e.g. 陈伟明), when the patient has one. */
  nativeName: z.string().nullable(),
  /** Always masked (S****567D); the full NRIC/FIN never leaves the centre in clear. */
  nricMasked: z.string(),
  dateOfBirth: isoDate,
  gender: genderSchema,
  phone: z.string().nullable(),
  /** True while the registration waits in the outbox. */
  pending: z.boolean(),
});
export type Patient = z.infer<typeof patientSchema>;

export const ticketSchema = z.object({
  id: uuid,
  ticketNumber: z.string(),
  serviceDate: isoDate,
  status: queueStatusSchema,
  priority: prioritySchema,
  kind: z.enum(['walk_in', 'appointment']),
  patientId: uuid,
  patientName: z.string(),
  patientAge: z.number().int().nonnegative(),
  /** The doctor the ticket waits for (or who called it); null: any doctor. */
  doctorId: uuid.nullable(),
  doctorName: z.string().nullable(),
  roomId: uuid.nullable(),
  roomName: z.string().nullable(),
  issuedAt: isoDateTime,
  /** Its place in the line: the issue time, or when a skip or reinstatement sent it to the back. */
  queuedAt: isoDateTime,
  /** Sent to the back of the line by a skip: called after everyone who was waiting then. */
  skipped: z.boolean(),
  calledAt: isoDateTime.nullable(),
  dueAt: isoDateTime.nullable(),
  recallCount: z.number().int().nonnegative(),
  cancelReason: z.string().nullable(),
  pending: z.boolean(),
});
export type Ticket = z.infer<typeof ticketSchema>;

export const appointmentSchema = z.object({
  id: uuid,
  appointmentNumber: z.string(),
  patientId: uuid,
  patientName: z.string(),
  nricMasked: z.string(),
  doctorId: uuid,
  doctorName: z.string(),
  startsAt: isoDateTime,
  /** From when the patient may check in (the clinic's setting, minutes before startsAt). */
  checkInOpensAt: isoDateTime,
  status: z.string(),
});
export type Appointment = z.infer<typeof appointmentSchema>;

/** What the waiting room may see: numbers and rooms, never a name or NRIC. */
export const displayCallSchema = z.object({
  callId: uuid,
  ticketNumber: z.string(),
  roomName: z.string(),
  kind: z.enum(['call', 'recall']),
  calledAt: isoDateTime,
});
export type DisplayCall = z.infer<typeof displayCallSchema>;

/** Patients read the list to see whether they missed their number; more would not fit a TV row read at 5 m. */
export const RECENT_CALLS = 5;

export const displayRoomSchema = z.object({
  roomName: z.string(),
  /** The ticket with the room now; null while the room has nobody called (free, or between patients). */
  serving: displayCallSchema.nullable(),
});
export type DisplayRoom = z.infer<typeof displayRoomSchema>;

export const displayBoardSchema = z.object({
  clinicName: z.string(),
  /** The clinic's rooms in their order (src/shared/display-board.ts). */
  rooms: z.array(displayRoomSchema),
  /** Newest first, each ticket once, finished tickets left out. */
  recent: z.array(displayCallSchema).max(RECENT_CALLS),
  waitingCount: z.number().int().nonnegative(),
});
export type DisplayBoard = z.infer<typeof displayBoardSchema>;

export const syncStatusSchema = z.object({
  online: z.boolean(),
  pending: z.number().int().nonnegative(),
  lastSyncedAt: isoDateTime.nullable(),
  lastError: z.string().nullable(),
  /** While the first load from the centre runs: how far it is, for a progress bar. */
  initialSync: z.object({ loaded: z.number().int().nonnegative(), total: z.number().int().nonnegative() }).nullable().default(null),
  /** Work the centre refused that someone should look at (see sync.attention). */
  attention: z.number().int().nonnegative().default(0),
});
export type SyncStatus = z.output<typeof syncStatusSchema>;

/** Something done at this station that the centre refused for good, and what to do about it. */
export const attentionItemSchema = z.object({
  id: z.number().int().positive(),
  what: z.string(),
  reason: z.string(),
  action: z.string(),
  at: isoDateTime,
});
export type AttentionItem = z.infer<typeof attentionItemSchema>;

const ticketRef = z.object({ ticketId: uuid });

const methodsDefinition = {
  'station.info': { input: z.object({}), output: stationInfoSchema },
  'session.signIn': {
    input: z.object({ username: z.string().trim().min(1, 'Username is required'), password: z.string().min(1, 'Password is required') }),
    output: sessionSchema,
  },
  'session.current': { input: z.object({}), output: sessionSchema.nullable() },
  'session.signOut': { input: z.object({}), output: z.object({ ok: z.literal(true) }) },
  /** One page of the patients matching `query`, and how many match in all, so a screen can offer the rest. */
  'patients.search': {
    input: z.object({
      query: z.string().max(100),
      limit: z.number().int().min(1).max(50).default(20),
      /** How many matches earlier pages showed. */
      offset: z.number().int().min(0).default(0),
    }),
    output: z.object({ patients: z.array(patientSchema), total: z.number().int().nonnegative() }),
  },
  'patients.register': { input: patientRegistrationSchema(), output: patientSchema },
  'queue.issueTicket': {
    input: z.object({
      patientId: uuid,
      urgent: z.boolean().default(false),
      appointmentId: uuid.optional(),
    }),
    output: ticketSchema,
  },
  /** Today's tickets for reception: with a doctor, then waiting in the order they will be called, then finished. */
  'queue.today': { input: z.object({}), output: z.array(ticketSchema) },
  /** The tickets this consult room's doctor may call, in the order they will be called. */
  'queue.mine': { input: z.object({}), output: z.object({ current: ticketSchema.nullable(), waiting: z.array(ticketSchema) }) },
  'queue.callNext': { input: z.object({}), output: ticketSchema.nullable() },
  'queue.recall': { input: ticketRef, output: ticketSchema },
  'queue.skip': { input: ticketRef, output: ticketSchema },
  'queue.noShow': { input: ticketRef, output: ticketSchema },
  'queue.complete': { input: ticketRef, output: ticketSchema },
  /** Reception's corrections of the queue, each one a procedure at the centre. */
  'queue.cancel': {
    input: ticketRef.extend({
      reason: z.string().trim().min(1, 'Say why the ticket is cancelled').max(200, 'Keep the reason under 200 characters'),
    }),
    output: ticketSchema,
  },
  'queue.setPriority': { input: ticketRef.extend({ priority: prioritySchema }), output: ticketSchema },
  'queue.assign': { input: ticketRef.extend({ doctorId: uuid.nullable() }), output: ticketSchema },
  'queue.returnToQueue': { input: ticketRef, output: ticketSchema },
  'queue.reinstate': { input: ticketRef, output: ticketSchema },
  'clinic.doctors': { input: z.object({}), output: z.array(doctorSchema) },
  /** How many minutes before an appointment its patient may check in; the clinic manager may change it. */
  'queue.checkInWindow': { input: z.object({}), output: z.object({ minutes: z.number().int(), canEdit: z.boolean() }) },
  'queue.setCheckInWindow': {
    input: z.object({
      minutes: z
        .number({ error: 'Give the number of minutes' })
        .int('Use whole minutes')
        .min(0, 'Check-in cannot open after the appointment starts')
        .max(720, 'Check-in can open at most 720 minutes (12 hours) before'),
    }),
    output: z.object({ minutes: z.number().int(), canEdit: z.boolean() }),
  },
  'appointments.today': { input: z.object({}), output: z.array(appointmentSchema) },
  'display.board': { input: z.object({}), output: displayBoardSchema },
  'sync.status': { input: z.object({}), output: syncStatusSchema },
  'sync.attention': { input: z.object({}), output: z.array(attentionItemSchema) },
  'sync.dismiss': { input: z.object({ id: z.number().int().positive() }), output: z.object({ ok: z.literal(true) }) },
  ...deviceMethods,
  ...stationAdminMethods,
} as const;

export const methods = methodsDefinition;
export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const methodNames = Object.keys(methods) as MethodName[];

export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export const events = {
  /** Something in the queue changed (locally or pulled from the centre): refetch what you show. */
  'queue.changed': z.object({ at: isoDateTime }),
  /** A number was called or recalled: the display chimes and announces it. */
  'display.called': displayCallSchema,
  'sync.status': syncStatusSchema,
  ...deviceEvents,
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export const eventNames = Object.keys(events) as EventName[];
export type EventPayload<E extends EventName> = z.output<Events[E]>;

/** Errors crossing the boundary carry a stable code the UI can act on and a message a person can read. */
export const errorCodes = [
  'validation',
  'not_signed_in',
  'forbidden',
  'not_found',
  'conflict',
  'offline',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const apiErrorSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** The shape `window.clinic` has in both hosts. */
export interface ClinicApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export { describeIssues } from './issue-text';

export function parseInput<M extends MethodName>(method: M, input: unknown): z.output<Methods[M]['input']> {
  const result = methods[method].input.safeParse(input ?? {});
  if (!result.success) throw new ApiError('validation', describeIssues(result.error));
  return result.data as z.output<Methods[M]['input']>;
}
