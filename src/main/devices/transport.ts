import { Socket } from 'node:net';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

/**
 * A byte pipe to a device: serial or TCP (port 9100 for printers). Writes and status queries are
 * serialised by the caller; replies arrive unframed, so only one query may be in flight.
 */
export interface Transport {
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Resolves once the bytes have left this process (drained to the OS). */
  write(bytes: Uint8Array): Promise<void>;
  /** Sends `bytes` and returns the first reply byte `accept` takes; bytes it refuses are discarded. */
  query(bytes: Uint8Array, accept: (b: number) => boolean, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
  /** Called when the link drops by itself (cable pulled, printer switched off). */
  onDisconnect(listener: (error: Error) => void): void;
}

/** The OS binding in the app, @serialport/binding-mock in tests. */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

export class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

/** Shared reply handling: bytes arriving with no query waiting are stale and dropped. */
abstract class ByteTransport implements Transport {
  abstract readonly description: string;
  abstract readonly isOpen: boolean;
  private waiter: { accept: (b: number) => boolean; resolve: (b: number) => void } | null = null;
  private readonly disconnectListeners: ((error: Error) => void)[] = [];
  abstract open(): Promise<void>;
  abstract write(bytes: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  protected received(chunk: Uint8Array): void {
    for (const b of chunk) {
      const waiter = this.waiter;
      if (waiter && waiter.accept(b)) {
        this.waiter = null;
        waiter.resolve(b);
      }
    }
  }

  protected disconnected(error: Error): void {
    for (const listener of this.disconnectListeners) listener(error);
  }

  onDisconnect(listener: (error: Error) => void): void {
    this.disconnectListeners.push(listener);
  }

  async query(bytes: Uint8Array, accept: (b: number) => boolean, timeoutMs: number): Promise<number> {
    if (this.waiter) throw new DeviceError('Another status query is still waiting for its reply.');
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<number>((resolve, reject) => {
      this.waiter = { accept, resolve };
      timer = setTimeout(() => {
        this.waiter = null;
        reject(new DeviceError(`${this.description} did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
    });
    try {
      await this.write(bytes);
      return await reply;
    } catch (error) {
      this.waiter = null;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function parseHostPort(address: string, defaultPort = 9100): { host: string; port: number } {
  const match = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(address.trim());
  const port = match?.[2] ? Number(match[2]) : defaultPort;
  if (!match || port < 1 || port > 65_535) throw new DeviceError(`"${address}" is not a host or host:port.`);
  return { host: match[1]!, port };
}

export class TcpTransport extends ByteTransport {
  readonly description: string;
  private socket: Socket | null = null;
  private readonly host: string;
  private readonly port: number;

  constructor(address: string, private readonly connectTimeoutMs = 3000) {
    super();
    ({ host: this.host, port: this.port } = parseHostPort(address));
    this.description = `The device at ${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DeviceError(`${this.description} did not accept a connection within ${this.connectTimeoutMs} ms.`));
      }, this.connectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new DeviceError(`${this.description} cannot be reached: ${error.message}`));
      });
      socket.connect(this.port, this.host, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('data', (chunk: Buffer) => this.received(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (this.socket !== socket) return;
          this.socket = null;
          this.disconnected(new DeviceError(`${this.description} closed the connection.`));
        });
        this.socket = socket;
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new DeviceError(`${this.description} is not connected.`));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (error) => (error ? reject(new DeviceError(`Sending to ${this.description} failed: ${error.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 500).unref();
    });
  }
}

export interface SerialOptions {
  path: string;
  baudRate: number;
  /** The OS binding in the app; @serialport/binding-mock in tests. */
  binding?: SerialBinding;
}

export class SerialTransport extends ByteTransport {
  readonly description: string;
  private port: SerialPortStream | null = null;

  constructor(private readonly options: SerialOptions) {
    super();
    this.description = `The device on ${options.path}`;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  open(): Promise<void> {
    const port = new SerialPortStream({
      binding: this.options.binding ?? SerialPort.binding,
      path: this.options.path,
      baudRate: this.options.baudRate,
      autoOpen: false,
    });
    return new Promise((resolve, reject) => {
      port.open((error) => {
        if (error) {
          reject(new DeviceError(`${this.description} cannot be opened: ${error.message}`));
          return;
        }
        port.on('data', (chunk: Buffer) => this.received(chunk));
        port.on('error', () => undefined);
        port.on('close', (closeError: (Error & { disconnected?: boolean }) | null) => {
          if (this.port !== port) return;
          this.port = null;
          this.disconnected(new DeviceError(closeError?.disconnected ? `${this.description} was unplugged.` : `${this.description} closed.`));
        });
        this.port = port;
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new DeviceError(`${this.description} is not open.`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (error: Error | null | undefined) => {
        if (error) return reject(new DeviceError(`Sending to ${this.description} failed: ${error.message}`));
        port.drain((drainError: Error | null) => (drainError ? reject(new DeviceError(`Sending to ${this.description} failed: ${drainError.message}`)) : resolve()));
      });
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

export async function listSerialPorts(binding: SerialBinding = SerialPort.binding) {
  const ports = (await binding.list()) as { path: string; manufacturer?: string; serialNumber?: string; vendorId?: string; productId?: string }[];
  return ports.map((p) => ({
    path: p.path,
    manufacturer: p.manufacturer ?? null,
    serialNumber: p.serialNumber ?? null,
    vendorId: p.vendorId ?? null,
    productId: p.productId ?? null,
  }));
}
