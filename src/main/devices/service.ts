import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ApiError } from '../../shared/contract';
import {
  addPrinterInputSchema,
  printerStateMessages,
  type DocumentPreview,
  type PaperWidth,
  type PrinterEncoding,
  type PrinterInfo,
  type PrinterStatusEvent,
  type PrintJob,
} from '../../shared/devices-contract';
import { testPageMarkup } from '../../shared/receipt';
import type { Cache } from '../cache/cache';
import type { StationSchema } from '../schema';
import { BoardService } from './board-service';
import { receiptMarkupFor, renderOptions, sampleReceipt, ticketDocument, type DocumentSource } from './documents';
import { renderBytes, renderPreview } from './encoder';
import { defaultTiming, EscPosPrinter, VirtualPrinter, type PrinterEndpoint, type PrinterTiming } from './printer';
import { SerialTransport, TcpTransport, type SerialBinding, type Transport } from './transport';
import { VoiceService } from './voice';
import type { z } from 'zod';

/** The built-in printer every station has, so printing works with no hardware. */
export const VIRTUAL_PRINTER_ID = '00000000-0000-4000-8000-000000000001';
const DEFAULT_PRINTER_META = 'devices.default_printer';

export interface DeviceOptions {
  /** The OS serial binding in the app; @serialport/binding-mock in tests. */
  serialBinding?: SerialBinding;
  timing?: PrinterTiming;
}

export interface DeviceServiceDeps {
  dataDir: string;
  cache: Cache;
  clinic: () => { id: string; name: string };
  now: () => Date;
  emit: (payload: PrinterStatusEvent) => void;
  /** Throws unless the caller may use this station's devices (signed-in staff; anyone at the display). */
  authorize: () => void;
  /** Who is signed in here (null: nobody); clinic settings change through the outbox with this session. */
  session?: () => { token: string; role: string } | null;
  /** Sends what was just put in the outbox and waits briefly for the centre's answer; throws its refusal. */
  afterClinicWrite?: (requestKey: string) => Promise<void>;
  options?: DeviceOptions;
}

type PrinterRow = StationSchema['printers'];
type JobRow = StationSchema['print_jobs'];

interface LivePrinter {
  row: PrinterRow;
  endpoint: PrinterEndpoint;
  lastEvent: string;
}

/**
 * Printers and the persisted print queue of one station, with its queue boards and voice calls
 * beside them (`boards`, `voice`). A job is
 * written to SQLite before anything is sent, waits while its printer is faulty, and is marked
 * printed only after the printer's status says it got through; nothing is dropped without a row
 * saying why.
 */
export class DeviceService {
  private readonly printers = new Map<string, LivePrinter>();
  readonly boards: BoardService;
  readonly voice: VoiceService;
  private readonly documents: DocumentSource;
  private readonly draining = new Map<string, Promise<void>>();
  private readonly drainAgain = new Set<string>();
  private readonly timing: PrinterTiming;
  private started = false;

  constructor(readonly deps: DeviceServiceDeps) {
    this.timing = deps.options?.timing ?? defaultTiming;
    this.boards = new BoardService({ cache: deps.cache, now: deps.now, transportFor: (kind, address, baudRate) => this.transportFor(kind, address, baudRate) });
    this.voice = new VoiceService({ dataDir: deps.dataDir, cache: deps.cache, session: deps.session, afterClinicWrite: deps.afterClinicWrite });
    this.documents = { cache: deps.cache, clinic: deps.clinic, now: deps.now };
  }

  private get q() {
    return this.deps.cache.q;
  }

  get virtualFolder(): string {
    return join(this.deps.dataDir, 'virtual-printer');
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // A job that was being sent when the station stopped may be half on paper: it prints again in full.
    this.deps.cache.run(
      this.q
        .updateTable('print_jobs')
        .set({ status: 'queued', last_error: 'The station stopped while this was printing; it will print again in full.' })
        .where('status', '=', 'printing'),
    );
    this.attach(this.virtualRow(), new VirtualPrinter(this.virtualFolder));
    for (const row of this.deps.cache.all(this.q.selectFrom('printers').selectAll())) this.attach(row, this.endpointFor(row));
    this.boards.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.printers.values()].map((p) => p.endpoint.stop()));
    await Promise.all([...this.draining.values()].map((run) => run.catch(() => undefined)));
    await this.boards.stop();
    this.printers.clear();
  }

  private virtualRow(): PrinterRow {
    return { id: VIRTUAL_PRINTER_ID, name: 'Virtual printer', kind: 'virtual', address: this.virtualFolder, baud_rate: null, paper_width: 80, encoding: 'gb18030', created_at: '1970-01-01T00:00:00.000Z' };
  }

  private transportFor(kind: string, address: string, baudRate: number | null): Transport {
    if (kind === 'tcp') return new TcpTransport(address);
    return new SerialTransport({ path: address, baudRate: baudRate ?? 9600, binding: this.deps.options?.serialBinding });
  }

  private endpointFor(row: PrinterRow): PrinterEndpoint {
    return new EscPosPrinter(this.transportFor(row.kind, row.address, row.baud_rate), this.timing);
  }

  private attach(row: PrinterRow, endpoint: PrinterEndpoint): void {
    const live: LivePrinter = { row, endpoint, lastEvent: '' };
    this.printers.set(row.id, live);
    endpoint.onChange(() => {
      this.announce(row.id);
      this.drain(row.id);
    });
    endpoint.start();
    this.announce(row.id);
    this.drain(row.id);
  }

  /** Tells the UI when a printer's state or its waiting count changed. */
  private announce(printerId: string): void {
    const live = this.printers.get(printerId);
    if (!live) return;
    const info = this.info(live);
    const key = `${info.state}/${info.waiting}`;
    if (key === live.lastEvent) return;
    live.lastEvent = key;
    this.deps.emit({ printerId, name: info.name, state: info.state, message: info.message, waiting: info.waiting, at: this.deps.now().toISOString() });
  }

  private waitingCount(printerId: string): number {
    const row = this.deps.cache.get(
      this.q
        .selectFrom('print_jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('printer_id', '=', printerId)
        .where('status', 'in', ['queued', 'printing']),
    );
    return Number(row?.n ?? 0);
  }

  private info(live: LivePrinter): PrinterInfo {
    return {
      id: live.row.id,
      name: live.row.name,
      kind: live.row.kind as PrinterInfo['kind'],
      address: live.row.address,
      paperWidth: live.row.paper_width as PaperWidth,
      encoding: live.row.encoding as PrinterEncoding,
      isDefault: this.defaultPrinterId() === live.row.id,
      state: live.endpoint.state,
      message: printerStateMessages[live.endpoint.state],
      waiting: this.waitingCount(live.row.id),
    };
  }

  private defaultPrinterId(): string {
    const id = this.deps.cache.getMeta(DEFAULT_PRINTER_META);
    return id && this.printers.has(id) ? id : VIRTUAL_PRINTER_ID;
  }

  private requirePrinter(printerId: string | undefined): LivePrinter {
    const live = this.printers.get(printerId ?? this.defaultPrinterId());
    if (!live) throw new ApiError('not_found', 'That printer is not set up at this station.');
    return live;
  }

  // --- the print queue -------------------------------------------------------------------------

  /** Renders with the printer's paper and font and stores the job before anything is sent. */
  enqueue(printerId: string | undefined, document: PrintJob['document'], title: string, markup: string): PrintJob {
    const live = this.requirePrinter(printerId);
    const options = renderOptions(live.row);
    const row: JobRow = {
      id: randomUUID(),
      printer_id: live.row.id,
      document,
      title,
      markup,
      paper_width: options.paperWidth,
      encoding: options.encoding,
      bytes: renderBytes(markup, options),
      status: 'queued',
      attempts: 0,
      last_error: null,
      created_at: this.deps.now().toISOString(),
      printed_at: null,
    };
    this.deps.cache.run(this.q.insertInto('print_jobs').values({ ...row, bytes: Buffer.from(row.bytes) }));
    this.announce(live.row.id);
    this.drain(live.row.id);
    return this.toJob(row);
  }

  /** Sends queued jobs in order while the printer can print; one drain per printer at a time. */
  private drain(printerId: string): void {
    if (!this.started) return;
    if (this.draining.has(printerId)) {
      this.drainAgain.add(printerId);
      return;
    }
    const run = (async () => {
      do {
        this.drainAgain.delete(printerId);
        await this.drainOnce(printerId);
      } while (this.drainAgain.has(printerId) && this.started);
    })().finally(() => this.draining.delete(printerId));
    this.draining.set(printerId, run);
  }

  /** Resolves when the printer has nothing more it can print now. */
  async idle(printerId: string): Promise<void> {
    while (this.draining.has(printerId)) await this.draining.get(printerId);
  }

  private async drainOnce(printerId: string): Promise<void> {
    for (;;) {
      const live = this.printers.get(printerId);
      if (!live || !this.started) return;
      if (live.endpoint.state !== 'ready' && live.endpoint.state !== 'paper_near_end') return;
      const job = this.deps.cache.get(
        this.q.selectFrom('print_jobs').selectAll().where('printer_id', '=', printerId).where('status', '=', 'queued').orderBy('created_at').orderBy('id').limit(1),
      );
      if (!job) return;
      this.deps.cache.run(this.q.updateTable('print_jobs').set({ status: 'printing', attempts: job.attempts + 1 }).where('id', '=', job.id));
      this.announce(printerId);
      try {
        await live.endpoint.send({
          id: job.id,
          bytes: new Uint8Array(job.bytes),
          preview: () => renderPreview(job.markup, { paperWidth: job.paper_width as PaperWidth, encoding: job.encoding as PrinterEncoding }),
        });
        this.deps.cache.run(
          this.q.updateTable('print_jobs').set({ status: 'printed', printed_at: this.deps.now().toISOString(), last_error: null }).where('id', '=', job.id).where('status', '=', 'printing'),
        );
      } catch (error) {
        this.deps.cache.run(
          this.q
            .updateTable('print_jobs')
            .set({ status: 'queued', last_error: error instanceof Error ? error.message : String(error) })
            .where('id', '=', job.id)
            .where('status', '=', 'printing'),
        );
        this.announce(printerId);
        return;
      }
      this.announce(printerId);
    }
  }

  private toJob(row: Omit<JobRow, 'bytes' | 'markup'>): PrintJob {
    return {
      id: row.id,
      printerId: row.printer_id,
      printerName: this.printers.get(row.printer_id)?.row.name ?? 'Removed printer',
      document: row.document as PrintJob['document'],
      title: row.title,
      status: row.status as PrintJob['status'],
      attempts: row.attempts,
      lastError: row.last_error,
      createdAt: row.created_at,
      printedAt: row.printed_at,
    };
  }

  private job(jobId: string): JobRow {
    const row = this.deps.cache.get(this.q.selectFrom('print_jobs').selectAll().where('id', '=', jobId));
    if (!row) throw new ApiError('not_found', 'That print job is not at this station.');
    return row;
  }

  jobs(limit: number): PrintJob[] {
    return this.deps.cache
      .all(
        this.q
          .selectFrom('print_jobs')
          .select(['id', 'printer_id', 'document', 'title', 'paper_width', 'encoding', 'status', 'attempts', 'last_error', 'created_at', 'printed_at'])
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit),
      )
      .map((row) => this.toJob(row));
  }

  cancel(jobId: string): PrintJob {
    const row = this.job(jobId);
    if (row.status !== 'queued') {
      throw new ApiError('conflict', row.status === 'printing' ? 'This job is being printed right now.' : `This job is already ${row.status}.`);
    }
    this.deps.cache.run(this.q.updateTable('print_jobs').set({ status: 'cancelled' }).where('id', '=', jobId).where('status', '=', 'queued'));
    this.announce(row.printer_id);
    return this.toJob(this.job(jobId));
  }

  /** Prints the same document again as a new job; the original keeps its history. */
  reprint(jobId: string): PrintJob {
    const row = this.job(jobId);
    const printerId = this.printers.has(row.printer_id) ? row.printer_id : undefined;
    return this.enqueue(printerId, row.document as PrintJob['document'], `${row.title} (reprint)`, row.markup);
  }

  private documentFor(document: PrintJob['document'], live: LivePrinter, ticketId: string | undefined): { title: string; markup: string } {
    if (document === 'ticket') {
      if (!ticketId) throw new ApiError('validation', 'Choose the ticket to print.');
      return ticketDocument(this.documents, ticketId);
    }
    if (document === 'receipt') return { title: 'Sample receipt', markup: receiptMarkupFor(sampleReceipt(this.documents), live.row) };
    return { title: `Test page for ${live.row.name}`, markup: testPageMarkup(live.row.name, live.row.paper_width as PaperWidth, this.deps.now().toISOString()) };
  }

  preview(document: PrintJob['document'], ticketId: string | undefined, printerId: string | undefined): DocumentPreview {
    const live = this.requirePrinter(printerId);
    return renderPreview(this.documentFor(document, live, ticketId).markup, renderOptions(live.row));
  }

  print(document: PrintJob['document'], ticketId: string | undefined, printerId: string | undefined): PrintJob {
    const live = this.requirePrinter(printerId);
    const { title, markup } = this.documentFor(document, live, ticketId);
    return this.enqueue(live.row.id, document, title, markup);
  }

  jobPreview(jobId: string): DocumentPreview {
    const row = this.job(jobId);
    return renderPreview(row.markup, { paperWidth: row.paper_width as PaperWidth, encoding: row.encoding as PrinterEncoding });
  }

  /** Reception hands a ticket over on paper: queued on the default printer the moment it is issued. */
  ticketIssued<T extends { id: string }>(ticket: T): T {
    try {
      const { title, markup } = ticketDocument(this.documents, ticket.id);
      this.enqueue(undefined, 'ticket', title, markup);
    } catch (error) {
      // The ticket stands even if its paper copy cannot be made; the reason is in the log and the UI can reprint.
      console.error(`Ticket ${ticket.id} was issued but not queued for printing:`, error);
    }
    return ticket;
  }

  /** Every call goes to every board this station drives. */
  showOnBoards(call: { ticketNumber: string; roomName: string }): Promise<void> {
    return this.boards.showOnBoards(call);
  }

  // --- printer settings ------------------------------------------------------------------------

  listPrinters(): PrinterInfo[] {
    return [...this.printers.values()].map((live) => this.info(live));
  }

  addPrinter(input: z.output<typeof addPrinterInputSchema>): PrinterInfo {
    const address = input.kind === 'tcp' && !input.address.includes(':') ? `${input.address}:9100` : input.address;
    const clash = [...this.printers.values()].find((p) => p.row.kind === input.kind && p.row.address === address);
    if (clash) throw new ApiError('conflict', `${clash.row.name} already uses ${address}.`);
    const row: PrinterRow = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      address,
      baud_rate: input.kind === 'serial' ? input.baudRate : null,
      paper_width: input.paperWidth,
      encoding: input.encoding,
      created_at: this.deps.now().toISOString(),
    };
    this.deps.cache.run(this.q.insertInto('printers').values(row));
    this.attach(row, this.endpointFor(row));
    return this.info(this.printers.get(row.id)!);
  }

  async removePrinter(printerId: string): Promise<void> {
    if (printerId === VIRTUAL_PRINTER_ID) throw new ApiError('validation', 'The virtual printer is built in and cannot be removed.');
    const live = this.requirePrinter(printerId);
    const waiting = this.waitingCount(printerId);
    if (waiting > 0) throw new ApiError('conflict', `${live.row.name} still has ${waiting} job(s) waiting: cancel or reprint them first.`);
    this.printers.delete(printerId);
    this.deps.cache.run(this.q.deleteFrom('printers').where('id', '=', printerId));
    if (this.deps.cache.getMeta(DEFAULT_PRINTER_META) === printerId) this.deps.cache.setMeta(DEFAULT_PRINTER_META, null);
    await live.endpoint.stop();
  }

  setDefault(printerId: string): PrinterInfo {
    const live = this.requirePrinter(printerId);
    this.deps.cache.setMeta(DEFAULT_PRINTER_META, printerId === VIRTUAL_PRINTER_ID ? null : printerId);
    return this.info(live);
  }

}

