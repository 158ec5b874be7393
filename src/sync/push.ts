import { procedureSchema } from '../shared/central-contract';
import { CentralError, classifyFailure, type Central } from './central';

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

/** Entries per round trip: well inside the gateway's body limit even for registrations with long addresses. */
export const PUSH_BATCH = 100;

/**
 * Pushes the outbox in order, a batch per round trip, each entry answered on its own. A permanent rejection is
 * acknowledged and never blocks what follows; a transient failure stops the run so order is kept and the caller
 * retries later with backoff (the gateway answers the entries after it "not attempted").
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
      const peeked = this.outbox.peek(PUSH_BATCH);
      if (peeked.length === 0) return { kind: 'drained', pushed, rejected };
      const unknown = peeked.find((entry) => !procedureSchema.safeParse(entry.procedure).success);
      if (unknown && unknown === peeked[0]) {
        // Written by an app that knew a procedure this centre contract does not: it can never be accepted.
        this.outbox.reject(unknown, new CentralError('permanent', 'GC400', `The centre has no procedure ${unknown.procedure} for stations.`));
        rejected += 1;
        continue;
      }
      // Work done while nobody was signed in waits for a session to carry it; what came before it goes now.
      const stop = peeked.findIndex((entry) => !entry.sessionToken || entry === unknown);
      const batch = stop === -1 ? peeked : peeked.slice(0, stop);
      if (batch.length === 0) {
        return { kind: 'needs_sign_in', pushed, rejected, error: new CentralError('unauthenticated', 'GC401', 'Please sign in first.') };
      }
      let answers;
      try {
        answers = await this.central.push(
          batch.map((entry) => ({
            procedure: procedureSchema.parse(entry.procedure),
            requestKey: entry.requestKey,
            args: entry.args as Record<string, unknown>,
            sessionToken: entry.sessionToken!,
          })),
        );
      } catch (caught) {
        const error = classifyFailure(caught);
        if (error.kind === 'unauthenticated') return { kind: 'needs_sign_in', pushed, rejected, error };
        return { kind: 'offline', pushed, rejected, error };
      }
      for (const [i, answer] of answers.entries()) {
        const entry = batch[i]!;
        if (answer.ok) {
          this.outbox.acknowledge(entry, answer.result);
          pushed += 1;
          continue;
        }
        const error = new CentralError(answer.error.kind, answer.error.code, answer.error.message);
        if (error.kind === 'transient') return { kind: 'offline', pushed, rejected, error };
        if (error.kind === 'unauthenticated') return { kind: 'needs_sign_in', pushed, rejected, error };
        this.outbox.reject(entry, error);
        rejected += 1;
      }
    }
  }
}
