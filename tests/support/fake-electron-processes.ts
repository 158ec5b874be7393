import { EventEmitter } from 'node:events';

/*
 * The fake Electron's message ports and utility processes (see fake-electron.ts): messages are
 * structured-cloned and delivered asynchronously, a MessagePortMain queues until start(), closing
 * one end emits 'close' on the other, and a process's death closes every port it was given.
 */

export class FakeMessagePortMain extends EventEmitter {
  peer: FakeMessagePortMain | null = null;
  private started = false;
  closed = false;
  private readonly queue: unknown[] = [];

  postMessage(message: unknown): void {
    if (this.closed) return;
    this.peer?.receive(structuredClone(message));
  }
  start(): void {
    this.started = true;
    this.flush();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer?.remoteClosed();
  }
  private receive(data: unknown): void {
    if (this.closed) return;
    this.queue.push(data);
    this.flush();
  }
  private remoteClosed(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.emit('close'));
  }
  private flush(): void {
    if (!this.started) return;
    setImmediate(() => {
      while (this.queue.length) this.emit('message', { data: this.queue.shift(), ports: [] });
    });
  }
}

export class FakeMessageChannelMain {
  readonly port1 = new FakeMessagePortMain();
  readonly port2 = new FakeMessagePortMain();
  constructor() {
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
  }
}

/** process.parentPort as the code inside a utilityProcess sees it; queues until someone listens. */
export class FakeParentPort extends EventEmitter {
  private readonly queue: { data: unknown; ports: FakeMessagePortMain[] }[] = [];
  constructor(private readonly toParent: (message: unknown) => void) {
    super();
    this.on('newListener', (event) => {
      if (event === 'message') setImmediate(() => this.queue.splice(0).forEach((m) => this.emit('message', m)));
    });
  }
  deliver(message: { data: unknown; ports: FakeMessagePortMain[] }): void {
    if (this.listenerCount('message')) setImmediate(() => this.emit('message', message));
    else this.queue.push(message);
  }
  postMessage(message: unknown): void {
    this.toParent(structuredClone(message));
  }
}

export class FakeUtilityProcess extends EventEmitter {
  readonly parentPort = new FakeParentPort((message) => setImmediate(() => this.emit('message', message)));
  private readonly ownedPorts: FakeMessagePortMain[] = [];
  exitCode: number | null = null;
  killed = false;
  /** A process stuck so hard that SIGTERM does nothing. */
  ignoresKill = false;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: { serviceName?: string; stdio?: string },
  ) {
    super();
  }
  postMessage(message: unknown, transfer: FakeMessagePortMain[] = []): void {
    if (this.exitCode !== null) throw new Error('Child process is not alive');
    this.ownedPorts.push(...transfer);
    this.parentPort.deliver({ data: structuredClone(message), ports: transfer });
  }
  kill(): boolean {
    if (this.exitCode !== null) return false;
    this.killed = true;
    if (!this.ignoresKill) this.exit(143);
    return true;
  }
  /** The process ends, cleanly or not: its ports close, then the main process hears `exit`. */
  exit(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    for (const port of this.ownedPorts) port.close();
    setImmediate(() => this.emit('exit', code));
  }
}
