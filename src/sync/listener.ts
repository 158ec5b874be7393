import pg from 'pg';
import { Backoff } from './backoff';

/**
 * LISTEN on a dedicated connection. A notification is only a hint to pull now: the station pulls
 * on a timer as well, so a lost notification or a dropped connection costs latency, never data.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff({ baseMs: 500, maxMs: 15_000 });

  constructor(
    private readonly url: string,
    private readonly clinicId: string,
    private readonly onHint: () => void,
    private readonly onConnectionChange: (connected: boolean) => void = () => undefined,
    private readonly channel = 'clinic_changes',
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000, application_name: 'gabriel-listener' });
    client.on('error', () => this.scheduleReconnect(client));
    client.on('end', () => this.scheduleReconnect(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload === this.clinicId) this.onHint();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.backoff.reset();
      this.onConnectionChange(true);
      // Whatever happened while we were not listening is only visible to a pull.
      this.onHint();
    } catch {
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped || this.retryTimer) return;
    this.onConnectionChange(false);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.backoff.nextDelayMs());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
