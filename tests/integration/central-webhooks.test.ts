import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CentralWorker, replayWebhookCommand, type WebhookEvent } from '../../src/server/worker/worker';
import { FileProvider } from '../../src/server/worker/notify';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Issue 3 §5: webhook events (claim with SKIP LOCKED and a lease, backoff, dead letter, replay) and the worker's jobs.

let db: TestDatabase;
let admin: pg.Client;
let bdk: string;
let tpy: string;
let hookBdk: string;
let hookTpy: string;
const workers: CentralWorker[] = [];

async function newWorker(id: string, handlers: Record<string, (e: WebhookEvent, c: pg.ClientBase) => Promise<void>>, extra: Partial<ConstructorParameters<typeof CentralWorker>[0]> = {}): Promise<CentralWorker> {
  const w = new CentralWorker({ url: db.url, workerId: id, webhookHandlers: handlers, leaseSeconds: 2, ...extra });
  await w.start();
  workers.push(w);
  return w;
}

async function receive(clinic: string, hook: string, eventId: string, payload: Record<string, unknown>): Promise<{ id: string; duplicate: boolean }> {
  await admin.query('BEGIN');
  try {
    await admin.query('SET LOCAL ROLE clinic_integration');
    const { rows } = await admin.query<{ r: { id: string; duplicate: boolean } }>(
      `SELECT webhook.receive_event($1, $2, $3, 'payment.succeeded', $4, 't=1,v1=abc') AS r`,
      [clinic, hook, eventId, JSON.stringify(payload)],
    );
    await admin.query('COMMIT');
    return rows[0]!.r;
  } catch (e) {
    await admin.query('ROLLBACK');
    throw e;
  }
}

const eventRow = async (id: string) =>
  (await admin.query<{ status: string; attempts: number; next_attempt_at: Date; lease_expires_at: Date | null }>(
    'SELECT status, attempts, next_attempt_at, lease_expires_at FROM webhook.webhook_events WHERE id = $1', [id])).rows[0]!;
const logs = async (id: string) =>
  (await admin.query<{ outcome: string; worker: string }>('SELECT outcome, worker FROM webhook.webhook_logs WHERE event_id = $1 ORDER BY logged_at, attempt', [id])).rows;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  const clinics = new Map((await admin.query<{ code: string; id: string }>('SELECT code, id FROM clinic.clinics')).rows.map((r) => [r.code, r.id]));
  bdk = clinics.get('GFC-BDK')!;
  tpy = clinics.get('GFC-TPY')!;
  const hook = async (clinic: string) =>
    (await admin.query<{ id: string }>(
      `INSERT INTO webhook.integration_webhooks (clinic_id, provider, name, secret_ref, max_attempts) VALUES ($1, 'stripe', 'payments', 'keyfile:stripe', 3) RETURNING id`,
      [clinic])).rows[0]!.id;
  hookBdk = await hook(bdk);
  hookTpy = await hook(tpy);
  // BDK retries at once (backoff base 0) so the dead-letter path runs in one test; TPY keeps the chain default.
  await admin.query(`INSERT INTO clinic.system_settings (clinic_id, key, value) VALUES ($1, 'webhook.backoff_base_seconds', '0')`, [bdk]);
});

afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  await admin?.end();
  await db?.drop();
});

describe('webhook events', () => {
  test('a duplicate event is ignored: one row, the first id answered, payload and signature immutable', async () => {
    const first = await receive(bdk, hookBdk, 'evt_dup_1', { amount: 3000 });
    const again = await receive(bdk, hookBdk, 'evt_dup_1', { amount: 3000 });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ id: first.id, duplicate: true, same_payload: true });
    expect((await admin.query('SELECT 1 FROM webhook.webhook_events WHERE event_id = $1', ['evt_dup_1'])).rowCount).toBe(1);
    // The same event id from another clinic's integration is a different event.
    expect((await receive(tpy, hookTpy, 'evt_dup_1', { amount: 3000 })).duplicate).toBe(false);
    await expect(admin.query(`UPDATE webhook.webhook_events SET payload = '{"amount": 1}' WHERE id = $1`, [first.id])).rejects.toThrow(/immutable/);
    // Processed once, and a redelivery after processing is still a duplicate.
    let handled = 0;
    const w = await newWorker('w-dup', { '*': async () => void (handled += 1) });
    await w.processWebhooks();
    expect((await receive(bdk, hookBdk, 'evt_dup_1', { amount: 3000 })).duplicate).toBe(true);
    expect(await w.processWebhooks()).toEqual({});
    expect(handled).toBe(2); // evt_dup_1 of BDK and of TPY
  });

  test('backoff is exponential and capped', async () => {
    const { rows } = await admin.query<{ s: number[] }>(
      `SELECT array_agg(extract(epoch FROM ops.backoff(n, 30, 3600))::int ORDER BY n) AS s FROM generate_series(1, 9) n`);
    expect(rows[0]!.s).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    const ev = await receive(tpy, hookTpy, 'evt_backoff', { poison: true });
    const w = await newWorker('w-backoff', { '*': async () => { throw new Error('downstream 503'); } });
    expect(await w.processWebhooks()).toEqual({ failed: 1 });
    const row = await eventRow(ev.id);
    const wait = (row.next_attempt_at.getTime() - Date.now()) / 1000;
    expect(row.status).toBe('failed');
    expect(wait).toBeGreaterThan(25);
    expect(wait).toBeLessThanOrEqual(30.5);
    // Not due yet: nobody claims it.
    expect(await w.processWebhooks()).toEqual({});
  });

  test('a worker killed -9 mid-job loses its lease; the event completes exactly once', async () => {
    const ev = await receive(bdk, hookBdk, 'evt_kill_1', { amount: 4200 });
    const child = fork(join(process.cwd(), 'tests', 'support', 'worker-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, WORKER_CONFIG: JSON.stringify({ url: db.url, workerId: 'child-worker', leaseSeconds: 2 }) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const inHandler = await new Promise<{ id: string; attempts: number }>((resolve, reject) => {
      child.on('message', (m) => {
        const msg = m as { event: string; id: string; attempts: number; error?: string };
        if (msg.event === 'in-handler') resolve(msg);
        if (msg.event === 'failed') reject(new Error(msg.error));
      });
    });
    expect(inHandler).toMatchObject({ id: ev.id, attempts: 1 });
    child.kill('SIGKILL');
    await exited;

    let effects = 0;
    const survivor = await newWorker('survivor', {
      '*': async (event, client) => {
        effects += 1;
        // An effect in the same transaction as the completion.
        await client.query(`SELECT set_config('app.effect', $1, true)`, [event.id]);
      },
    });
    // Still leased to the dead worker: not claimable until the lease runs out.
    expect((await eventRow(ev.id)).status).toBe('processing');
    expect(await survivor.processWebhooks()).toEqual({});
    const lease = (await eventRow(ev.id)).lease_expires_at!;
    await new Promise((r) => setTimeout(r, Math.max(0, lease.getTime() - Date.now()) + 300));
    expect(await survivor.processWebhooks()).toEqual({ succeeded: 1 });
    expect(effects).toBe(1);
    expect(await eventRow(ev.id)).toMatchObject({ status: 'succeeded', attempts: 2, lease_expires_at: null });
    expect(await logs(ev.id)).toEqual([
      { outcome: 'lease_lost', worker: 'child-worker' },
      { outcome: 'succeeded', worker: 'survivor' },
    ]);
    // The dead worker's finish, had it come back, is refused; and nothing runs twice.
    const late = await admin.query(`SELECT webhook.finish_event($1, $2, 'child-worker') AS s`, [bdk, ev.id]);
    expect(late.rows[0].s).toBe('lease_lost');
    expect(await survivor.processWebhooks()).toEqual({});
    expect(effects).toBe(1);
  });

  test('two workers never take the same event (SKIP LOCKED)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i += 1) ids.push((await receive(bdk, hookBdk, `evt_par_${i}`, { n: i })).id);
    const seen: string[] = [];
    const handler = async (e: WebhookEvent) => {
      seen.push(e.id);
      await new Promise((r) => setTimeout(r, 5));
    };
    const [a, b] = [await newWorker('par-a', { '*': handler }), await newWorker('par-b', { '*': handler })];
    await Promise.all([a.processWebhooks(), b.processWebhooks()]);
    expect(seen.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  });

  test('a poisoned event ends in dead_letter after the last attempt, and replays', async () => {
    const ev = await receive(bdk, hookBdk, 'evt_poison_1', { poison: true });
    let cured = false;
    const w = await newWorker('w-poison', {
      '*': async (event) => {
        if (event.payload.poison && !cured) throw new Error('cannot parse the payment intent');
      },
    });
    expect(await w.processWebhooks()).toEqual({ failed: 2, dead_letter: 1 });
    expect(await eventRow(ev.id)).toMatchObject({ status: 'dead_letter', attempts: 3 });
    expect(await w.processWebhooks()).toEqual({});
    const lines: string[] = [];
    await replayWebhookCommand(db.url, ev.id, (l) => lines.push(l));
    expect(lines[0]).toMatch(/pending again/);
    expect(await eventRow(ev.id)).toMatchObject({ status: 'pending', attempts: 0 });
    cured = true;
    expect(await w.processWebhooks()).toEqual({ succeeded: 1 });
    expect((await logs(ev.id)).map((l) => l.outcome)).toEqual(['failed', 'failed', 'dead_letter', 'replayed', 'succeeded']);
    // Only a dead-lettered or failed event replays.
    await expect(replayWebhookCommand(db.url, ev.id, () => undefined)).rejects.toThrow(/only a dead-lettered or failed event/);
  });
});

describe('jobs and the worker', () => {
  test('periodic jobs are scheduled once per period and run: partitions, metrics, retention', async () => {
    const w = await newWorker('w-jobs', {});
    const first = await w.tick();
    expect(first.scheduled).toBe(3);
    expect(Object.values(first.jobs)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect((await w.tick()).scheduled).toBe(0);
    const { rows } = await admin.query<{ kind: string; status: string; result: Record<string, unknown> }>('SELECT kind, status, result FROM ops.jobs ORDER BY kind');
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ['audit.partitions', 'succeeded'],
      ['metrics.refresh', 'succeeded'],
      ['retention.purge', 'succeeded'],
    ]);
    expect(rows[1]!.result.rows).toBeGreaterThan(0);
  });

  test('a job whose worker lost its lease is run by another, and the first one cannot finish it', async () => {
    const { rows } = await admin.query<{ id: string }>(`SELECT ops.enqueue_job('test.slow') AS id`);
    const id = rows[0]!.id;
    await admin.query(`SELECT * FROM ops.claim_jobs('gone', 1, 1, '{test.slow}')`);
    await new Promise((r) => setTimeout(r, 1100));
    let runs = 0;
    const w = await newWorker('w-takeover', {}, { jobHandlers: { 'test.slow': async () => ({ runs: (runs += 1) }) } });
    expect(await w.runJobs()).toEqual({ [id]: 'succeeded' });
    expect((await admin.query(`SELECT ops.finish_job($1, 'gone') AS s`, [id])).rows[0].s).toBe('lease_lost');
    expect((await admin.query('SELECT status, attempts FROM ops.jobs WHERE id = $1', [id])).rows[0]).toEqual({ status: 'succeeded', attempts: 2 });
    expect(runs).toBe(1);
  });

  test('notifications are dispatched through the provider (file by default) and recorded per channel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    try {
      const { rows } = await admin.query<{ id: string }>(`SELECT id FROM clinic.patients WHERE clinic_id = $1 ORDER BY id LIMIT 2`, [bdk]);
      await admin.query(`UPDATE clinic.patients SET phone = '9123 4567', email = 'pat@example.com' WHERE clinic_id = $1 AND id = $2`, [bdk, rows[0]!.id]);
      await admin.query(`UPDATE clinic.patients SET phone = NULL WHERE clinic_id = $1 AND id = $2`, [bdk, rows[1]!.id]);
      await admin.query(
        `INSERT INTO clinic.notifications (clinic_id, patient_id, channel, template, params) VALUES
           ($1, $2, 'sms', 'appointment.reminder', '{"when": "tomorrow at 9:30"}'),
           ($1, $2, 'email', 'appointment.reminder', '{"when": "tomorrow at 9:30"}'),
           ($1, $3, 'sms', 'appointment.reminder', '{}')`,
        [bdk, rows[0]!.id, rows[1]!.id],
      );
      const outbox = join(dir, 'notifications.jsonl');
      const w = await newWorker('w-notify', {}, { provider: new FileProvider(outbox) });
      expect(await w.dispatchNotifications()).toEqual({ sent: 2, pending: 1 });
      const lines = (await readFile(outbox, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { to: string; channel: string });
      expect(lines.map((l) => [l.channel, l.to]).sort()).toEqual([['email', 'pat@example.com'], ['sms', '+6591234567']]);
      expect((await admin.query(`SELECT to_phone, provider, status FROM clinic.sms_messages WHERE provider = 'file'`)).rows).toEqual([
        { to_phone: '+6591234567', provider: 'file', status: 'sent' },
      ]);
      expect((await admin.query(`SELECT attempts, last_error FROM clinic.notifications WHERE clinic_id = $1 AND patient_id = $2`, [bdk, rows[1]!.id])).rows).toEqual([
        { attempts: 1, last_error: 'no mobile number on file' },
      ]);
      // Nothing is sent twice.
      expect(await w.dispatchNotifications()).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
