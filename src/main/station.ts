import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  ApiError,
  events as eventSchemas,
  parseInput,
  type Appointment,
  type DisplayBoard,
  type DisplayCall,
  type EventName,
  type EventPayload,
  type MethodName,
  type MethodOutput,
  type Patient,
  type Session,
  type StationInfo,
  type StationRole,
  type AttentionItem,
  type SyncStatus,
  type Ticket,
} from '../shared/contract';
import { ageOn, clinicDay } from '../shared/clinic-day';
import { describeNricProblem, maskNric, nricIdType, normalizeNric } from '../shared/nric';
import { orderQueue, pickNext, priorityFor, type QueuePriority } from '../shared/queue-order';
import { formatTicketNumber } from '../shared/ticket-number';
import { Backoff } from '../sync/backoff';
import { Central, CentralError, classifyFailure, type SignInResult } from '../sync/central';
import { ChangeListener } from '../sync/listener';
import { Puller } from '../sync/pull';
import { Pusher, type PushOutcome } from '../sync/push';
import { tablesForRole } from '../sync/tables';
import { Cache, type AppliedSummary, type Undo } from './cache/cache';
import type { CacheSchema } from './cache/schema';
import type { FieldCrypto } from './crypto/field-crypto';
import { CLINIC_SETTINGS_META, DeviceService, deviceHandlers, type DeviceOptions } from './devices/service';

export interface StationConfig {
  /** The station's own folder: its SQLite cache lives here, as on a real PC. */
  dataDir: string;
  stationCode: string;
  role: StationRole;
  clinicCode: string;
  /** The consult room this station sits in (consult stations only), e.g. 'R1'. */
  roomCode?: string;
  centralUrl: string;
  /** The Postgres role stations act as; null to use the login role as is. */
  centralRole?: string | null;
  crypto: FieldCrypto;
  /** The timer pull that keeps a station correct when a notification is lost. */
  pollIntervalMs?: number;
  /** How often the cache's partitions are compared with the centre's. */
  verifyIntervalMs?: number;
  /** Rows per page of the initial load. */
  initialPageSize?: number;
  now?: () => Date;
  /** Serial binding and printer timings; tests swap in mocks. */
  devices?: DeviceOptions;
}

interface StoredSession {
  token: string;
  session: Session;
  stationId: string;
  deskLetter: string | null;
}

type TicketRow = CacheSchema['queue_tickets'];

/** How long sign-in waits for a first load before letting the person in with a progress bar. */
const FIRST_LOAD_WAIT_MS = 5000;

const RECEPTION_ROLES = ['receptionist', 'nurse', 'clinic_admin', 'chain_admin'];

/**
 * The station core: answers the contract from the SQLite cache, writes through the outbox, and
 * keeps the cache in step with the centre. The hosts (Electron, browser) only carry calls to it.
 */
export class StationCore {
  private readonly emitter = new EventEmitter();
  private readonly central: Central;
  private readonly pusher: Pusher;
  private puller: Puller | null = null;
  private listener: ChangeListener | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly retryBackoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
  private syncRun: Promise<void> | null = null;
  private syncAgain = false;
  private stopped = false;
  private status: SyncStatus = { online: false, pending: 0, lastSyncedAt: null, lastError: null, initialSync: null, attention: 0 };
  /** Set once the centre has shown it speaks a sync protocol this app understands. */
  private compatible = false;
  private lastVerifiedAt = 0;
  private settingsFetchedAt = 0;
  private clinic: { id: string; code: string; name: string } | null = null;
  private readonly now: () => Date;

  readonly cache: Cache;
  readonly devices: DeviceService;

  constructor(readonly config: StationConfig) {
    mkdirSync(config.dataDir, { recursive: true });
    this.cache = new Cache(join(config.dataDir, 'cache.sqlite'));
    this.now = config.now ?? (() => new Date());
    this.central = new Central({ url: config.centralUrl, role: config.centralRole });
    this.pusher = new Pusher(this.central, this.cache);
    this.emitter.setMaxListeners(100);
    this.cache.setChangeListener((summary) => this.onCacheChanged(summary));
    if (!this.cache.getMeta('station_id')) this.cache.setMeta('station_id', randomUUID());
    const stored = this.cache.getMeta('clinic');
    if (stored) this.clinic = JSON.parse(stored) as { id: string; code: string; name: string };
    this.status.pending = this.cache.pendingCount();
    this.devices = new DeviceService({
      dataDir: config.dataDir,
      cache: this.cache,
      clinic: () => this.requireClinic(),
      now: this.now,
      emit: (payload) => this.emit('printer.status', payload),
      authorize: () => {
        if (config.role !== 'display') this.requireSession([...RECEPTION_ROLES, 'doctor']);
      },
      session: () => {
        const stored = this.currentSession();
        return stored ? { token: stored.token, role: stored.session.role } : null;
      },
      afterClinicWrite: (requestKey) => this.pushAndSurfaceRejection(requestKey),
      options: config.devices,
    });
  }

  /**
   * Resolves the clinic (from the cache when the centre is down), then syncs and listens. A station
   * that has never reached its centre cannot know its clinic, and says so.
   */
  async start(): Promise<void> {
    if (!this.clinic) {
      try {
        // Row-level security hides clinic rows until someone signs in; this function reveals only id, code and name.
        const rows = (
          await this.central.query<{ clinic: { id: string; code: string; name: string } | null }>('SELECT clinic.clinic_by_code($1) AS clinic', [
            this.config.clinicCode,
          ])
        ).flatMap((row) => (row.clinic ? [row.clinic] : []));
        if (!rows[0]) throw new Error(`No clinic with code ${this.config.clinicCode} in the central database.`);
        this.clinic = rows[0];
        this.cache.setMeta('clinic', JSON.stringify(this.clinic));
      } catch (error) {
        if (error instanceof CentralError) {
          throw new Error(`Station ${this.config.stationCode} has never reached the central database and cannot start offline: ${error.message}`);
        }
        throw error;
      }
    }
    this.devices.start();
    this.on('display.called', (call) => void this.devices.showOnBoards(call));
    const clinicId = this.clinic.id;
    this.puller = new Puller(this.central, clinicId, tablesForRole[this.config.role], this.cache, () => this.currentSession()?.token ?? null, {
      pageSize: this.config.initialPageSize,
      now: this.now,
      onProgress: ({ loaded, total }) => this.setStatus({ initialSync: { loaded, total } }),
    });
    this.listener = new ChangeListener(this.config.centralUrl, clinicId, () => this.requestSync());
    this.listener.start();
    const interval = this.config.pollIntervalMs ?? 5000;
    this.pollTimer = setInterval(() => {
      if (!this.retryTimer) this.requestSync();
    }, interval);
    await this.requestSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.listener?.stop();
    await this.syncRun?.catch(() => undefined);
    await this.central.close();
    await this.devices.stop();
    this.cache.close();
    this.emitter.removeAllListeners();
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit(event, eventSchemas[event].parse(payload));
  }

  /** The one entry point both hosts use: validates the input and answers or throws an ApiError. */
  async handle<M extends MethodName>(method: M, rawInput: unknown): Promise<MethodOutput<M>> {
    const handler = this.handlers[method] as ((input: unknown) => Promise<unknown> | unknown) | undefined;
    if (!handler) throw new ApiError('not_found', `Unknown method ${String(method)}`);
    const input = parseInput(method, rawInput);
    try {
      return (await handler.call(this, input)) as MethodOutput<M>;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof CentralError) throw apiErrorFromCentral(error);
      throw new ApiError('internal', error instanceof Error ? error.message : String(error));
    }
  }

  private readonly handlers: { [M in MethodName]: (input: never) => Promise<MethodOutput<M>> | MethodOutput<M> } = {
    ...deviceHandlers(() => this.devices),
    'station.info': () => this.stationInfo(),
    'session.signIn': (input: { username: string; password: string }) => this.signIn(input.username, input.password),
    'session.current': () => this.currentSession()?.session ?? null,
    'session.signOut': () => {
      this.cache.setMeta('session', null);
      return { ok: true as const };
    },
    'patients.search': (input: { query: string; limit: number }) => this.searchPatients(input.query, input.limit),
    'patients.register': (input: Parameters<StationCore['registerPatient']>[0]) => this.registerPatient(input),
    'queue.issueTicket': async (input: { patientId: string; urgent: boolean; appointmentId?: string }) => this.devices.ticketIssued(await this.issueTicket(input)),
    'queue.today': () => this.todayTickets(),
    'queue.mine': () => this.myQueue(),
    'queue.callNext': () => this.callNext(),
    'queue.recall': (input: { ticketId: string }) => this.changeTicket('recall', input.ticketId),
    'queue.skip': (input: { ticketId: string }) => this.changeTicket('skip', input.ticketId),
    'queue.noShow': (input: { ticketId: string }) => this.changeTicket('no_show', input.ticketId),
    'queue.complete': (input: { ticketId: string }) => this.changeTicket('complete', input.ticketId),
    'appointments.today': () => this.todayAppointments(),
    'display.board': () => this.displayBoard(),
    'sync.status': () => ({ ...this.status, pending: this.cache.pendingCount(), attention: this.cache.rejectionCount() }),
    'sync.attention': () => this.cache.rejections().map(describeRejection),
    'sync.dismiss': (input: { id: number }) => {
      this.cache.dismissRejection(input.id);
      this.setStatus({});
      return { ok: true as const };
    },
  };

  // --- identity --------------------------------------------------------------------------------

  private requireClinic(): { id: string; code: string; name: string } {
    if (!this.clinic) throw new ApiError('internal', 'The station has not reached its central database yet.');
    return this.clinic;
  }

  stationInfo(): StationInfo {
    const clinic = this.requireClinic();
    const room = this.config.roomCode
      ? this.cache.get(this.cache.q.selectFrom('rooms').select(['id', 'code', 'name']).where('clinic_id', '=', clinic.id).where('code', '=', this.config.roomCode))
      : undefined;
    return {
      stationId: this.cache.getMeta('station_id')!,
      stationCode: this.config.stationCode,
      role: this.config.role,
      clinic,
      room: room ?? null,
      deskLetter: this.cache.getMeta('desk_letter'),
    };
  }

  private currentSession(): StoredSession | null {
    const raw = this.cache.getMeta('session');
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredSession;
    if (Date.parse(stored.session.expiresAt) <= this.now().getTime()) return null;
    return stored;
  }

  private requireSession(allowed: string[]): StoredSession {
    const stored = this.currentSession();
    if (!stored) throw new ApiError('not_signed_in', 'Please sign in.');
    if (!allowed.includes(stored.session.role)) {
      throw new ApiError('forbidden', `A ${stored.session.role.replace('_', ' ')} cannot do this at a ${this.config.role} station.`);
    }
    return stored;
  }

  private async signIn(username: string, password: string): Promise<Session> {
    const clinic = this.requireClinic();
    let result: SignInResult;
    try {
      const rows = await this.central.query<{ result: SignInResult }>('SELECT clinic.sign_in($1, $2, $3, $4, $5) AS result', [
        clinic.code,
        username,
        password,
        this.config.stationCode,
        this.config.role,
      ]);
      result = rows[0]!.result;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'transient') {
        throw new ApiError('offline', 'Cannot reach the central database to sign in. Check the network cable or Wi-Fi and try again.');
      }
      throw apiErrorFromCentral(failure);
    }
    const session: Session = {
      userId: result.user.id,
      username: result.user.username,
      fullName: result.user.full_name,
      role: result.user.role as Session['role'],
      doctor: result.doctor ? { id: result.doctor.id, fullName: result.doctor.full_name, mcrNumber: result.doctor.mcr_number } : null,
      expiresAt: new Date(result.expires_at).toISOString(),
    };
    const stored: StoredSession = { token: result.token, session, stationId: result.station.id, deskLetter: result.station.desk_letter };
    this.cache.transaction(() => {
      this.cache.setMeta('session', JSON.stringify(stored));
      this.cache.setMeta('desk_letter', result.station.desk_letter);
      this.cache.restampSessions(result.token);
    });
    // Row-level security lets the first load start only now. A small clinic is ready before the
    // person's first click; a big one shows its progress bar instead of holding the sign-in screen.
    const sync = this.requestSync();
    if (!this.cache.readCursor()) await Promise.race([sync, new Promise((resolve) => setTimeout(resolve, FIRST_LOAD_WAIT_MS).unref())]);
    return session;
  }

  // --- patients ----------------------------------------------------------------------------------

  private toPatient(row: CacheSchema['patients']): Patient {
    return {
      id: row.id,
      fullName: row.full_name,
      nativeName: row.native_name,
      nricMasked: row.nric_masked,
      dateOfBirth: row.date_of_birth,
      gender: row.gender as Patient['gender'],
      phone: row.phone,
      pending: row.pending === 1,
    };
  }

  async searchPatients(query: string, limit: number): Promise<Patient[]> {
    this.requireSession([...RECEPTION_ROLES, 'doctor']);
    const clinicId = this.requireClinic().id;
    const text = query.trim();
    if (!text) return [];
    const q = this.cache.q;
    const candidate = normalizeNric(text);
    if (describeNricProblem(candidate) === null) {
      const hash = await this.config.crypto.lookupHash('nric', candidate);
      return this.cache
        .all(q.selectFrom('patients').selectAll().where('clinic_id', '=', clinicId).where('nric_hash', '=', hash))
        .map((row) => this.toPatient(row));
    }
    const digits = text.replace(/[\s+-]/g, '');
    const term = /^\d+$/.test(digits) ? digits : text;
    if ([...term].length >= 3) {
      const match = `"${term.replace(/"/g, '""')}"`;
      const rows = this.cache.all(
        q
          .selectFrom('patients')
          .selectAll('patients')
          .innerJoin(sql<{ rowid: number; rank: number }>`(SELECT rowid, rank FROM patients_fts WHERE patients_fts MATCH ${match})`.as('hits'), (join) =>
            join.onRef(sql.ref('hits.rowid'), '=', sql.ref('patients.rowid')),
          )
          .where('patients.clinic_id', '=', clinicId)
          .orderBy(sql`hits.rank`)
          .orderBy('patients.full_name')
          .limit(limit),
      );
      return rows.map((row) => this.toPatient(row));
    }
    const prefix = `${term.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    return this.cache
      .all(
        q
          .selectFrom('patients')
          .selectAll()
          .where('clinic_id', '=', clinicId)
          .where((eb) => eb.or([eb('full_name', 'like', sql<string>`${prefix} ESCAPE '\\'`), eb('native_name', 'like', sql<string>`${prefix} ESCAPE '\\'`)]))
          .orderBy('full_name')
          .limit(limit),
      )
      .map((row) => this.toPatient(row));
  }

  async registerPatient(input: {
    nric: string;
    fullName: string;
    nativeName?: string;
    dateOfBirth: string;
    gender: 'male' | 'female' | 'other';
    phone?: string;
  }): Promise<Patient> {
    const stored = this.requireSession(RECEPTION_ROLES);
    const clinicId = this.requireClinic().id;
    const nric = normalizeNric(input.nric);
    const problem = describeNricProblem(nric);
    if (problem) throw new ApiError('validation', problem);
    const today = clinicDay(this.now());
    if (input.dateOfBirth > today) throw new ApiError('validation', 'Date of birth cannot be in the future.');
    if (ageOn(input.dateOfBirth, today) > 130) throw new ApiError('validation', 'Date of birth is more than 130 years ago: please check it.');
    const masked = maskNric(nric);
    const hash = await this.config.crypto.lookupHash('nric', nric);
    const existing = this.cache.get(this.cache.q.selectFrom('patients').select('full_name').where('clinic_id', '=', clinicId).where('nric_hash', '=', hash));
    if (existing) throw new ApiError('conflict', `A patient with NRIC ${masked} is already registered (${existing.full_name}).`);
    const row: CacheSchema['patients'] = {
      clinic_id: clinicId,
      id: randomUUID(),
      nric_hash: hash,
      nric_masked: masked,
      id_type: nricIdType(nric),
      full_name: input.fullName,
      native_name: input.nativeName?.trim() || null,
      date_of_birth: input.dateOfBirth,
      gender: input.gender,
      phone: input.phone ?? null,
      phone_digits: input.phone ? input.phone.replace(/\D/g, '') : null,
      sync_seq: 0,
      pending: 1,
    };
    const args = {
      id: row.id,
      nric_hash: hash,
      nric_enc: await this.config.crypto.encrypt(nric),
      nric_masked: masked,
      id_type: row.id_type,
      full_name: row.full_name,
      native_name: row.native_name,
      date_of_birth: row.date_of_birth,
      gender: row.gender,
      phone: row.phone,
    };
    const { requestKey } = this.cache.enqueue(
      () => this.cache.run(this.cache.q.insertInto('patients').values(row)),
      () => ({
        procedure: 'register_patient',
        args,
        sessionToken: stored.token,
        undo: [{ kind: 'delete', table: 'patients', id: row.id }],
      }),
    );
    await this.pushAndSurfaceRejection(requestKey);
    const saved = this.cache.get(this.cache.q.selectFrom('patients').selectAll().where('id', '=', row.id));
    return this.toPatient(saved ?? row);
  }

  // --- queue ----------------------------------------------------------------------------------

  private toTicket(row: TicketRow): Ticket {
    const patient = this.cache.get(this.cache.q.selectFrom('patients').select(['full_name', 'date_of_birth']).where('id', '=', row.patient_id));
    const room = row.room_id ? this.cache.get(this.cache.q.selectFrom('rooms').select('name').where('id', '=', row.room_id)) : undefined;
    return {
      id: row.id,
      ticketNumber: row.ticket_number,
      serviceDate: row.service_date,
      status: row.status as Ticket['status'],
      priority: row.priority as QueuePriority,
      kind: row.kind as Ticket['kind'],
      patientId: row.patient_id,
      patientName: patient?.full_name ?? 'Unknown patient',
      patientAge: patient ? ageOn(patient.date_of_birth, row.service_date) : 0,
      doctorId: row.doctor_id,
      roomId: row.room_id,
      roomName: room?.name ?? null,
      issuedAt: row.issued_at,
      calledAt: row.called_at,
      dueAt: row.due_at,
      recallCount: row.recall_count,
      pending: row.pending === 1,
    };
  }

  private ticketsOfDay(day: string): TicketRow[] {
    return this.cache.all(
      this.cache.q.selectFrom('queue_tickets').selectAll().where('clinic_id', '=', this.requireClinic().id).where('service_date', '=', day),
    );
  }

  async issueTicket(input: { patientId: string; urgent: boolean; appointmentId?: string }): Promise<Ticket> {
    const stored = this.requireSession(RECEPTION_ROLES);
    const clinicId = this.requireClinic().id;
    const letter = this.cache.getMeta('desk_letter');
    if (!letter) {
      throw new ApiError('forbidden', 'This desk has no ticket letter yet. Sign in once while connected to the central database.');
    }
    const q = this.cache.q;
    const patient = this.cache.get(q.selectFrom('patients').selectAll().where('clinic_id', '=', clinicId).where('id', '=', input.patientId));
    if (!patient) throw new ApiError('not_found', 'That patient is not in this clinic’s records.');
    const now = this.now();
    const today = clinicDay(now);
    const active = this.ticketsOfDay(today).find((t) => t.patient_id === patient.id && (t.status === 'waiting' || t.status === 'called'));
    if (active) throw new ApiError('conflict', `${patient.full_name} already holds ticket ${active.ticket_number} today.`);

    let appointment: CacheSchema['appointments'] | undefined;
    if (input.appointmentId) {
      appointment = this.cache.get(q.selectFrom('appointments').selectAll().where('clinic_id', '=', clinicId).where('id', '=', input.appointmentId));
      if (!appointment) throw new ApiError('not_found', 'That appointment is not in this clinic’s records.');
      if (appointment.patient_id !== patient.id) throw new ApiError('validation', 'That appointment belongs to another patient.');
      if (clinicDay(new Date(appointment.starts_at)) !== today) throw new ApiError('validation', 'Only today’s appointments can be checked in.');
      if (!['scheduled', 'confirmed'].includes(appointment.status)) {
        throw new ApiError('conflict', `This appointment is already ${appointment.status.replace('_', ' ')}.`);
      }
    }

    const issuedAt = now.toISOString();
    const { requestKey, written: ticket } = this.cache.enqueue(
      () => {
        const seq = this.nextDeskSeq(today, letter);
        let ticketNumber: string;
        try {
          ticketNumber = formatTicketNumber(letter, seq);
        } catch (error) {
          throw new ApiError('conflict', `Desk ${letter} has issued all its numbers for today: ${(error as Error).message}`);
        }
        const row: TicketRow = {
          clinic_id: clinicId,
          id: randomUUID(),
          service_date: today,
          ticket_number: ticketNumber,
          desk_letter: letter,
          desk_seq: seq,
          patient_id: patient.id,
          appointment_id: appointment?.id ?? null,
          doctor_id: appointment?.doctor_id ?? null,
          kind: appointment ? 'appointment' : 'walk_in',
          priority: priorityFor({ urgent: input.urgent, dateOfBirth: patient.date_of_birth, serviceDate: today }),
          status: 'waiting',
          issued_at: issuedAt,
          queued_at: issuedAt,
          due_at: appointment?.starts_at ?? null,
          called_at: null,
          called_by_doctor_id: null,
          room_id: null,
          recall_count: 0,
          completed_at: null,
          sync_seq: 0,
          pending: 1,
        };
        this.cache.run(q.insertInto('queue_tickets').values(row));
        this.cache.run(
          q
            .insertInto('desk_counters')
            .values({ service_date: today, desk_letter: letter, last_seq: seq })
            .onConflict((oc) => oc.columns(['service_date', 'desk_letter']).doUpdateSet({ last_seq: seq })),
        );
        if (appointment) this.cache.run(q.updateTable('appointments').set({ status: 'checked_in', pending: 1 }).where('id', '=', appointment.id));
        return row;
      },
      (row) => ({
        procedure: 'issue_ticket',
        args: {
          id: row.id,
          service_date: row.service_date,
          ticket_number: row.ticket_number,
          desk_letter: row.desk_letter,
          desk_seq: row.desk_seq,
          patient_id: row.patient_id,
          urgent: input.urgent,
          appointment_id: row.appointment_id,
          issued_at: row.issued_at,
        },
        sessionToken: stored.token,
        undo: [
          { kind: 'delete', table: 'queue_tickets', id: row.id },
          ...(appointment ? [{ kind: 'restore', table: 'appointments', row: appointment } satisfies Undo] : []),
        ],
      }),
    );
    this.emit('queue.changed', { at: new Date().toISOString() });
    await this.pushAndSurfaceRejection(requestKey);
    const saved = this.cache.get(q.selectFrom('queue_tickets').selectAll().where('id', '=', ticket.id));
    return this.toTicket(saved ?? ticket);
  }

  /**
   * The next number of this desk today: above both what this desk counted and any ticket of its
   * letter the centre already holds (a reinstalled desk must not reuse a number).
   */
  private nextDeskSeq(day: string, letter: string): number {
    const q = this.cache.q;
    const counted = this.cache.get(q.selectFrom('desk_counters').select('last_seq').where('service_date', '=', day).where('desk_letter', '=', letter))?.last_seq ?? 0;
    const seen =
      this.cache.get(
        q
          .selectFrom('queue_tickets')
          .select((eb) => eb.fn.max('desk_seq').as('max_seq'))
          .where('service_date', '=', day)
          .where('desk_letter', '=', letter),
      )?.max_seq ?? 0;
    return Math.max(counted, Number(seen)) + 1;
  }

  todayTickets(): Ticket[] {
    this.requireSession([...RECEPTION_ROLES, 'doctor']);
    return this.ticketsOfDay(clinicDay(this.now()))
      .sort((a, b) => a.issued_at.localeCompare(b.issued_at) || a.ticket_number.localeCompare(b.ticket_number))
      .map((row) => this.toTicket(row));
  }

  private requireDoctor(): { stored: StoredSession; doctorId: string } {
    const stored = this.requireSession(['doctor']);
    if (!stored.session.doctor) throw new ApiError('forbidden', 'Only a doctor can call patients.');
    return { stored, doctorId: stored.session.doctor.id };
  }

  private requireRoom(): { id: string; name: string } {
    const info = this.stationInfo();
    if (!info.room) throw new ApiError('internal', `Room ${this.config.roomCode ?? '(none configured)'} is not known to this station yet.`);
    return info.room;
  }

  myQueue(): { current: Ticket | null; waiting: Ticket[] } {
    const { doctorId } = this.requireDoctor();
    const now = this.now();
    const tickets = this.ticketsOfDay(clinicDay(now));
    const current = tickets
      .filter((t) => t.status === 'called' && t.called_by_doctor_id === doctorId)
      .sort((a, b) => (b.called_at ?? '').localeCompare(a.called_at ?? ''))[0];
    const waiting = orderQueue(tickets.map(asCandidate), { doctorId, now }).map((c) => this.toTicket(c.row));
    return { current: current ? this.toTicket(current) : null, waiting };
  }

  /**
   * Online, the centre chooses (two doctors never get the same patient). Offline, the doctor keeps
   * working from the cache: the choice is made locally and sent as a call of that ticket, which the
   * centre refuses if someone else called it meanwhile.
   */
  async callNext(): Promise<Ticket | null> {
    const { stored, doctorId } = this.requireDoctor();
    const room = this.requireRoom();
    const pushed = await this.syncPush();
    if (pushed.kind === 'needs_sign_in') throw new ApiError('not_signed_in', 'Your session has expired. Please sign in again.');
    if (pushed.kind === 'drained') {
      try {
        const result = await this.central.callProcedure<{ ticket: unknown; call?: unknown }>('call_next', randomUUID(), { room_id: room.id }, stored.token);
        const summary: AppliedSummary = { tables: new Set(), newCalls: [] };
        this.cache.transaction(() => this.cache.applyProcedureResult(result, summary));
        this.onCacheChanged(summary);
        this.markOnline();
        const id = (result.ticket as { id?: string } | null)?.id;
        if (!id) return null;
        return this.toTicket(this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', id))!);
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind !== 'transient') throw apiErrorFromCentral(failure);
        this.markOffline(failure);
      }
    }
    const now = this.now();
    const next = pickNext(this.ticketsOfDay(clinicDay(now)).map(asCandidate), { doctorId, now });
    if (!next) return null;
    const before = next.row;
    const called: TicketRow = {
      ...before,
      status: 'called',
      called_at: now.toISOString(),
      called_by_doctor_id: doctorId,
      doctor_id: doctorId,
      room_id: room.id,
      pending: 1,
    };
    this.cache.enqueue(
      () => this.cache.writeRow('queue_tickets', { ...called }, { mode: 'local', pending: true }),
      () => ({
        procedure: 'call_ticket',
        args: { ticket_id: before.id, room_id: room.id },
        sessionToken: stored.token,
        undo: [{ kind: 'restore', table: 'queue_tickets', row: before }],
      }),
    );
    this.afterLocalWrite();
    return this.toTicket(this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', before.id))!);
  }

  private async changeTicket(action: 'recall' | 'skip' | 'no_show' | 'complete', ticketId: string): Promise<Ticket> {
    const { stored } = this.requireDoctor();
    const before = this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', ticketId));
    if (!before) throw new ApiError('not_found', 'That ticket is not in today’s queue.');
    if (before.status !== 'called') {
      throw new ApiError('conflict', `Ticket ${before.ticket_number} is ${before.status.replace('_', ' ')}, not called: it cannot be ${pastTense[action]}.`);
    }
    const now = this.now().toISOString();
    const after: TicketRow = { ...before, pending: 1 };
    if (action === 'recall') Object.assign(after, { recall_count: before.recall_count + 1, called_at: now });
    if (action === 'skip') Object.assign(after, { status: 'waiting', queued_at: now, called_at: null, room_id: null, called_by_doctor_id: null });
    if (action === 'no_show') Object.assign(after, { status: 'no_show' });
    if (action === 'complete') Object.assign(after, { status: 'completed', completed_at: now });
    this.cache.enqueue(
      () => this.cache.writeRow('queue_tickets', { ...after }, { mode: 'local', pending: true }),
      () => ({
        procedure: `${action}_ticket`,
        args: { ticket_id: ticketId },
        sessionToken: stored.token,
        undo: [{ kind: 'restore', table: 'queue_tickets', row: before }],
      }),
    );
    this.afterLocalWrite();
    return this.toTicket(this.cache.get(this.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', ticketId))!);
  }

  todayAppointments(): Appointment[] {
    this.requireSession([...RECEPTION_ROLES, 'doctor']);
    const clinicId = this.requireClinic().id;
    const today = clinicDay(this.now());
    return this.cache
      .all(
        this.cache.q
          .selectFrom('appointments as a')
          .innerJoin('patients as p', 'p.id', 'a.patient_id')
          .innerJoin('doctors as d', 'd.id', 'a.doctor_id')
          .select(['a.id', 'a.appointment_number', 'a.patient_id', 'p.full_name as patient_name', 'p.nric_masked', 'a.doctor_id', 'd.full_name as doctor_name', 'a.starts_at', 'a.status'])
          .where('a.clinic_id', '=', clinicId)
          .orderBy('a.starts_at'),
      )
      .filter((a) => clinicDay(new Date(a.starts_at)) === today)
      .map((a) => ({
        id: a.id,
        appointmentNumber: a.appointment_number,
        patientId: a.patient_id,
        patientName: a.patient_name,
        nricMasked: a.nric_masked,
        doctorId: a.doctor_id,
        doctorName: a.doctor_name,
        startsAt: a.starts_at,
        status: a.status,
      }));
  }

  displayBoard(): DisplayBoard {
    const clinic = this.requireClinic();
    const today = clinicDay(this.now());
    const calls = this.cache
      .all(
        this.cache.q
          .selectFrom('queue_calls as c')
          .leftJoin('rooms as r', 'r.id', 'c.room_id')
          .select(['c.id', 'c.ticket_number', 'c.kind', 'c.called_at', 'r.name as room_name'])
          .where('c.clinic_id', '=', clinic.id)
          .orderBy('c.called_at', 'desc')
          .limit(20),
      )
      .filter((c) => clinicDay(new Date(c.called_at)) === today)
      .slice(0, 5)
      .map((c) => toDisplayCall(c));
    const waitingCount = this.ticketsOfDay(today).filter((t) => t.status === 'waiting').length;
    return { clinicName: clinic.name, nowServing: calls[0] ?? null, recent: calls, waitingCount };
  }

  // --- sync --------------------------------------------------------------------------------------

  /** Pushes, then pulls. Concurrent requests fold into the run in progress plus one more. */
  requestSync(): Promise<void> {
    if (this.stopped || !this.puller) return Promise.resolve();
    if (this.syncRun) {
      this.syncAgain = true;
      return this.syncRun;
    }
    this.syncRun = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain && !this.stopped);
    })().finally(() => {
      this.syncRun = null;
    });
    return this.syncRun;
  }

  private async syncOnce(): Promise<void> {
    // The centre shows a station nothing without a signed-in session (row-level security): a
    // load now would look like an empty clinic. Sync starts at sign-in.
    if (!(await this.checkCompatible()) || !this.currentSession()) return;
    const pushed = await this.syncPush();
    if (pushed.kind !== 'drained') return;
    try {
      const pulled = await this.puller!.pull();
      if (pulled.kind === 'initial') this.setStatus({ initialSync: null });
      await this.fetchClinicSettings();
      this.markOnline();
      if (pulled.kind === 'incremental' && this.now().getTime() - this.lastVerifiedAt > (this.config.verifyIntervalMs ?? 10 * 60_000)) {
        await this.verifyNow();
      }
    } catch (error) {
      this.markOffline(classifyFailure(error));
    }
  }

  /**
   * The clinic's settings (announcement languages…) are not in the change feed: read at most once
   * per poll interval — not on every notification-driven pull — and kept for offline use. A change
   * made here and still in the outbox is not overwritten.
   */
  private async fetchClinicSettings(): Promise<void> {
    const token = this.currentSession()?.token;
    const now = this.now().getTime();
    if (!token || now - this.settingsFetchedAt < (this.config.pollIntervalMs ?? 5000)) return;
    this.settingsFetchedAt = now;
    const settings = await this.central.withSession({ token }, async (client) => (await client.query<{ s: unknown }>('SELECT clinic.settings_for_station() AS s')).rows[0]?.s);
    const json = JSON.stringify(settings ?? {});
    if (this.cache.pendingCount() === 0 && json !== this.cache.getMeta(CLINIC_SETTINGS_META)) this.cache.setMeta(CLINIC_SETTINGS_META, json);
  }

  /**
   * Compares the cache with the centre partition by partition and repairs only what differs;
   * returns what was repaired.
   */
  async verifyNow(): Promise<{ table: string; partition: string; rows: number }[]> {
    this.lastVerifiedAt = this.now().getTime();
    const result = await this.puller!.verify();
    return result.repaired;
  }

  /** Nothing is pushed or pulled until the centre is known to speak this app's protocol. */
  private async ensureCompatible(): Promise<CentralError | null> {
    if (this.compatible) return null;
    try {
      await this.puller!.handshake();
      this.compatible = true;
      return null;
    } catch (error) {
      return classifyFailure(error);
    }
  }

  /** True when sync may go ahead; otherwise the status says why not (incompatible or unreachable). */
  private async checkCompatible(): Promise<boolean> {
    const refusal = await this.ensureCompatible();
    if (!refusal) return true;
    if (refusal.kind === 'incompatible') this.setStatus({ online: true, lastError: refusal.message });
    else this.markOffline(refusal);
    return false;
  }

  private async syncPush(): Promise<PushOutcome> {
    if (!(await this.checkCompatible())) {
      return { kind: 'offline', pushed: 0, rejected: 0, error: new CentralError('transient', 'SYNC_PAUSED', this.status.lastError ?? 'Sync is paused.') };
    }
    const outcome = await this.pusher.push();
    if (outcome.kind === 'offline') this.markOffline(outcome.error);
    if (outcome.kind === 'needs_sign_in') {
      this.setStatus({ online: true, lastError: `Sign in again to send ${this.cache.pendingCount()} waiting change(s).` });
    }
    return outcome;
  }

  private markOnline(): void {
    this.retryBackoff.reset();
    this.setStatus({ online: true, lastSyncedAt: this.now().toISOString(), lastError: null });
  }

  private markOffline(error: CentralError): void {
    this.setStatus({ online: false, lastError: error.message });
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.requestSync();
    }, this.retryBackoff.nextDelayMs());
  }

  private setStatus(change: Partial<SyncStatus>): void {
    const next = { ...this.status, ...change, pending: this.cache.pendingCount(), attention: this.cache.rejectionCount() };
    const changed = JSON.stringify(next) !== JSON.stringify(this.status);
    this.status = next;
    if (changed) this.emit('sync.status', next);
  }

  private afterLocalWrite(): void {
    this.setStatus({});
    this.emit('queue.changed', { at: new Date().toISOString() });
    void this.requestSync();
  }

  /**
   * Gives the centre a moment to answer a write the person is waiting on, so a refusal the cache
   * could not foresee (say, an NRIC registered at another desk a minute ago) shows on the form.
   * Offline, the write simply waits in the outbox.
   */
  private async pushAndSurfaceRejection(requestKey: string, waitMs = 3000): Promise<void> {
    this.setStatus({});
    await Promise.race([this.requestSync(), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    if (this.cache.isQueued(requestKey)) return;
    const rejection = this.cache.rejectionOf(requestKey);
    if (rejection) throw apiErrorFromCentral(new CentralError('permanent', rejection.code, rejection.message));
  }

  private onCacheChanged(summary: AppliedSummary): void {
    if (this.stopped) return;
    if ([...summary.tables].some((t) => t === 'queue_tickets' || t === 'queue_calls' || t === 'appointments' || t === 'patients')) {
      this.emit('queue.changed', { at: new Date().toISOString() });
    }
    const today = clinicDay(this.now());
    for (const call of summary.newCalls) {
      if (clinicDay(new Date(call.called_at)) !== today) continue;
      const room = call.room_id ? this.cache.get(this.cache.q.selectFrom('rooms').select('name').where('id', '=', call.room_id)) : undefined;
      this.emit('display.called', toDisplayCall({ id: call.id, ticket_number: call.ticket_number, kind: call.kind, called_at: call.called_at, room_name: room?.name ?? null }));
    }
  }
}

const pastTense = { recall: 'recalled', skip: 'skipped', no_show: 'marked no-show', complete: 'completed' } as const;

function asCandidate(row: TicketRow) {
  return {
    row,
    ticketNumber: row.ticket_number,
    priority: row.priority as QueuePriority,
    status: row.status as Ticket['status'],
    doctorId: row.doctor_id,
    dueAt: row.due_at,
    queuedAt: row.queued_at,
  };
}

function toDisplayCall(c: { id: string; ticket_number: string; kind: string; called_at: string; room_name: string | null }): DisplayCall {
  return {
    callId: c.id,
    ticketNumber: c.ticket_number,
    roomName: c.room_name ?? 'the consultation room',
    kind: c.kind === 'recall' ? 'recall' : 'call',
    calledAt: c.called_at,
  };
}

function apiErrorFromCentral(error: CentralError): ApiError {
  if (error.kind === 'transient') return new ApiError('offline', error.message);
  if (error.kind === 'unauthenticated') return new ApiError('not_signed_in', error.message);
  const byCode: Record<string, ApiError['code']> = { GC400: 'validation', GC403: 'forbidden', GC404: 'not_found', GC409: 'conflict', GC422: 'conflict' };
  return new ApiError(byCode[error.code] ?? 'internal', error.message);
}

const adviceByCode: Record<string, string> = {
  GC400: 'Correct the details and enter them again.',
  GC401: 'Sign in again, then enter it again.',
  GC403: 'Ask someone whose role allows this to do it.',
  GC404: 'The record no longer exists at the centre: check with the clinic manager.',
  GC409: 'Someone else got there first: check the current record before doing it again.',
  GC422: 'This looks like a station fault: tell IT, quoting the time.',
};

const whatByProcedure: Record<string, (args: Record<string, unknown>) => string> = {
  register_patient: (a) => `Registration of ${String(a.full_name ?? 'a patient')} (${String(a.nric_masked ?? '')})`,
  issue_ticket: (a) => `Ticket ${String(a.ticket_number ?? '')}`,
  call_ticket: () => 'A call made while offline',
  recall_ticket: () => 'A recall',
  skip_ticket: () => 'A skip',
  no_show_ticket: () => 'A no-show',
  complete_ticket: () => 'A completed consultation',
  set_setting: (a) => `The clinic setting ${String(a.key ?? '')}`,
};

/** Turns a refusal into something a receptionist can act on. */
function describeRejection(row: CacheSchema['rejections']): AttentionItem {
  const args = JSON.parse(row.args) as Record<string, unknown>;
  const what = whatByProcedure[row.procedure]?.(args) ?? row.procedure.replace(/_/g, ' ');
  return {
    id: row.id,
    what,
    reason: row.message,
    action: adviceByCode[row.code] ?? 'Check the record and try again; tell IT if it keeps happening.',
    at: row.created_at,
  };
}
