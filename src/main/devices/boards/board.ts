import { Backoff } from '../../../sync/backoff';
import type { Transport } from '../transport';
import type { BoardCall, BoardDriver } from './driver';

/**
 * One queue board: a driver on a transport. Only the newest call matters to a board, so while it
 * is unreachable the latest call waits and older ones are superseded, not queued up.
 */
export class QueueBoard {
  private pending: BoardCall | null = null;
  private sending: Promise<void> | null = null;
  private readonly backoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  state: 'ready' | 'offline' | 'connecting' = 'connecting';
  lastError: string | null = null;

  constructor(
    readonly driver: BoardDriver,
    private readonly transport: Transport,
    private readonly onChange: () => void = () => undefined,
  ) {
    transport.onDisconnect((error) => this.fail(error));
  }

  /** Resolves when this call (or a newer one) has been written, or the board is offline. */
  show(call: BoardCall): Promise<void> {
    this.pending = call;
    this.sending ??= this.flush().finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  private async flush(): Promise<void> {
    while (this.pending && !this.stopped) {
      const call = this.pending;
      try {
        if (!this.transport.isOpen) await this.transport.open();
        await this.transport.write(this.driver.encodeCall(call));
        if (this.pending === call) this.pending = null;
        this.backoff.reset();
        this.set('ready', null);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
    }
  }

  private fail(error: Error): void {
    this.set('offline', error.message);
    if (this.stopped || this.retryTimer || !this.pending) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.pending) void this.show(this.pending);
    }, this.backoff.nextDelayMs());
  }

  private set(state: QueueBoard['state'], lastError: string | null): void {
    if (state === this.state && lastError === this.lastError) return;
    this.state = state;
    this.lastError = lastError;
    this.onChange();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.sending?.catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }
}
