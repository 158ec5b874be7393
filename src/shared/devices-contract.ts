import { z } from 'zod';
import { announcementLanguageSchema, announcementSettingsSchema, clipNameSchema } from './announcement';

/**
 * The station API for devices (printers, queue boards, voice settings), merged into the one
 * contract in contract.ts. Kept in its own file so device work does not crowd the queue methods.
 */

const uuid = z.uuid();
const isoDateTime = z.iso.datetime({ offset: true });

export const printerStateSchema = z.enum(['ready', 'paper_near_end', 'paper_out', 'cover_open', 'offline', 'error', 'connecting']);
export type PrinterState = z.infer<typeof printerStateSchema>;

export const printerStateMessages: Record<PrinterState, string> = {
  ready: 'Ready',
  paper_near_end: 'Paper is running low: change the roll soon',
  paper_out: 'Out of paper: load a new roll',
  cover_open: 'Cover is open: close it',
  offline: 'Not answering: check the power and the cable',
  error: 'Printer error: switch it off and on again',
  connecting: 'Connecting…',
};

export const paperWidthSchema = z.union([z.literal(58), z.literal(80)]);
export type PaperWidth = z.infer<typeof paperWidthSchema>;

/** gb18030 prints Chinese names on printers with a Chinese font; cp437 prints them romanised only. */
export const printerEncodingSchema = z.enum(['gb18030', 'cp437']);
export type PrinterEncoding = z.infer<typeof printerEncodingSchema>;

export const printerKindSchema = z.enum(['virtual', 'serial', 'tcp']);

const hostPort = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'Enter the printer address as host or host:port, e.g. 192.168.1.50:9100')
  .refine((value) => {
    const port = value.includes(':') ? Number(value.split(':')[1]) : 9100;
    return port >= 1 && port <= 65535;
  }, 'The port must be between 1 and 65535');

export const addPrinterInputSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tcp'),
    name: z.string().trim().min(1, 'Give the printer a name').max(60),
    address: hostPort,
    paperWidth: paperWidthSchema,
    encoding: printerEncodingSchema.default('gb18030'),
  }),
  z.object({
    kind: z.literal('serial'),
    name: z.string().trim().min(1, 'Give the printer a name').max(60),
    address: z.string().trim().min(1, 'Choose a serial port').max(200),
    baudRate: z.number().int().min(1200).max(921_600).default(9600),
    paperWidth: paperWidthSchema,
    encoding: printerEncodingSchema.default('gb18030'),
  }),
]);
export type AddPrinterInput = z.input<typeof addPrinterInputSchema>;

export const printerSchema = z.object({
  id: uuid,
  name: z.string(),
  kind: printerKindSchema,
  /** Serial port path, host:port, or the folder the virtual printer writes to. */
  address: z.string(),
  paperWidth: paperWidthSchema,
  encoding: printerEncodingSchema,
  isDefault: z.boolean(),
  state: printerStateSchema,
  message: z.string(),
  /** Jobs waiting for this printer (queued or printing). */
  waiting: z.number().int().nonnegative(),
});
export type PrinterInfo = z.infer<typeof printerSchema>;

export const printJobStatusSchema = z.enum(['queued', 'printing', 'printed', 'cancelled']);
export const documentKindSchema = z.enum(['ticket', 'receipt', 'test']);

export const printJobSchema = z.object({
  id: uuid,
  printerId: uuid,
  printerName: z.string(),
  document: documentKindSchema,
  title: z.string(),
  status: printJobStatusSchema,
  attempts: z.number().int().nonnegative(),
  /** Why the job is still waiting, in words a receptionist can act on. */
  lastError: z.string().nullable(),
  createdAt: isoDateTime,
  printedAt: isoDateTime.nullable(),
});
export type PrintJob = z.infer<typeof printJobSchema>;

export const previewSchema = z.object({
  /** The SVG the same layout renders to: what the paper will show. */
  svg: z.string(),
  /** The same layout as plain text, for screen readers and tests. */
  text: z.string(),
});
export type DocumentPreview = z.infer<typeof previewSchema>;

export const serialPortSchema = z.object({
  path: z.string(),
  manufacturer: z.string().nullable(),
  serialNumber: z.string().nullable(),
  vendorId: z.string().nullable(),
  productId: z.string().nullable(),
});

/** A queue-board driver id (see devices.boardDrivers); the station knows which it has. */
export const boardKindSchema = z.string().regex(/^[a-z0-9-]{1,40}$/, 'Not a board driver id');
export const boardSchema = z.object({
  id: uuid,
  name: z.string(),
  driver: boardKindSchema,
  transport: z.enum(['serial', 'tcp']),
  address: z.string(),
  state: z.enum(['ready', 'offline', 'connecting']),
  lastError: z.string().nullable(),
});
export type BoardInfo = z.infer<typeof boardSchema>;

export const addBoardInputSchema = z.object({
  name: z.string().trim().min(1, 'Give the board a name').max(60),
  driver: boardKindSchema,
  transport: z.enum(['serial', 'tcp']),
  address: z.string().trim().min(1, 'Enter the serial port or host:port').max(200),
  baudRate: z.number().int().min(1200).max(921_600).default(9600),
});

const printerRef = z.object({ printerId: uuid });
const jobRef = z.object({ jobId: uuid });
const ok = z.object({ ok: z.literal(true) });

export const deviceMethods = {
  'printers.list': { input: z.object({}), output: z.array(printerSchema) },
  'printers.add': { input: addPrinterInputSchema, output: printerSchema },
  'printers.remove': { input: printerRef, output: ok },
  'printers.setDefault': { input: printerRef, output: printerSchema },
  /** A preview of a document before it is printed: the issued ticket, a sample receipt, a test page. */
  'printers.preview': {
    input: z.object({ document: documentKindSchema, ticketId: uuid.optional(), printerId: uuid.optional() }),
    output: previewSchema,
  },
  'printers.print': {
    input: z.object({ document: documentKindSchema, ticketId: uuid.optional(), printerId: uuid.optional() }),
    output: printJobSchema,
  },
  'printers.jobs': { input: z.object({ limit: z.number().int().min(1).max(100).default(20) }), output: z.array(printJobSchema) },
  'printers.jobPreview': { input: jobRef, output: previewSchema },
  'printers.reprint': { input: jobRef, output: printJobSchema },
  'printers.cancel': { input: jobRef, output: printJobSchema },
  'devices.serialPorts': { input: z.object({}), output: z.array(serialPortSchema) },
  'devices.boards': { input: z.object({}), output: z.array(boardSchema) },
  'devices.boardDrivers': { input: z.object({}), output: z.array(z.object({ id: z.string(), label: z.string() })) },
  'devices.addBoard': { input: addBoardInputSchema, output: boardSchema },
  'devices.removeBoard': { input: z.object({ boardId: uuid }), output: ok },
  'devices.testBoard': { input: z.object({ boardId: uuid }), output: boardSchema },
  'announcements.settings': {
    input: z.object({}),
    output: announcementSettingsSchema.extend({
      /** The languages are the clinic's: only its manager (clinic_admin, chain_admin) may change them. */
      canEditLanguages: z.boolean(),
      /** Clips this station's clinic recorded itself (`<language>/<clip>`), played instead of the generated ones. */
      overrides: z.array(z.string()),
      /** Files in the voice folder that cannot be used, and why. */
      problems: z.array(z.string()),
    }),
  },
  'announcements.setSettings': { input: announcementSettingsSchema, output: announcementSettingsSchema },
  /** A clinic-recorded clip, as a data: URL (the screens' media policy allows data: and blob:). */
  'announcements.clip': { input: z.object({ language: announcementLanguageSchema, clip: clipNameSchema }), output: z.object({ url: z.string() }) },
} as const;

export const printerStatusEventSchema = z.object({
  printerId: uuid,
  name: z.string(),
  state: printerStateSchema,
  message: z.string(),
  waiting: z.number().int().nonnegative(),
  at: isoDateTime,
});
export type PrinterStatusEvent = z.infer<typeof printerStatusEventSchema>;

export const deviceEvents = {
  /** A printer's state or its waiting jobs changed: the UI shows it within the poll interval (1 s). */
  'printer.status': printerStatusEventSchema,
} as const;
