import { describeIssuesWithPaths } from '../../shared/issue-text';
import {
  ApiError,
  eventNames,
  methods,
  type ApiErrorBody,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../shared/contract';
import type { Endpoint } from './endpoint';
import { toCoreSchema, type FromCore } from './protocol';

/** What the server needs of a station: StationCore's public API. */
export interface HostedStation {
  start(): Promise<void>;
  stop(): Promise<void>;
  handle(method: MethodName, input: unknown): Promise<unknown>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Why serving ended: asked to stop, could not start, or the host went away without asking. */
export type ServeOutcome = 'stopped' | 'failed' | 'host-gone';

export interface ServedStation {
  /** Settles once the station is stopped and the endpoint closed. */
  readonly done: Promise<ServeOutcome>;
  /** Stops as if the host had asked (e.g. on SIGTERM). */
  stop(): Promise<ServeOutcome>;
}

/**
 * Serves one station over an endpoint: opens and starts it, answers calls, forwards its events,
 * and stops it on request. Calls that arrive while the station starts wait for it, so the host can
 * open its window at once; if it cannot start, they are answered with the reason.
 */
export function serveStation(endpoint: Endpoint, open: () => Promise<HostedStation>, log: (line: string) => void = () => undefined): ServedStation {
  return new StationServer(endpoint, open, log);
}

class StationServer implements ServedStation {
  private station: HostedStation | null = null;
  private startError: ApiErrorBody | null = null;
  private stopping: Promise<ServeOutcome> | null = null;
  private readonly unsubscribes: (() => void)[] = [];
  private readonly ready: Promise<void>;
  private resolveDone: (outcome: ServeOutcome) => void = () => undefined;
  readonly done = new Promise<ServeOutcome>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly endpoint: Endpoint,
    open: () => Promise<HostedStation>,
    private readonly log: (line: string) => void,
  ) {
    endpoint.onMessage((raw) => this.receive(raw));
    endpoint.onClose((reason) => {
      if (!this.stopping) log(`The host went away (${reason}); stopping the station core.`);
      void this.finish('host-gone');
    });
    this.ready = this.open(open);
    void this.ready.then(() => {
      if (this.startError) void this.finish('failed');
    });
  }

  stop(): Promise<ServeOutcome> {
    return this.finish('stopped');
  }

  private async open(open: () => Promise<HostedStation>): Promise<void> {
    try {
      const station = await open();
      this.station = station;
      for (const name of eventNames) this.unsubscribes.push(station.on(name, (payload) => this.send({ type: 'event', event: name, payload })));
      await station.start();
      this.send({ type: 'started' });
    } catch (error) {
      this.startError = toApiError(error).toBody();
      this.log(`The station core could not start: ${this.startError.message}`);
      this.send({ type: 'failed', error: this.startError });
    }
  }

  private finish(outcome: ServeOutcome): Promise<ServeOutcome> {
    this.stopping ??= (async () => {
      await this.ready;
      for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
      await this.station?.stop().catch((error: unknown) => this.log(`Stopping the station core failed: ${errorText(error)}`));
      if (outcome === 'stopped') this.send({ type: 'stopped' });
      this.endpoint.close();
      this.resolveDone(outcome);
      return outcome;
    })();
    return this.stopping;
  }

  private receive(raw: unknown): void {
    const parsed = toCoreSchema.safeParse(raw);
    if (!parsed.success) {
      const error = new ApiError('validation', `The station core cannot read this message: ${describeIssuesWithPaths(parsed.error)}`).toBody();
      const id = requestIdOf(raw);
      this.send(id === null ? { type: 'rejected', error } : { type: 'result', id, ok: false, error });
      return;
    }
    if (parsed.data.type === 'stop') void this.finish('stopped');
    else void this.call(parsed.data.id, parsed.data.method, parsed.data.input);
  }

  private async call(id: number, method: string, input: unknown): Promise<void> {
    await this.ready;
    const fail = (error: ApiErrorBody) => this.send({ type: 'result', id, ok: false, error });
    if (this.startError) return fail(this.startError);
    if (this.stopping || !this.station) return fail(new ApiError('offline', 'The station service is stopping.').toBody());
    // Own properties only: 'toString' or '__proto__' must not reach a handler lookup.
    if (!Object.hasOwn(methods, method)) return fail(new ApiError('not_found', `Unknown method ${method}`).toBody());
    try {
      this.send({ type: 'result', id, ok: true, value: await this.station.handle(method as MethodName, input) });
    } catch (error) {
      fail(toApiError(error).toBody());
    }
  }

  private send(message: FromCore): void {
    try {
      this.endpoint.send(message);
    } catch (error) {
      // A value the channel cannot clone is the core's bug: log it rather than throw into the core's
      // event emitter, and still give the caller an answer.
      this.log(`Could not send a ${message.type} message: ${errorText(error)}`);
      if (message.type === 'result' && message.ok) this.send({ type: 'result', id: message.id, ok: false, error: internal(`The answer could not be sent: ${errorText(error)}`) });
    }
  }
}

/** A malformed call that still carries a usable id gets its answer; anything else is `rejected`. */
function requestIdOf(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return null;
  const id = (raw as { id: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('internal', errorText(error));
}

function internal(message: string): ApiErrorBody {
  return new ApiError('internal', message).toBody();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
