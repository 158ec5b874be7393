import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, events as eventSchemas, parseInput, type EventName, type EventPayload, type MethodName, type MethodOutput } from '../shared/contract';
import { Central } from '../sync/central';
import { appointmentHandlers } from './appointments/handlers';
import { AppointmentService } from './appointments/service';
import { Cache } from './cache/cache';
import { stationAdminHandlers } from './enrolment/handlers';
import { stationKeyOf } from './enrolment/identity';
import { StationAdminService } from './enrolment/station-admin';
import { toApiError } from './central-errors';
import { clinicHandlers } from './clinic/handlers';
import { ClinicService } from './clinic/service';
import type { StationConfig } from './config';
import { DeviceService } from './devices/service';
import { deviceHandlers } from './devices/handlers';
import { displayHandlers } from './display/handlers';
import { DisplayService } from './display/service';
import type { Handlers } from './handlers';
import { patientHandlers } from './patients/handlers';
import { PatientService } from './patients/service';
import { queueHandlers } from './queue/handlers';
import { QueueService } from './queue/service';
import { tablesForRole } from './schema';
import { sessionHandlers } from './session/handlers';
import { SessionService, STAFF_ROLES } from './session/sessions';
import { SyncEngine } from './sync-engine/engine';
import { syncHandlers } from './sync-engine/handlers';

export type { StationConfig } from './config';

const SESSION_CHECK_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The station core's composition root: builds each domain's service on one cache and one sync
 * engine, and answers the station contract with their handlers. The hosts (Electron, browser)
 * only carry calls to `handle` and events from `on`.
 */
export class StationCore {
  private readonly emitter = new EventEmitter();
  private readonly central: Central;
  private readonly handlers: Handlers<MethodName>;
  private readonly clinic: ClinicService;
  private readonly sessions: SessionService;
  private stopped = false;
  private refreshTimer: NodeJS.Timeout | null = null;

  readonly cache: Cache;
  readonly sync: SyncEngine;
  readonly devices: DeviceService;

  constructor(readonly config: StationConfig) {
    mkdirSync(config.dataDir, { recursive: true });
    const now = config.now ?? (() => new Date());
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => this.emit(event, payload);
    this.emitter.setMaxListeners(100);
    this.cache = new Cache(join(config.dataDir, 'cache.sqlite'));
    const { identity } = config;
    const stationKey = stationKeyOf(identity);
    this.central = new Central({ gatewayUrl: identity.gatewayUrl, ca: identity.gatewayCaPem, key: () => stationKey });
    this.clinic = new ClinicService(identity, this.cache);
    this.sessions = new SessionService(identity.station.role, this.cache, this.central, now);
    this.sync = new SyncEngine({
      central: this.central,
      cache: this.cache,
      tables: tablesForRole[identity.station.role],
      sessionToken: () => this.sessions.current()?.token ?? null,
      emit,
      now,
      pollIntervalMs: config.pollIntervalMs,
      verifyIntervalMs: config.verifyIntervalMs,
      initialPageSize: config.initialPageSize,
    });
    const patients = new PatientService(this.cache, this.clinic, this.sessions, this.sync, config.crypto);
    const queue = new QueueService({ cache: this.cache, clinic: this.clinic, sessions: this.sessions, sync: this.sync, emit, now });
    const appointments = new AppointmentService(this.cache, this.clinic, this.sessions, now);
    const display = new DisplayService(this.cache, this.clinic, emit, now);
    const stationAdmin = new StationAdminService(this.cache, this.clinic, this.sessions, this.central, this.sync, identity.gatewayUrl);
    this.devices = new DeviceService({
      dataDir: config.dataDir,
      cache: this.cache,
      clinic: () => this.clinic.require(),
      now,
      emit: (payload) => this.emit('printer.status', payload),
      // The display has nobody to sign in: its screen reaches its own devices.
      authorize: () => {
        if (identity.station.role !== 'display') this.sessions.require(STAFF_ROLES);
      },
      session: () => {
        const stored = this.sessions.current();
        return stored ? { token: stored.token, role: stored.session.role } : null;
      },
      afterClinicWrite: (requestKey) => this.sync.pushAndSurfaceRejection(requestKey),
      options: config.devices,
    });
    this.cache.setChangeListener((summary) => {
      if (this.stopped) return;
      queue.onCacheChanged(summary);
      display.onCacheChanged(summary);
    });
    this.handlers = {
      ...clinicHandlers(this.clinic),
      ...sessionHandlers(this.sessions, this.sync),
      ...patientHandlers(patients),
      ...queueHandlers(queue, (ticket) => this.devices.ticketIssued(ticket)),
      ...appointmentHandlers(appointments),
      ...displayHandlers(display),
      ...syncHandlers(this.sync, this.cache),
      ...deviceHandlers(this.devices),
      ...stationAdminHandlers(stationAdmin),
    };
  }

  /** Starts devices and sync; the clinic is known from enrolment, so a station starts offline as well. */
  async start(): Promise<void> {
    this.devices.start();
    this.on('display.called', (call) => void this.devices.showOnBoards(call));
    await this.sync.start();
    this.refreshTimer = setInterval(() => void this.refreshSession(), this.config.sessionCheckIntervalMs ?? SESSION_CHECK_INTERVAL_MS);
    this.refreshTimer.unref();
  }

  /** Keeps whoever is signed in signed in (see SessionService.refreshIfDue); a failure waits for the next check. */
  async refreshSession(): Promise<void> {
    try {
      await this.sessions.refreshIfDue();
    } catch (error) {
      console.error(`Could not extend the session: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.sync.stop();
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
      return (await handler(input)) as MethodOutput<M>;
    } catch (error) {
      throw toApiError(error);
    }
  }

  requestSync(): Promise<void> {
    return this.sync.requestSync();
  }

  verifyNow(): Promise<{ table: string; partition: string; rows: number }[]> {
    return this.sync.verifyNow();
  }

  stationInfo() {
    return this.clinic.stationInfo();
  }
}
