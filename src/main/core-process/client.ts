import { describeIssuesWithPaths } from '../../shared/issue-text';
import {
  ApiError,
  events,
  methods,
  type EventName,
  type EventPayload,
  type MethodName,
  type MethodOutput,
} from '../../shared/contract';
import type { Endpoint } from './endpoint';
import { fromCoreSchema, type ToCore } from './protocol';

export interface CoreClientOptions {
  log?: (line: string) => void;
}

interface Pending {
  method: MethodName;
  resolve(value: unknown): void;
  reject(error: ApiError): void;
}

/**
 * The host's side of the station contract over an endpoint: the same `handle`/`on` as a
 * StationCore, so a host relays to a core in another process exactly as to one in its own. Every
 * answer and event is parsed on arrival; when the core goes away, every waiting call is answered.
 */
export class CoreClient {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private closedReason: string | null = null;
  private stopRequested = false;
  private resolveStopped: () => void = () => undefined;
  private readonly stoppedSignal = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private readonly log: (line: string) => void;
  /** Resolves when the core has started; rejects with the reason it could not. */
  readonly started: Promise<void>;
  private settleStart: { resolve(): void; reject(error: ApiError): void } = { resolve: () => undefined, reject: () => undefined };

  constructor(
    private readonly endpoint: Endpoint,
    options: CoreClientOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.started = new Promise<void>((resolve, reject) => (this.settleStart = { resolve, reject }));
    // Nobody may be awaiting `started` (a window calls straight away); the rejection is not lost, it answers calls.
    this.started.catch(() => undefined);
    endpoint.onMessage((raw) => this.receive(raw));
    endpoint.onClose((reason) => this.lost(reason));
  }

  get closed(): string | null {
    return this.closedReason;
  }

  async handle<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
    if (this.closedReason !== null) throw this.goneError();
    const id = this.nextId++;
    return new Promise<MethodOutput<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      this.post({ type: 'call', id, method, input });
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== null) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /**
   * Asks the core to stop cleanly and waits for it to say so (or go away). Resolves true when it
   * stopped as asked, false when it did not answer in time; the host then ends the process.
   */
  async stop(timeoutMs = 10_000): Promise<boolean> {
    if (this.closedReason !== null) return this.stopRequested;
    this.stopRequested = true;
    this.post({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const stopped = await Promise.race([this.stoppedSignal.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return stopped;
  }

  /**
   * The core is gone: its process exited or its port closed, whichever is heard first. The reason
   * goes to the log and to onClose listeners; callers get a plain message.
   */
  lost(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (!this.stopRequested) this.log(`The station core went away: ${reason}`);
    const gone = this.goneError();
    this.settleStart.reject(gone);
    for (const pending of this.pending.values()) pending.reject(gone);
    this.pending.clear();
    this.resolveStopped();
    for (const listener of this.closeListeners.splice(0)) listener(reason);
    this.endpoint.close();
  }

  private goneError(): ApiError {
    return this.stopRequested
      ? new ApiError('offline', 'The station service has stopped.')
      : new ApiError('offline', 'The station service stopped unexpectedly. Try again in a moment.');
  }

  private post(message: ToCore): void {
    try {
      this.endpoint.send(message);
    } catch (error) {
      this.lost(`could not send to the station core: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private receive(raw: unknown): void {
    const parsed = fromCoreSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`Ignored a malformed message from the station core: ${describeIssuesWithPaths(parsed.error)}`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'started':
        this.settleStart.resolve();
        return;
      case 'failed':
        this.settleStart.reject(new ApiError(message.error.code, message.error.message));
        return;
      case 'result':
        return this.settle(message);
      case 'event':
        return this.dispatch(message.event, message.payload);
      case 'rejected':
        this.log(`The station core could not read a message: ${message.error.message}`);
        return;
      case 'stopped':
        this.resolveStopped();
        return;
    }
  }

  private settle(message: { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: ApiError['code']; message: string } }): void {
    const pending = this.pending.get(message.id);
    if (!pending) return this.log(`The station core answered request ${message.id}, which nobody is waiting for.`);
    this.pending.delete(message.id);
    if (!message.ok) return pending.reject(new ApiError(message.error.code, message.error.message));
    const output = methods[pending.method].output.safeParse(message.value);
    if (output.success) pending.resolve(output.data);
    else pending.reject(new ApiError('internal', `The station core sent an unexpected answer to ${pending.method}: ${describeIssuesWithPaths(output.error)}`));
  }

  private dispatch(name: string, raw: unknown): void {
    if (!Object.hasOwn(events, name)) return this.log(`Ignored an unknown event from the station core: ${name}`);
    const event = name as EventName;
    const payload = events[event].safeParse(raw);
    if (!payload.success) return this.log(`Ignored a malformed ${event} event from the station core: ${describeIssuesWithPaths(payload.error)}`);
    for (const listener of this.listeners.get(event) ?? []) listener(payload.data as never);
  }
}
