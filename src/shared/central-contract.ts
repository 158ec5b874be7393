import { z } from 'zod';

/*
 * The central contract: what a station and the gateway (src/server/gateway) say to each other over HTTP.
 * Both sides parse with these schemas — the gateway every request body, the station every answer — so neither
 * trusts the other's shapes (DESIGN §2 "one contract per boundary"). Paths are versioned: a breaking change gets
 * /v2/ beside /v1/ so stations on the old app keep syncing while they are upgraded.
 */

export const CENTRAL_API_VERSION = 'v1';

/** A staff session token as clinic.sign_in issues it: 32 random bytes in hex. */
export const sessionTokenSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a session token (64 hex digits)');

/** Table and column names are identifiers the gateway quotes into SQL, so only plain lower-case names pass. */
const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lower-case table or column name');

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/**
 * What a refusal means for the caller, as src/sync/central.ts classifies it today: transient → keep the work and
 * retry with backoff; unauthenticated → keep the work and ask for sign-in; permanent → show it, never retry.
 */
export const failureKindSchema = z.enum(['transient', 'permanent', 'unauthenticated']);
export type CentralFailureKind = z.infer<typeof failureKindSchema>;

/**
 * Every non-2xx answer. `code` is the centre's SQLSTATE for its own refusals (GC4xx, with their plain message) or
 * one of the gateway's codes; internal failures never carry the database's message, only `correlationId`, under
 * which the gateway logged it.
 */
export const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  kind: failureKindSchema,
  correlationId: z.string(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Protocol and session
// ---------------------------------------------------------------------------------------------------------------

/** GET /v1/protocol — sync.protocol() as the centre answers it; the station refuses to sync on a mismatch. */
export const protocolResponseSchema = z.object({ protocol: z.number().int(), min_station_protocol: z.number().int() });

export const stationRoleSchema = z.enum(['reception', 'consult', 'display']);
export type StationRole = z.infer<typeof stationRoleSchema>;

/**
 * POST /v1/session/sign-in (signed). The station, its clinic and its role are the enrolled station's, known from
 * the request's signature; the station cannot name another.
 */
export const signInRequestSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/** clinic.sign_in's answer as it is: the station maps it to its own Session. */
export const signInResponseSchema = z.object({
  token: sessionTokenSchema,
  expires_at: z.string(),
  user: z.object({ id: z.uuid(), username: z.string(), full_name: z.string(), role: z.string() }),
  doctor: z.object({ id: z.uuid(), full_name: z.string(), mcr_number: z.string() }).nullable(),
  clinic: z.object({ id: z.uuid(), code: z.string(), name: z.string() }),
  station: z.object({
    id: z.uuid(),
    code: z.string(),
    role: z.string(),
    desk_letter: z.string().nullable(),
    room_id: z.uuid().nullable(),
  }),
});
export type SignInResponse = z.infer<typeof signInResponseSchema>;

/** POST /v1/session/sign-out (signed, Bearer): the session is revoked at the centre and refused from then on. */
export const signOutResponseSchema = z.object({ revokedAtCentre: z.literal(true) });

/** POST /v1/session/refresh (signed, Bearer): the session's new expiry (12 hours from now, at most a day in all). */
export const refreshResponseSchema = z.object({ expires_at: z.string() });

/** The literal station header of an enrolment request: the station has no id until the centre answers. */
export const ENROLLING_STATION = 'enrolling';

/**
 * POST /v1/enrol — the one request before a station has an id. It is signed like every other (station header
 * ENROLLING_STATION) but with the new key itself, so the gateway records only a key whose holder made the request.
 */
export const enrolRequestSchema = z.object({
  /** The one-time code the operator or the clinic manager gave (case, spaces and dashes do not matter). */
  code: z.string().min(1).max(100),
  /** The station's new Ed25519 public key, SPKI PEM. */
  publicKey: z.string().min(1).max(200),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const enrolResponseSchema = z.object({
  station: signInResponseSchema.shape.station,
  clinic: signInResponseSchema.shape.clinic,
});
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Procedures and push
// ---------------------------------------------------------------------------------------------------------------

/** The procedures stations call (clinic.<name>(request_key, args)); anything else is refused before the database. */
export const stationProcedures = [
  'register_patient',
  'update_patient',
  'issue_ticket',
  'call_next',
  'call_ticket',
  'recall_ticket',
  'skip_ticket',
  'no_show_ticket',
  'complete_ticket',
  'return_ticket',
  'reinstate_ticket',
  'cancel_ticket',
  'set_ticket_priority',
  'assign_ticket',
  'link_appointment',
  'set_setting',
  'create_station_enrolment',
  'revoke_station',
] as const;
export const procedureSchema = z.enum(stationProcedures);
export type StationProcedure = (typeof stationProcedures)[number];

/**
 * What each kind of station may call, decided by the gateway from the verified station before the database is
 * asked; the procedures still check the person's role. The front desk registers and queues and is where the
 * clinic manager works; the consult room calls and finishes tickets; the waiting-room display only shows the
 * queue, and takes the one setting it speaks (the voice-call languages) from the manager standing at it.
 */
const proceduresByStationRole: Record<StationRole, readonly StationProcedure[]> = {
  reception: [
    'register_patient',
    'update_patient',
    'issue_ticket',
    'return_ticket',
    'reinstate_ticket',
    'cancel_ticket',
    'set_ticket_priority',
    'assign_ticket',
    'link_appointment',
    'set_setting',
    'create_station_enrolment',
    'revoke_station',
  ],
  consult: ['call_next', 'call_ticket', 'recall_ticket', 'skip_ticket', 'no_show_ticket', 'complete_ticket'],
  display: ['set_setting'],
};

export function proceduresForStationRole(role: StationRole): readonly StationProcedure[] {
  return proceduresByStationRole[role];
}

const procedureCall = {
  procedure: procedureSchema,
  /** Makes the call idempotent at the centre: the same key answers the first result again. */
  requestKey: z.uuid(),
  args: z.record(z.string(), z.unknown()),
};

/** POST /v1/call (Bearer) */
export const callRequestSchema = z.object(procedureCall);
export type CallRequest = z.infer<typeof callRequestSchema>;
export const callResponseSchema = z.object({ result: z.unknown() });

export const MAX_PUSH_ENTRIES = 200;

/** POST /v1/push — no Bearer: each entry carries the session of the person who did the work, offline or not. */
export const pushRequestSchema = z.object({
  entries: z
    .array(z.object({ ...procedureCall, sessionToken: sessionTokenSchema }))
    .min(1)
    .max(MAX_PUSH_ENTRIES),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

export const pushAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ requestKey: z.uuid(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    requestKey: z.uuid(),
    ok: z.literal(false),
    error: z.object({ kind: failureKindSchema, code: z.string(), message: z.string() }),
  }),
]);
/** One answer per entry, in the entries' order. */
export const pushResponseSchema = z.object({ answers: z.array(pushAnswerSchema) });
export type PushAnswer = z.infer<typeof pushAnswerSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Sync reads (all Bearer; the clinic is the session's, never the station's say)
// ---------------------------------------------------------------------------------------------------------------

/** A windowed table's lower bound, computed by the station (src/sync/tables.ts windowStart). */
export const windowSchema = z.object({
  column: identifier,
  kind: z.enum(['date', 'timestamp']),
  since: z.string().min(1).max(40),
});
export type TableWindow = z.infer<typeof windowSchema>;

const tableScope = { table: identifier, window: windowSchema.nullable() };

export const MAX_PAGE_ROWS = 10_000;

/** POST /v1/sync/initial/plan — the horizon first, then the row count of each table to load. */
export const initialPlanRequestSchema = z.object({ tables: z.array(z.object(tableScope)).min(1).max(50) });
export const initialPlanResponseSchema = z.object({
  horizon: z.string(),
  tables: z.array(z.object({ table: z.string(), total: z.number().int() })),
});

/** POST /v1/sync/initial/page — rows by id after `afterId`. */
export const initialPageRequestSchema = z.object({
  ...tableScope,
  columns: z.array(identifier).min(1).max(100),
  afterId: z.uuid().nullable(),
  limit: z.number().int().min(1).max(MAX_PAGE_ROWS),
});
export const rowsResponseSchema = z.object({ rows: z.array(z.record(z.string(), z.unknown())) });

export const feedCursorSchema = z.object({ xid: z.string().regex(/^[0-9]+$/), seq: z.string().regex(/^[0-9]+$/) });

/** POST /v1/sync/pull — sync.pull from the cursor. */
export const pullRequestSchema = z.object({
  cursor: feedCursorSchema,
  tables: z.array(identifier).min(1).max(50),
  limit: z.number().int().min(1).max(MAX_PAGE_ROWS),
});
export const changeSchema = z.object({
  seq: z.union([z.string(), z.number()]).transform(String),
  xid: z.string(),
  table: z.string(),
  id: z.string(),
  op: z.enum(['U', 'D']),
  row: z.record(z.string(), z.unknown()).nullable(),
});
export const pullResponseSchema = z.object({ horizon: z.string(), changes: z.array(changeSchema) });

/** POST /v1/sync/digests — count and two sums of sync_seq per id partition (first hex digit of the id). */
export const digestsRequestSchema = z.object({ tables: z.array(z.object(tableScope)).min(1).max(50) });
export const partitionDigestSchema = z.object({ partition: z.string(), count: z.number().int(), sum: z.string(), mix: z.string() });
export const digestsResponseSchema = z.object({
  tables: z.array(z.object({ table: z.string(), partitions: z.array(partitionDigestSchema) })),
});

/** POST /v1/sync/partition — every row of one partition, to repair a station's copy. */
export const partitionRequestSchema = z.object({
  ...tableScope,
  columns: z.array(identifier).min(1).max(100),
  partition: z.string().regex(/^[0-9a-f]$/, 'must be one hex digit'),
});

// ---------------------------------------------------------------------------------------------------------------
// Clinic settings
// ---------------------------------------------------------------------------------------------------------------

/** GET /v1/settings (Bearer) — clinic.settings_for_station(): the clinic's settings a station works with. */
export const settingsResponseSchema = z.object({ settings: z.record(z.string(), z.unknown()) });

// ---------------------------------------------------------------------------------------------------------------
// The live channel
// ---------------------------------------------------------------------------------------------------------------

/**
 * GET /v1/live (WebSocket, Bearer, `?tables=a,b`) — the gateway pushes the clinic's new feed changes, the rows
 * themselves. A message covers every change after `from` up to `to`, so a station whose cursor is at or past `from`
 * applies what it has not seen and moves to `to`; one behind `from` pulls the gap over HTTP first.
 */
export const liveMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), cursor: feedCursorSchema }),
  z.object({ type: z.literal('changes'), from: feedCursorSchema, to: feedCursorSchema, changes: z.array(changeSchema) }),
]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;

/** Close codes of the live channel: on 4401 the station waits for someone to sign in again. */
export const LIVE_CLOSE = { unauthenticated: 4401 } as const;

/** Every route of the contract: method, path, and the schemas of its body and answer. */
export const centralRoutes = {
  protocol: { method: 'GET', path: '/v1/protocol', response: protocolResponseSchema },
  signIn: { method: 'POST', path: '/v1/session/sign-in', request: signInRequestSchema, response: signInResponseSchema },
  signOut: { method: 'POST', path: '/v1/session/sign-out', response: signOutResponseSchema },
  refresh: { method: 'POST', path: '/v1/session/refresh', response: refreshResponseSchema },
  enrol: { method: 'POST', path: '/v1/enrol', request: enrolRequestSchema, response: enrolResponseSchema },
  call: { method: 'POST', path: '/v1/call', request: callRequestSchema, response: callResponseSchema },
  push: { method: 'POST', path: '/v1/push', request: pushRequestSchema, response: pushResponseSchema },
  initialPlan: { method: 'POST', path: '/v1/sync/initial/plan', request: initialPlanRequestSchema, response: initialPlanResponseSchema },
  initialPage: { method: 'POST', path: '/v1/sync/initial/page', request: initialPageRequestSchema, response: rowsResponseSchema },
  pull: { method: 'POST', path: '/v1/sync/pull', request: pullRequestSchema, response: pullResponseSchema },
  digests: { method: 'POST', path: '/v1/sync/digests', request: digestsRequestSchema, response: digestsResponseSchema },
  partition: { method: 'POST', path: '/v1/sync/partition', request: partitionRequestSchema, response: rowsResponseSchema },
  settings: { method: 'GET', path: '/v1/settings', response: settingsResponseSchema },
  live: { method: 'GET', path: '/v1/live', response: liveMessageSchema },
} as const;
