import { ApiError, eventNames, type EventName, type EventPayload, type MethodName, type MethodOutput } from '../../shared/contract';
import { CoreClient } from '../core-process/client';
import { portEndpoint } from '../core-process/endpoint';
import { fromCoreSchema, type CoreConfig, type InitMessage } from '../core-process/protocol';
import type { ElectronApi, UtilityProcessLike } from './electron-api';

/*
 * One station core in its own utilityProcess, reached over a MessagePort, seen by the rest of the
 * main process as a StationCore (handle/on). If the core dies, calls in flight fail as `offline`,
 * and the host starts a fresh process after a growing pause, so the window comes back by itself.
 */

export interface CoreHostOptions {
  /** dist/electron/core-process.cjs in the app. */
  entryPath: string;
  config: CoreConfig;
  log: (line: string) => void;
  /** Pauses before each successive restart; the last repeats. */
  restartDelaysMs?: number[];
  /** A core that ran this long counts as healthy: the next crash restarts it after the first pause again. */
  healthyAfterMs?: number;
  /** How long a core gets to stop cleanly before it is killed. */
  stopTimeoutMs?: number;
  /** How long a killed core's exit is waited for, so a stuck process cannot hold up quitting. */
  killTimeoutMs?: number;
}

const DEFAULT_RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

type Listener = (payload: never) => void;

export class CoreHost {
  private child: UtilityProcessLike | null = null;
  private client: CoreClient | null = null;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private startedAt = 0;
  private stopping = false;
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private readonly log: (line: string) => void;

  constructor(
    private readonly electron: Pick<ElectronApi, 'utilityProcess' | 'MessageChannelMain'>,
    private readonly options: CoreHostOptions,
  ) {
    const code = options.config.stationCode;
    this.log = (line) => options.log(`[${code}] ${line}`);
  }

  get stationCode(): string {
    return this.options.config.stationCode;
  }

  /** Resolves when this process of the core has started; rejects with why it could not. */
  start(): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('This core host has been stopped.'));
    return this.spawn().started;
  }

  async handle<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
    if (!this.client) throw new ApiError('offline', 'The station service is not running.');
    return this.client.handle(method, input);
  }

  /** Listeners survive restarts: they hear whichever process is current. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const { child, client } = this;
    if (!child || !client) return;
    const clean = await client.stop(this.options.stopTimeoutMs ?? 10_000);
    if (!clean && client.closed === null) {
      this.log('The core did not stop in time; ending its process.');
      child.kill();
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), this.options.killTimeoutMs ?? 5000)));
    if ((await Promise.race([this.exited.then(() => false), gaveUp])) === true) this.log('The core process did not exit after being ended; leaving it.');
    clearTimeout(timer);
  }

  private spawn(): CoreClient {
    const { config, entryPath } = this.options;
    const child = this.electron.utilityProcess.fork(entryPath, [], { serviceName: `Station core ${config.stationCode}`, stdio: 'inherit' });
    const { port1, port2 } = new this.electron.MessageChannelMain();
    const client = new CoreClient(portEndpoint(port1), { log: this.log });
    for (const name of eventNames) client.on(name, (payload) => this.emit(name, payload));
    this.child = child;
    this.client = client;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        if (!this.stopping || code !== 0) this.log(`The station core's process exited with code ${code}.`);
        client.lost(`its process exited with code ${code}`);
        resolve();
        if (this.child === child) this.afterExit();
      });
    });
    child.on('message', (raw) => {
      // Only a refused init comes this way; the contract itself runs on the port.
      const message = fromCoreSchema.safeParse(raw);
      if (message.success && message.data.type === 'failed') this.log(`The core refused its configuration: ${message.data.error.message}`);
    });
    client.started.then(
      () => {
        this.startedAt = Date.now();
        this.log('Station core started.');
      },
      (error: unknown) => this.log(`Station core could not start: ${error instanceof Error ? error.message : String(error)}`),
    );
    const init: InitMessage = { type: 'init', config };
    child.postMessage(init, [port2]);
    return client;
  }

  private afterExit(): void {
    if (this.stopping) return;
    const healthyAfterMs = this.options.healthyAfterMs ?? 60_000;
    if (this.startedAt && Date.now() - this.startedAt >= healthyAfterMs) this.restarts = 0;
    this.startedAt = 0;
    const delays = this.options.restartDelaysMs ?? DEFAULT_RESTART_DELAYS_MS;
    const delay = delays[Math.min(this.restarts, delays.length - 1)] ?? 1000;
    this.restarts += 1;
    this.log(`Restarting the station core in ${delay} ms.`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, delay);
  }

  private emit(event: EventName, payload: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload as never);
  }
}
