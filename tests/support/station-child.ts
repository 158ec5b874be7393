import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CoreConfig } from '../../src/main/core-process/protocol';
import type { SyncStatus } from '../../src/shared/contract';

/** The same JSON an app's core process is started with. */
export type ChildStationConfig = CoreConfig;

/** A station in its own process (tests/support/station-process.ts), killable with SIGKILL. */
export class ChildStation {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly statuses: SyncStatus[] = [];
  /** Called as each status arrives, so a test can act (kill) at an exact point. */
  onStatus: (status: SyncStatus) => void = () => undefined;
  readonly started: Promise<void>;
  readonly exited: Promise<number | null>;

  constructor(config: ChildStationConfig) {
    this.child = fork(join(process.cwd(), 'tests', 'support', 'station-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, STATION_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.started = new Promise((resolve, reject) => {
      this.child.on('message', (raw) => {
        const message = raw as { id?: number; ok?: boolean; value?: unknown; error?: string; event?: string; payload?: SyncStatus };
        if (message.event === 'started') resolve();
        if (message.event === 'failed') reject(new Error(message.error));
        if (message.event === 'sync.status' && message.payload) {
          this.statuses.push(message.payload);
          this.onStatus(message.payload);
        }
        if (message.id !== undefined) {
          const pending = this.waiting.get(message.id);
          this.waiting.delete(message.id);
          if (message.ok) pending?.resolve(message.value);
          else pending?.reject(new Error(message.error));
        }
      });
      this.child.on('exit', () => reject(new Error('station process exited before it started')));
    });
  }

  call<T = unknown>(method: string, input: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, input });
    });
  }

  /** The real thing: no cleanup, no flush, mid-whatever. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    for (const pending of this.waiting.values()) pending.reject(new Error('station process killed'));
    this.waiting.clear();
  }

  /** The OS process id, to read what the station process holds (its sockets). */
  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
