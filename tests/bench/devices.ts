import { createServer, Socket, type AddressInfo } from 'node:net';
import { QueueBoard } from '../../src/main/devices/boards/board';
import { alphaSign } from '../../src/main/devices/boards/alpha-sign';
import { renderBytes } from '../../src/main/devices/encoder';
import { TcpTransport } from '../../src/main/devices/transport';
import { ticketMarkup } from '../../src/shared/receipt';
import { emit, percentile } from './report';

/*
 * Devices: how long a ticket takes from layout to ESC/POS bytes, and a call from the station to
 * the bytes arriving at a queue board on loopback. Baselines: copying the same number of bytes,
 * and a raw socket write of the same packet to the same kind of listener.
 */

const ROUNDS = Number(process.env.BENCH_DEVICE_ROUNDS ?? 200);

function ticket(i: number) {
  return ticketMarkup({
    ticketNumber: `A${String(i % 1000).padStart(3, '0')}`,
    clinicName: 'Gabriel Family Clinic (Bedok)',
    issuedAt: '2025-03-03T01:14:00Z',
    peopleAhead: i % 20,
    estimatedWaitMinutes: (i % 20) * 10,
  });
}

async function ticketToBytes(): Promise<void> {
  const samples: number[] = [];
  const base: number[] = [];
  let length = 0;
  for (let i = 0; i < ROUNDS; i += 1) {
    const start = performance.now();
    const bytes = renderBytes(ticket(i), { paperWidth: 80, encoding: 'gb18030' });
    samples.push(performance.now() - start);
    length = bytes.length;
    const copyStart = performance.now();
    Buffer.alloc(length).set(bytes);
    base.push(performance.now() - copyStart);
  }
  const value = percentile(samples, 50);
  const baseline = percentile(base, 50);
  emit({ metric: 'ticket_layout_to_bytes_p50', value, unit: 'ms', baseline, ratio: value / baseline, samples: ROUNDS, bytes: length, baseline_name: 'buffer_copy_same_length' });
}

/** A board on loopback that resolves each time a whole packet (ending EOT) has arrived. */
async function fakeBoard(): Promise<{ port: number; next: () => Promise<void>; close: () => Promise<void> }> {
  let waiter: (() => void) | null = null;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      if (chunk.at(-1) === 0x04) waiter?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    next: () => new Promise<void>((resolve) => (waiter = resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function callToBoard(): Promise<void> {
  const board = await fakeBoard();
  const queueBoard = new QueueBoard(alphaSign, new TcpTransport(`127.0.0.1:${board.port}`));
  const raw = new Socket();
  await new Promise<void>((resolve) => raw.connect(board.port, '127.0.0.1', resolve));
  raw.setNoDelay(true);
  const samples: number[] = [];
  const base: number[] = [];
  try {
    await queueBoard.show({ ticketNumber: 'A000', roomName: 'Room 1' });
    for (let i = 0; i < ROUNDS; i += 1) {
      const call = { ticketNumber: `A${String(i % 1000).padStart(3, '0')}`, roomName: `Room ${1 + (i % 3)}` };
      let arrived = board.next();
      let start = performance.now();
      await queueBoard.show(call);
      await arrived;
      samples.push(performance.now() - start);

      const packet = alphaSign.encodeCall(call);
      arrived = board.next();
      start = performance.now();
      raw.write(packet);
      await arrived;
      base.push(performance.now() - start);
    }
  } finally {
    raw.destroy();
    await queueBoard.stop();
    await board.close();
  }
  for (const p of [50, 95]) {
    const value = percentile(samples, p);
    const baseline = percentile(base, p);
    emit({ metric: `call_to_board_bytes_p${p}`, value, unit: 'ms', baseline, ratio: value / baseline, samples: ROUNDS, baseline_name: 'raw_socket_write_same_packet' });
  }
}

export async function benchDevices(): Promise<void> {
  await ticketToBytes();
  await callToBoard();
}
