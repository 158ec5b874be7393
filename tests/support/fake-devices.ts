import { defaultAnnouncementSettings, type AnnouncementSettings } from '../../src/shared/announcement';
import { ApiError, type EventName, type EventPayload, type MethodName, type MethodOutput, type parseInput } from '../../src/shared/contract';
import type { PrinterInfo, PrintJob } from '../../src/shared/devices-contract';

/**
 * The device half of the in-memory fake station: a virtual printer that "prints" at once, one
 * network printer that is out of paper, and voice settings. The preview is a plain SVG of the
 * document's lines, since the real renderer (receiptline) does not run in the page.
 */

type DeviceMethod = Extract<MethodName, `printers.${string}` | `devices.${string}` | `announcements.${string}`>;
type Handlers = { [M in DeviceMethod]: (input: ReturnType<typeof parseInput<M>>) => MethodOutput<M> };

const VIRTUAL = '00000000-0000-4000-8000-000000000001';
const NETWORK = '00000000-0000-4000-8000-0000000000aa';

function previewOf(lines: string[]) {
  const text = lines.join('\n');
  const rows = lines.map((line, i) => `<text x="8" y="${24 + i * 24}" font-family="monospace" font-size="18">${line.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)}</text>`);
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg" width="576" height="${lines.length * 24 + 16}">${rows.join('')}</svg>`, text };
}

export function fakeDeviceHandlers(nowIso: () => string, emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void): Handlers {
  const printers: PrinterInfo[] = [
    { id: VIRTUAL, name: 'Virtual printer', kind: 'virtual', address: '.data/stations/RCP-01/virtual-printer', paperWidth: 80, encoding: 'gb18030', isDefault: true, state: 'ready', message: 'Ready', waiting: 0 },
    { id: NETWORK, name: 'Front desk printer', kind: 'tcp', address: '192.168.1.50:9100', paperWidth: 80, encoding: 'gb18030', isDefault: false, state: 'paper_out', message: 'Out of paper: load a new roll', waiting: 1 },
  ];
  const jobs: PrintJob[] = [
    { id: '00000000-0000-4000-8000-0000000000b1', printerId: NETWORK, printerName: 'Front desk printer', document: 'ticket', title: 'Ticket A004', status: 'queued', attempts: 1, lastError: 'Out of paper: load a new roll (while printing; it will print again in full)', createdAt: nowIso(), printedAt: null },
    { id: '00000000-0000-4000-8000-0000000000b2', printerId: VIRTUAL, printerName: 'Virtual printer', document: 'ticket', title: 'Ticket A003', status: 'printed', attempts: 1, lastError: null, createdAt: nowIso(), printedAt: nowIso() },
  ];
  let settings: AnnouncementSettings = defaultAnnouncementSettings;
  const find = (id: string | undefined) => printers.find((p) => p.id === (id ?? printers.find((x) => x.isDefault)!.id));
  const samples: Record<PrintJob['document'], string[]> = {
    receipt: ['Gabriel Family Clinic', 'TAX INVOICE', 'Patient   Tan Wei Ming 陈伟明', 'NRIC/FIN  S****567D', 'Total (incl. GST)  28.50'],
    ticket: ['Gabriel Family Clinic', 'Queue number', 'A 0 0 7', 'People ahead  3'],
    test: ['Test page', 'Gabriel Family Clinic', '80 mm · GB18030', '中文 Bahasa தமிழ்', 'If you can read this, the printer works.'],
  };
  const sample = (document: PrintJob['document']) => previewOf(samples[document]);
  const print = (document: PrintJob['document'], printerId?: string): PrintJob => {
    const printer = find(printerId);
    if (!printer) throw new ApiError('not_found', 'That printer is not set up at this station.');
    const job: PrintJob = { id: crypto.randomUUID(), printerId: printer.id, printerName: printer.name, document, title: document === 'test' ? `Test page for ${printer.name}` : `Sample ${document}`, status: printer.state === 'ready' ? 'printed' : 'queued', attempts: 1, lastError: printer.state === 'ready' ? null : printer.message, createdAt: nowIso(), printedAt: printer.state === 'ready' ? nowIso() : null };
    jobs.unshift(job);
    emit('printer.status', { printerId: printer.id, name: printer.name, state: printer.state, message: printer.message, waiting: printer.waiting, at: nowIso() });
    return job;
  };
  return {
    'printers.list': () => printers,
    'printers.add': (input) => {
      const added: PrinterInfo = { id: crypto.randomUUID(), name: input.name, kind: input.kind, address: input.address, paperWidth: input.paperWidth, encoding: input.encoding, isDefault: false, state: 'connecting', message: 'Connecting…', waiting: 0 };
      printers.push(added);
      return added;
    },
    'printers.remove': ({ printerId }) => {
      printers.splice(printers.findIndex((p) => p.id === printerId), 1);
      return { ok: true as const };
    },
    'printers.setDefault': ({ printerId }) => {
      for (const p of printers) p.isDefault = p.id === printerId;
      return find(printerId)!;
    },
    'printers.preview': ({ document }) => sample(document),
    'printers.print': ({ document, printerId }) => print(document, printerId),
    'printers.jobs': ({ limit }) => jobs.slice(0, limit),
    'printers.jobPreview': () => sample('ticket'),
    'printers.reprint': ({ jobId }) => print(jobs.find((j) => j.id === jobId)?.document ?? 'test'),
    'printers.cancel': ({ jobId }) => {
      const job = jobs.find((j) => j.id === jobId);
      if (!job || job.status !== 'queued') throw new ApiError('conflict', 'Only a waiting job can be cancelled.');
      job.status = 'cancelled';
      return job;
    },
    'devices.serialPorts': () => [{ path: '/dev/ttyUSB0', manufacturer: 'Prolific', serialNumber: null, vendorId: '067b', productId: '2303' }],
    'devices.boards': () => [],
    'devices.boardDrivers': () => [
      { id: 'alpha-sign', label: 'Alpha Sign (LED message board)' },
      { id: 'escpos-vfd', label: 'ESC/POS pole display (2 x 20)' },
    ],
    'devices.addBoard': (input) => ({ id: crypto.randomUUID(), name: input.name, driver: input.driver, transport: input.transport, address: input.address, state: 'connecting', lastError: null }),
    'devices.removeBoard': () => ({ ok: true as const }),
    'devices.testBoard': () => {
      throw new ApiError('not_found', 'That board is not set up at this station.');
    },
    'announcements.settings': () => ({ ...settings, canEditLanguages: true, overrides: [], problems: [] }),
    'announcements.setSettings': (input) => {
      settings = input;
      return settings;
    },
    'announcements.clip': () => {
      throw new ApiError('not_found', 'No recording');
    },
  };
}
