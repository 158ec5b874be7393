import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of Postgres or the gateway whose cable can be pulled: `cut()` drops every open
 * connection and refuses new ones, as a station sees it when the far end goes down; `stall()` carries nothing
 * more either way but closes nothing (new connections hang), as when a cable or Wi-Fi is lost mid-way.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private up = true;
  private stalled = false;
  private readonly pairs = new Set<[Socket, Socket]>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<number> {
    const server = createServer((client) => {
      if (!this.up) {
        client.destroy();
        return;
      }
      client.on('error', () => undefined);
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (this.stalled) {
        client.pause();
        return;
      }
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => undefined);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream).pipe(client);
      client.on('close', () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
    return this.port;
  }

  get port(): number {
    if (!this.server) throw new Error('The proxy is not listening yet.');
    return (this.server.address() as AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** The network is back; what was stalled is dropped, as TCP would in the end, and new connections go through. */
  restore(): void {
    if (this.stalled) for (const socket of this.sockets) socket.destroy();
    this.stalled = false;
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}
