import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SerialPortMock } from 'serialport';
import type { SerialBinding } from '../../src/main/devices/transport';

/**
 * An ESC/POS printer in memory: answers DLE EOT 1/2/4 from its flags, honours the real-time
 * "clear buffer" command, and keeps each job that reached a cut with paper in it. A job torn by
 * paper-out is dropped, as a real printer's buffer is cleared before the job is sent again.
 */
export class FakeEscPosPrinter {
  paperOut = false;
  paperNearEnd = false;
  coverOpen = false;
  /** Switched off behind a USB adapter: status queries go unanswered. */
  silent = false;
  /** Runs out of paper after this many bytes of the next job (once). */
  runOutAfter: number | null = null;
  readonly printed: Buffer[] = [];
  torn = 0;
  queries = 0;
  private job: number[] = [];
  private pending: number[] = [];
  private jobBytes = 0;

  statusByte(n: number): number {
    if (n === 1) return 0x12 | (this.paperOut || this.coverOpen ? 0x08 : 0);
    if (n === 2) return 0x12 | (this.coverOpen ? 0x04 : 0) | (this.paperOut ? 0x20 : 0);
    return 0x12 | (this.paperNearEnd ? 0x0c : 0) | (this.paperOut ? 0x60 : 0);
  }

  receive(chunk: Uint8Array, reply: (bytes: Uint8Array) => void): void {
    this.pending.push(...chunk);
    const p = this.pending;
    let i = 0;
    while (i < p.length) {
      if (p[i] === 0x10 && p[i + 1] === 0x04 && [1, 2, 4].includes(p[i + 2] ?? -1)) {
        this.queries += 1;
        if (!this.silent) reply(Uint8Array.of(this.statusByte(p[i + 2]!)));
        i += 3;
        continue;
      }
      if (p[i] === 0x10 && p[i + 1] === 0x14 && p[i + 2] === 0x08) {
        this.job = [];
        i += 10;
        continue;
      }
      if (p[i] === 0x10 && i + 2 >= p.length) break;
      this.feed(p[i]!);
      i += 1;
    }
    this.pending = p.slice(i);
  }

  private feed(b: number): void {
    if (this.paperOut || this.coverOpen) return;
    this.job.push(b);
    this.jobBytes += 1;
    if (this.runOutAfter !== null && this.jobBytes >= this.runOutAfter) {
      this.runOutAfter = null;
      this.paperOut = true;
      this.torn += 1;
      this.job = [];
      return;
    }
    const n = this.job.length;
    if (n >= 4 && this.job[n - 4] === 0x1d && this.job[n - 3] === 0x56 && this.job[n - 2] === 0x42 && this.job[n - 1] === 0x00) {
      this.printed.push(Buffer.from(this.job));
      this.job = [];
      this.jobBytes = 0;
    }
  }
}

/** The printer on port 9100 of a loopback address. */
export async function startTcpPrinter(printer: FakeEscPosPrinter): Promise<{ address: string; server: Server; sockets: Set<Socket>; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => printer.receive(chunk, (bytes) => socket.write(bytes)));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    server,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** @serialport/binding-mock, reached through serialport's typed re-export. */
const MockBinding = SerialPortMock.binding;

type Reject = (error: Error) => void;

/**
 * @serialport/binding-mock with the fake printer on the other end of the cable, and a cable that
 * can be pulled: reads fail with `disconnected`, as the OS binding reports an unplugged adapter,
 * and the port cannot be opened until it is plugged back in.
 */
export function mockSerialPrinter(path: string, printer: FakeEscPosPrinter) {
  MockBinding.createPort(path, { echo: false, record: false });
  const readers = new Set<Reject>();
  const state = { unplugged: false, opens: 0, failedOpens: 0 };
  const binding = {
    ...MockBinding,
    async list() {
      return MockBinding.list();
    },
    async open(options: Parameters<typeof MockBinding.open>[0]) {
      if (state.unplugged) {
        state.failedOpens += 1;
        throw new Error(`Error: No such file or directory, cannot open ${path}`);
      }
      const port = await MockBinding.open(options);
      state.opens += 1;
      const write = port.write.bind(port);
      port.write = async (buffer: Buffer) => {
        await write(buffer);
        printer.receive(buffer, (bytes) => setImmediate(() => port.isOpen && port.emitData(Buffer.from(bytes))));
      };
      const read = port.read.bind(port);
      port.read = (buffer: Buffer, offset: number, length: number) =>
        new Promise((resolve, reject) => {
          readers.add(reject);
          read(buffer, offset, length)
            .then(resolve, reject)
            .finally(() => readers.delete(reject));
        });
      return port;
    },
  } as unknown as SerialBinding;
  return {
    binding,
    state,
    unplug() {
      state.unplugged = true;
      for (const reject of readers) reject(Object.assign(new Error('The device was unplugged'), { disconnected: true }));
    },
    plugIn() {
      state.unplugged = false;
    },
  };
}
