import type { Central, CentralError } from './central';
import { classifyFailure } from './central';

/** One local change waiting to reach the centre (DESIGN §4). */
export interface OutboxEntry {
  seq: number;
  requestKey: string;
  procedure: string;
  args: unknown;
  sessionToken: string | null;
}

/** The station's outbox as the pusher sees it. Each call is one local transaction. */
export interface OutboxStore {
  /** The oldest entries, in the order they were written. */
  peek(limit: number): OutboxEntry[];
  /** The centre applied the entry: store its answer locally and drop the entry. */
  acknowledge(entry: OutboxEntry, result: unknown): void;
  /** The centre refused the entry for good: undo its local effect, record why, drop it. */
  reject(entry: OutboxEntry, error: CentralError): void;
}

export type PushOutcome =
  | { kind: 'drained'; pushed: number; rejected: number }
  | { kind: 'offline'; pushed: number; rejected: number; error: CentralError }
  | { kind: 'needs_sign_in'; pushed: number; rejected: number; error: CentralError };

/**
 * Pushes the outbox in order through the procedures. A permanent rejection is acknowledged and
 * never blocks what follows; a transient failure stops the run so order is kept and the caller
 * retries later with backoff.
 */
export class Pusher {
  private running: Promise<PushOutcome> | null = null;

  constructor(
    private readonly central: Central,
    private readonly outbox: OutboxStore,
  ) {}

  /** Concurrent callers share one run, so an entry is never in flight twice from this station. */
  push(): Promise<PushOutcome> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(): Promise<PushOutcome> {
    let pushed = 0;
    let rejected = 0;
    for (;;) {
      const batch = this.outbox.peek(50);
      if (batch.length === 0) return { kind: 'drained', pushed, rejected };
      for (const entry of batch) {
        try {
          const result = await this.central.callProcedure(entry.procedure, entry.requestKey, entry.args, entry.sessionToken);
          this.outbox.acknowledge(entry, result);
          pushed += 1;
        } catch (caught) {
          const error = classifyFailure(caught);
          if (error.kind === 'transient') return { kind: 'offline', pushed, rejected, error };
          if (error.kind === 'unauthenticated') return { kind: 'needs_sign_in', pushed, rejected, error };
          this.outbox.reject(entry, error);
          rejected += 1;
        }
      }
    }
  }
}
