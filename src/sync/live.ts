import WebSocket from 'ws';
import { LIVE_CLOSE, centralRoutes, liveMessageSchema, type LiveMessage } from '../shared/central-contract';
import { Backoff } from './backoff';
import type { Central } from './central';

/**
 * The live channel to the gateway: it pushes this clinic's new feed changes, rows and all, the moment they commit.
 * It only speeds things up — the station also pulls on a timer, so a dropped socket or a lost message costs
 * latency, never data.
 */
export interface LiveHandlers {
  /** Rows from the centre; the engine applies them or pulls instead. */
  onMessage(message: LiveMessage): void;
  /** The channel opened (catch up with a pull) or closed. */
  onConnectionChange?(connected: boolean): void;
  /** The centre no longer honours the session: stop until someone signs in again. */
  onUnauthenticated?(): void;
}

/*
 * A pulled cable closes nothing: the socket just goes quiet, and a station would say "Online" until TCP gave up
 * minutes later. So the station pings; a gateway that has not answered within DEAD_AFTER_MS is taken as gone.
 */
const PING_EVERY_MS = 2000;
const DEAD_AFTER_MS = 5000;

export class LiveChannel {
  private socket: WebSocket | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff({ baseMs: 500, maxMs: 15_000 });
  private connectedToken: string | null = null;

  constructor(
    private readonly central: Central,
    private readonly tables: readonly string[],
    private readonly sessionToken: () => string | null,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Opens again with the new session, e.g. after a different person signs in. */
  sessionChanged(): void {
    if (this.stopped || this.sessionToken() === this.connectedToken) return;
    this.socket?.close(1000);
    this.socket = null;
    this.scheduleReconnect(0);
  }

  private connect(): void {
    if (this.stopped || this.socket) return;
    const token = this.sessionToken();
    // Without a session the centre would show nothing; the next sign-in opens the channel.
    if (!token) return;
    const url = new URL(this.central.liveUrl());
    url.searchParams.set('tables', this.tables.join(','));
    const path = `${url.pathname}${url.search}`;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}`, ...this.central.signedHeaders(centralRoutes.live.method, path, '') },
      ...(this.central.options.ca ? { ca: this.central.options.ca } : {}),
      handshakeTimeout: this.central.options.connectTimeoutMs ?? 3000,
      maxPayload: 16 * 1024 * 1024,
    });
    this.socket = socket;
    this.connectedToken = token;
    socket.on('open', () => {
      this.backoff.reset();
      this.watch(socket);
      this.handlers.onConnectionChange?.(true);
    });
    socket.on('message', (data) => {
      let parsed;
      try {
        parsed = liveMessageSchema.safeParse(JSON.parse(data.toString()));
      } catch {
        parsed = null;
      }
      // A message this app cannot read is skipped: the timer pull brings the same rows.
      if (parsed?.success) this.handlers.onMessage(parsed.data);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      this.unwatch();
      if (this.socket !== socket) return;
      this.socket = null;
      if (code === LIVE_CLOSE.unauthenticated) {
        this.connectedToken = null;
        this.handlers.onUnauthenticated?.();
        return;
      }
      this.handlers.onConnectionChange?.(false);
      this.scheduleReconnect(this.backoff.nextDelayMs());
    });
  }

  private watch(socket: WebSocket): void {
    let answeredAt = Date.now();
    socket.on('pong', () => (answeredAt = Date.now()));
    socket.on('message', () => (answeredAt = Date.now()));
    this.heartbeat = setInterval(() => {
      // terminate, not close: a closing handshake would wait on the same silent network.
      if (Date.now() - answeredAt > DEAD_AFTER_MS) socket.terminate();
      else socket.ping();
    }, PING_EVERY_MS);
    this.heartbeat.unref();
  }

  private unwatch(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delayMs);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.unwatch();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000);
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}
