import pg from 'pg';

/*
 * The gateway's one LISTEN connection, shared by everything that waits for the centre's notifications (station
 * revocations, and the live channel's clinic_changes). A notification is lost while the connection is down, so
 * subscribers are told when it drops and when it is back: whatever they cache on the strength of "I would have
 * been told" must be forgotten for that time. The connection is re-made with capped backoff until close().
 */

export interface Listener {
  /** Calls `handler` with each payload on `channel`; the returned function stops it. */
  subscribe(channel: string, handler: (payload: string) => void): () => void;
  /** Calls `handler(true)` each time the connection is (re)established and listening, `handler(false)` when lost. */
  onConnectionChange(handler: (connected: boolean) => void): () => void;
  readonly connected: boolean;
  /** Resolves once listening for the first time (or rejects when close() comes first). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface ListenerOptions {
  databaseUrl: string;
  applicationName?: string;
  log: (line: string) => void;
  /** The longest wait between reconnection attempts. */
  maxRetryMs?: number;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function createListener(options: ListenerOptions): Listener {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const watchers = new Set<(connected: boolean) => void>();
  let client: pg.Client | null = null;
  let connected = false;
  let closed = false;
  let retryMs = 100;
  let retryTimer: NodeJS.Timeout | null = null;
  let firstReady: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    firstReady = { resolve, reject };
  });
  ready.catch(() => undefined);

  const setConnected = (value: boolean) => {
    if (connected === value) return;
    connected = value;
    for (const watcher of watchers) watcher(value);
  };

  const lost = (why: unknown) => {
    const was = client;
    client = null;
    setConnected(false);
    void was?.end().catch(() => undefined);
    if (closed) return;
    options.log(`gateway listener: connection lost (${String((why as { message?: unknown })?.message ?? why)}); retrying in ${retryMs} ms`);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, options.maxRetryMs ?? 5000);
  };

  async function connect(): Promise<void> {
    retryTimer = null;
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: options.applicationName ?? 'gabriel-gateway-listen' });
    client = next;
    next.on('error', (error) => {
      if (client === next) lost(error);
    });
    next.on('end', () => {
      if (client === next) lost('connection ended');
    });
    next.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    try {
      await next.connect();
      for (const channel of handlers.keys()) await next.query(`LISTEN ${channel}`);
      if (client !== next || closed) return;
      retryMs = 100;
      setConnected(true);
      firstReady?.resolve();
    } catch (error) {
      if (client === next) lost(error);
    }
  }

  void connect();

  return {
    subscribe(channel, handler) {
      if (!CHANNEL.test(channel)) throw new Error(`Not a channel name: ${channel}`);
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        // Until LISTEN is in place the subscriber could miss a notification: it counts as a moment offline.
        if (client && connected) {
          const current = client;
          setConnected(false);
          current.query(`LISTEN ${channel}`).then(() => client === current && setConnected(true), (error: unknown) => client === current && lost(error));
        }
      }
      set.add(handler);
      return () => set.delete(handler);
    },
    onConnectionChange(handler) {
      watchers.add(handler);
      return () => watchers.delete(handler);
    },
    get connected() {
      return connected;
    },
    ready: () => ready,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      firstReady?.reject(new Error('The listener was closed.'));
      const was = client;
      client = null;
      setConnected(false);
      await was?.end().catch(() => undefined);
    },
  };
}
