import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConsoleProvider, FileProvider, renderNotification, toE164, type NotificationProvider } from './notify';

/*
 * The `worker` command (issue 3 §5): one process per chain (more may run; they share the work through
 * FOR UPDATE SKIP LOCKED and leases), connected as the clinic_integration role, which works only through the
 * webhook.* and ops.* functions of migrations 011–013.
 *
 * Each tick: schedule the periodic jobs (once per period, chain-wide), run due jobs (audit partition upkeep,
 * metrics refresh, retention purge), process due webhook events, dispatch due notifications.
 *
 * Exactly once: an event's or job's effects and its finish_* call are one transaction that starts by re-locking
 * the row as its lease holder (hold_*). A worker killed mid-way rolls back with its effects, its lease runs out and
 * another worker takes the event; a worker that finds its lease gone rolls back.
 */

export interface WebhookEvent {
  clinic_id: string;
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  signature: string | null;
  attempts: number;
}

export interface Job {
  id: string;
  kind: string;
  clinic_id: string | null;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Applies an event inside the worker's transaction (client); throwing fails the attempt. */
export type WebhookHandler = (event: WebhookEvent, client: pg.ClientBase) => Promise<void>;
export type JobHandler = (job: Job, client: pg.ClientBase) => Promise<Record<string, unknown> | void>;

export interface WorkerOptions {
  url: string;
  workerId?: string;
  provider?: NotificationProvider;
  /** By event type, with '*' as the fallback; an event without a handler fails (and dead-letters in the end). */
  webhookHandlers?: Record<string, WebhookHandler>;
  jobHandlers?: Record<string, JobHandler>;
  leaseSeconds?: number;
  log?: (line: string) => void;
}

export interface TickReport {
  scheduled: number;
  jobs: Record<string, string>;
  webhooks: Record<string, number>;
  notifications: Record<string, number>;
}

export const DEFAULT_JOB_HANDLERS: Record<string, JobHandler> = {
  'audit.partitions': async (_job, client) => (await client.query<{ r: Record<string, unknown> }>('SELECT ops.audit_upkeep(3) AS r')).rows[0]!.r,
  'metrics.refresh': async (_job, client) => (await client.query<{ r: Record<string, unknown> }>('SELECT ops.refresh_metrics() AS r')).rows[0]!.r,
  'retention.purge': async (_job, client) =>
    (await client.query<{ r: Record<string, unknown> }>(`SELECT ops.retention_purge(false, 'worker') AS r`)).rows[0]!.r,
};

export class CentralWorker {
  readonly id: string;
  private readonly client: pg.Client;
  private readonly provider: NotificationProvider;
  private readonly webhookHandlers: Record<string, WebhookHandler>;
  private readonly jobHandlers: Record<string, JobHandler>;
  private readonly leaseSeconds: number;
  private readonly log: (line: string) => void;
  private stopping = false;

  constructor(options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}`;
    this.client = new pg.Client({ connectionString: options.url, application_name: `gabriel-worker ${this.id}` });
    this.provider = options.provider ?? new ConsoleProvider();
    this.webhookHandlers = options.webhookHandlers ?? {};
    this.jobHandlers = { ...DEFAULT_JOB_HANDLERS, ...options.jobHandlers };
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.log = options.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    await this.client.connect();
    // Least privilege: the worker's own role, no table rights, functions only.
    await this.client.query('SET ROLE clinic_integration');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.client.end();
  }

  /** Claims and processes due webhook events until none is left (or `max`). Returns outcomes by status. */
  async processWebhooks(max = 100): Promise<Record<string, number>> {
    const outcomes: Record<string, number> = {};
    let done = 0;
    while (done < max && !this.stopping) {
      const { rows } = await this.client.query<WebhookEvent>('SELECT * FROM webhook.claim_events($1, $2, $3)', [
        this.id,
        Math.min(10, max - done),
        this.leaseSeconds,
      ]);
      if (rows.length === 0) break;
      for (const event of rows) {
        const outcome = await this.processEvent(event);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        done += 1;
      }
    }
    return outcomes;
  }

  /** One claimed event: hold, apply, finish, in one transaction. */
  async processEvent(event: WebhookEvent): Promise<string> {
    const started = performance.now();
    const c = this.client;
    await c.query('BEGIN');
    try {
      const held = await c.query('SELECT (webhook.hold_event($1, $2, $3)).id AS id', [event.clinic_id, event.id, this.id]);
      if (!held.rows[0]?.id) {
        await c.query('ROLLBACK');
        return 'lease_lost';
      }
      let error: string | null = null;
      await c.query('SAVEPOINT handler');
      try {
        const handler = this.webhookHandlers[event.event_type] ?? this.webhookHandlers['*'];
        if (!handler) throw new Error(`No handler for webhook event type "${event.event_type}".`);
        await handler(event, c);
        await c.query('RELEASE SAVEPOINT handler');
      } catch (e) {
        await c.query('ROLLBACK TO SAVEPOINT handler');
        error = e instanceof Error ? e.message : String(e);
      }
      const { rows } = await c.query<{ s: string }>('SELECT webhook.finish_event($1, $2, $3, $4, $5) AS s', [
        event.clinic_id,
        event.id,
        this.id,
        error,
        Math.round(performance.now() - started),
      ]);
      const status = rows[0]!.s;
      if (status === 'lease_lost') {
        await c.query('ROLLBACK');
      } else {
        await c.query('COMMIT');
      }
      this.log(`webhook ${event.event_type} ${event.id} attempt ${event.attempts}: ${status}${error ? ` (${error})` : ''}`);
      return status;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Claims and runs due jobs. Returns the outcome per job id. */
  async runJobs(max = 20): Promise<Record<string, string>> {
    const outcomes: Record<string, string> = {};
    const { rows } = await this.client.query<Job>('SELECT * FROM ops.claim_jobs($1, $2, $3)', [this.id, max, Math.max(this.leaseSeconds, 300)]);
    for (const job of rows) {
      const c = this.client;
      await c.query('BEGIN');
      try {
        const held = await c.query('SELECT (ops.hold_job($1, $2)).id AS id', [job.id, this.id]);
        if (!held.rows[0]?.id) {
          await c.query('ROLLBACK');
          outcomes[job.id] = 'lease_lost';
          continue;
        }
        let error: string | null = null;
        let result: Record<string, unknown> | null = null;
        await c.query('SAVEPOINT handler');
        try {
          const handler = this.jobHandlers[job.kind];
          if (!handler) throw new Error(`No handler for job kind "${job.kind}".`);
          result = (await handler(job, c)) ?? null;
          await c.query('RELEASE SAVEPOINT handler');
        } catch (e) {
          await c.query('ROLLBACK TO SAVEPOINT handler');
          error = e instanceof Error ? e.message : String(e);
        }
        const { rows: fin } = await c.query<{ s: string }>('SELECT ops.finish_job($1, $2, $3, $4) AS s', [
          job.id,
          this.id,
          error,
          result === null ? null : JSON.stringify(result),
        ]);
        const status = fin[0]!.s;
        await c.query(status === 'lease_lost' ? 'ROLLBACK' : 'COMMIT');
        outcomes[job.id] = status;
        this.log(`job ${job.kind} #${job.id}: ${status}${error ? ` (${error})` : result ? ` ${JSON.stringify(result)}` : ''}`);
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    return outcomes;
  }

  /** Sends due notifications through the provider; one transaction per batch holds their row locks. */
  async dispatchNotifications(batch = 50): Promise<Record<string, number>> {
    const outcomes: Record<string, number> = {};
    const c = this.client;
    await c.query('BEGIN');
    try {
      const { rows } = await c.query<{
        clinic_id: string;
        id: string;
        channel: 'sms' | 'whatsapp' | 'email' | 'push' | 'in_app';
        template: string;
        params: Record<string, unknown>;
        full_name: string | null;
        phone: string | null;
        email: string | null;
      }>('SELECT * FROM ops.claim_notifications($1)', [batch]);
      for (const n of rows) {
        const { subject, body } = renderNotification(n.template, n.params, n.full_name ?? 'patient');
        const to = n.channel === 'email' ? n.email : n.channel === 'sms' || n.channel === 'whatsapp' ? toE164(n.phone) : (n.full_name ?? n.id);
        let providerMessageId: string | null = null;
        let error: string | null = null;
        if (!to) {
          error = `no ${n.channel === 'email' ? 'email address' : 'mobile number'} on file`;
        } else {
          try {
            providerMessageId = (await this.provider.send({ idempotencyKey: n.id, channel: n.channel, to, subject, body })).providerMessageId;
          } catch (e) {
            error = e instanceof Error ? e.message : String(e);
          }
        }
        const { rows: r } = await c.query<{ s: string }>('SELECT ops.notification_result($1, $2, $3, $4, $5, $6, $7, $8) AS s', [
          n.clinic_id,
          n.id,
          this.provider.name,
          to,
          subject,
          body,
          providerMessageId,
          error,
        ]);
        outcomes[r[0]!.s] = (outcomes[r[0]!.s] ?? 0) + 1;
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return outcomes;
  }

  async tick(): Promise<TickReport> {
    const scheduled = (await this.client.query<{ n: number }>('SELECT ops.schedule_periodic() AS n')).rows[0]!.n;
    const jobs = await this.runJobs();
    const webhooks = await this.processWebhooks();
    const notifications = await this.dispatchNotifications();
    return { scheduled, jobs, webhooks, notifications };
  }

  /** Ticks until stop(): every `intervalMs`, or at once again when a tick found work. */
  async run(intervalMs = 5_000): Promise<void> {
    while (!this.stopping) {
      const report = await this.tick();
      const busy = Object.keys(report.jobs).length + Object.values(report.webhooks).reduce((a, b) => a + b, 0) > 0;
      if (!busy) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The default provider of the `worker` command: an outbox file in the data folder, or the console. */
export function defaultProvider(kind: string | undefined, dataDir: string, log: (line: string) => void): NotificationProvider {
  if (kind === 'console') return new ConsoleProvider(log);
  if (kind === undefined || kind === 'file') return new FileProvider(join(dataDir, 'outbox', 'notifications.jsonl'));
  throw new Error(`Unknown notification provider "${kind}": use file or console.`);
}

/** The `worker` command. --once: one tick, print what it did, exit. */
export async function workerCommand(
  url: string,
  options: { once: boolean; provider?: string; dataDir: string },
  log: (line: string) => void,
): Promise<void> {
  const worker = new CentralWorker({
    url,
    provider: defaultProvider(options.provider, options.dataDir, log),
    // Out of the box no integration is wired: a test provider's events are logged and accepted.
    webhookHandlers: {
      '*': async (event) => {
        if (event.payload.test !== true) throw new Error(`No handler for webhook event type "${event.event_type}".`);
        log(`test webhook event ${event.event_id} accepted`);
      },
    },
    log,
  });
  await worker.start();
  try {
    if (options.once) {
      log(JSON.stringify(await worker.tick()));
      return;
    }
    const stop = () => void worker.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    log(`worker ${worker.id} running; Ctrl-C stops it.`);
    await worker.run();
  } finally {
    if (options.once) await worker.stop();
  }
}

/** `webhooks replay <id>`: a dead-lettered or failed event back to pending. */
export async function replayWebhookCommand(url: string, eventId: string, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET ROLE clinic_integration');
    const { rows } = await client.query<{ id: string; status: string; event_type: string }>(
      `SELECT id, status, event_type FROM webhook.replay_event($1, 'cli')`,
      [eventId],
    );
    log(`Webhook event ${rows[0]!.id} (${rows[0]!.event_type}) is ${rows[0]!.status} again; the worker retries it on its next tick.`);
  } finally {
    await client.end();
  }
}
