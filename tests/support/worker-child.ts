import { CentralWorker } from '../../src/server/worker/worker';

/*
 * A worker in its own process, for the kill -9 test (tests/integration/central-webhooks.test.ts): it claims due
 * webhook events and, inside the handler's transaction, tells the parent and then hangs, so the parent can kill it
 * with SIGKILL mid-job.
 */
const config = JSON.parse(process.env.WORKER_CONFIG ?? '{}') as { url: string; workerId: string; leaseSeconds: number };

const worker = new CentralWorker({
  url: config.url,
  workerId: config.workerId,
  leaseSeconds: config.leaseSeconds,
  webhookHandlers: {
    '*': async (event) => {
      process.send?.({ event: 'in-handler', id: event.id, attempts: event.attempts });
      await new Promise(() => undefined);
    },
  },
});

worker
  .start()
  .then(() => worker.processWebhooks(1))
  .catch((e: unknown) => {
    process.send?.({ event: 'failed', error: String(e) });
    process.exit(1);
  });
