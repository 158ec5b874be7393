import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  announcementLanguages,
  announcementSettingsSchema,
  clipNames,
  defaultAnnouncementSettings,
  type AnnouncementLanguage,
  type AnnouncementSettings,
} from '../../shared/announcement';
import { ApiError, describeIssues, type DisplayCall, type MethodOutput } from '../../shared/contract';
import {
  addBoardInputSchema,
  addPrinterInputSchema,
  printerStateMessages,
  type BoardInfo,
  type DocumentPreview,
  type PaperWidth,
  type PrinterEncoding,
  type PrinterInfo,
  type PrinterStatusEvent,
  type PrintJob,
} from '../../shared/devices-contract';
import { compareForCall } from '../../shared/queue-order';
import { charactersPerLine, estimateWaitMinutes, receiptMarkup, testPageMarkup, ticketMarkup, type ReceiptDocument } from '../../shared/receipt';
import { audioMimeOf, decodeWav } from '../../shared/wav';
import type { Cache } from '../cache/cache';
import { QueueBoard } from './boards/board';
import { boardDriver, boardDrivers } from './boards/index';
import { pngBase64, rasterizeLine } from './cjk-raster';
import { renderBytes, renderPreview, type RenderOptions } from './encoder';
import { defaultTiming, EscPosPrinter, VirtualPrinter, type PrinterEndpoint, type PrinterTiming } from './printer';
import { listSerialPorts, SerialTransport, TcpTransport, type SerialBinding, type Transport } from './transport';
import type { z } from 'zod';

/** The built-in printer every station has, so printing works with no hardware. */
export const VIRTUAL_PRINTER_ID = '00000000-0000-4000-8000-000000000001';
const DEFAULT_PRINTER_META = 'devices.default_printer';
/** This station's own voice options (speech fallback); the languages are the clinic's. */
const ANNOUNCEMENT_META = 'announcements.settings';
/** The clinic's station settings as the centre last gave them (StationCore fetches them at each sync). */
export const CLINIC_SETTINGS_META = 'clinic_settings';
const LANGUAGES_SETTING = 'announcement.languages';
/** Who may change a clinic setting; the centre checks it again (clinic.set_setting). */
export const SETTINGS_ROLES = ['clinic_admin', 'chain_admin'];
const MAX_CLIP_BYTES = 1024 * 1024;

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

type PrinterTables = {
  printers: {
    id: string;
    name: string;
    kind: string;
    address: string;
    baud_rate: number | null;
    paper_width: number;
    encoding: string;
    created_at: string;
  };
  print_jobs: {
    id: string;
    printer_id: string;
    document: string;
    title: string;
    markup: string;
    paper_width: number;
    encoding: string;
    bytes: Uint8Array;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: string;
    printed_at: string | null;
  };
  boards: { id: string; name: string; driver: string; transport: string; address: string; baud_rate: number | null; created_at: string };
};

type PrinterRow = PrinterTables['printers'];
type JobRow = PrinterTables['print_jobs'];
type BoardRow = PrinterTables['boards'];

interface LivePrinter {
  row: PrinterRow;
  endpoint: PrinterEndpoint;
  lastEvent: string;
}

/**
 * Printers, the persisted print queue, queue boards and voice settings of one station. A job is
 * written to SQLite before anything is sent, waits while its printer is faulty, and is marked
 * printed only after the printer's status says it got through; nothing is dropped without a row
 * saying why.
 */
export class DeviceService {
  private readonly q;
  private readonly printers = new Map<string, LivePrinter>();
  private readonly boards = new Map<string, { row: BoardRow; board: QueueBoard }>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly drainAgain = new Set<string>();
  private readonly timing: PrinterTiming;
  private started = false;

  constructor(readonly deps: DeviceServiceDeps) {
    this.q = deps.cache.q.withTables<PrinterTables>();
    this.timing = deps.options?.timing ?? defaultTiming;
  }

  get virtualFolder(): string {
    return join(this.deps.dataDir, 'virtual-printer');
  }

  get voiceFolder(): string {
    return join(this.deps.dataDir, 'voice');
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
    for (const row of this.deps.cache.all(this.q.selectFrom('boards').selectAll())) this.attachBoard(row);
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.printers.values()].map((p) => p.endpoint.stop()));
    await Promise.all([...this.draining.values()].map((run) => run.catch(() => undefined)));
    await Promise.all([...this.boards.values()].map((b) => b.board.stop()));
    this.printers.clear();
    this.boards.clear();
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

  // --- documents -------------------------------------------------------------------------------

  private ticketMarkupFor(ticketId: string): { title: string; markup: string } {
    const clinic = this.deps.clinic();
    const ticket = this.deps.cache.get(this.deps.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', ticketId));
    if (!ticket) throw new ApiError('not_found', 'That ticket is not in today’s queue.');
    const now = this.deps.now().toISOString();
    const candidate = (t: typeof ticket) => ({
      ticketNumber: t.ticket_number,
      priority: t.priority as 0 | 1 | 2,
      status: t.status as 'waiting',
      doctorId: t.doctor_id,
      dueAt: t.due_at,
      queuedAt: t.queued_at,
    });
    const waiting = this.deps.cache.all(
      this.deps.cache.q.selectFrom('queue_tickets').selectAll().where('service_date', '=', ticket.service_date).where('status', '=', 'waiting').where('id', '!=', ticket.id),
    );
    const peopleAhead = waiting.filter((other) => compareForCall(candidate(other), candidate(ticket), now) < 0).length;
    const rooms = this.deps.cache.all(this.deps.cache.q.selectFrom('rooms').select('id').where('clinic_id', '=', clinic.id).where('is_active', '=', 1)).length;
    const markup = ticketMarkup({
      ticketId: ticket.id,
      ticketNumber: ticket.ticket_number,
      clinicName: clinic.name,
      issuedAt: ticket.issued_at,
      peopleAhead,
      estimatedWaitMinutes: estimateWaitMinutes(peopleAhead, rooms),
    });
    return { title: `Ticket ${ticket.ticket_number}`, markup };
  }

  /** Billing fills the receipt later; until then the layout is shown and tested with this example. */
  private sampleReceipt(): ReceiptDocument {
    const clinic = this.deps.clinic();
    const row = this.deps.cache.get(this.deps.cache.q.selectFrom('clinics').select(['address', 'gst_reg_no']).where('id', '=', clinic.id));
    return {
      clinic: { name: clinic.name, address: row?.address ?? null, gstRegNo: row?.gst_reg_no ?? null },
      receiptNumber: 'SAMPLE-000001',
      issuedAt: this.deps.now().toISOString(),
      patient: { fullName: 'Tan Wei Ming', nativeName: '陈伟明', nric: 'S1234567D' },
      lines: [
        { description: 'Consultation', quantity: 1, unitPriceCents: 3500 },
        { description: 'Paracetamol 500 mg (10 tabs)', quantity: 2, unitPriceCents: 600 },
      ],
      subsidy: { label: 'CHAS Blue subsidy', amountCents: 1850 },
      paidCents: 5000,
      paymentMethod: 'NETS',
    };
  }

  private documentFor(document: PrintJob['document'], live: LivePrinter, ticketId: string | undefined): { title: string; markup: string } {
    if (document === 'ticket') {
      if (!ticketId) throw new ApiError('validation', 'Choose the ticket to print.');
      return this.ticketMarkupFor(ticketId);
    }
    if (document === 'receipt') return { title: 'Sample receipt', markup: receiptMarkupFor(this.sampleReceipt(), live.row) };
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
      const { title, markup } = this.ticketMarkupFor(ticket.id);
      this.enqueue(undefined, 'ticket', title, markup);
    } catch (error) {
      // The ticket stands even if its paper copy cannot be made; the reason is in the log and the UI can reprint.
      console.error(`Ticket ${ticket.id} was issued but not queued for printing:`, error);
    }
    return ticket;
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

  // --- queue boards ----------------------------------------------------------------------------

  private attachBoard(row: BoardRow): void {
    const board = new QueueBoard(boardDriver(row.driver), this.transportFor(row.transport, row.address, row.baud_rate));
    this.boards.set(row.id, { row, board });
  }

  private boardInfo(entry: { row: BoardRow; board: QueueBoard }): BoardInfo {
    return {
      id: entry.row.id,
      name: entry.row.name,
      driver: entry.row.driver,
      transport: entry.row.transport as BoardInfo['transport'],
      address: entry.row.address,
      state: entry.board.state,
      lastError: entry.board.lastError,
    };
  }

  listBoards(): BoardInfo[] {
    return [...this.boards.values()].map((entry) => this.boardInfo(entry));
  }

  addBoard(input: z.output<typeof addBoardInputSchema>): BoardInfo {
    if (!boardDrivers[input.driver]) throw new ApiError('validation', `This station has no "${input.driver}" board driver.`);
    if (input.transport === 'tcp' && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(input.address)) {
      throw new ApiError('validation', 'Enter a network board as host:port, e.g. 192.168.1.60:3001.');
    }
    const row: BoardRow = { id: randomUUID(), ...input, baud_rate: input.transport === 'serial' ? input.baudRate : null, created_at: this.deps.now().toISOString() };
    delete (row as Partial<typeof input>).baudRate;
    this.deps.cache.run(this.q.insertInto('boards').values(row));
    this.attachBoard(row);
    return this.boardInfo(this.boards.get(row.id)!);
  }

  async removeBoard(boardId: string): Promise<void> {
    const entry = this.boards.get(boardId);
    if (!entry) throw new ApiError('not_found', 'That board is not set up at this station.');
    this.boards.delete(boardId);
    this.deps.cache.run(this.q.deleteFrom('boards').where('id', '=', boardId));
    await entry.board.stop();
  }

  async testBoard(boardId: string): Promise<BoardInfo> {
    const entry = this.boards.get(boardId);
    if (!entry) throw new ApiError('not_found', 'That board is not set up at this station.');
    await entry.board.show({ ticketNumber: 'A000', roomName: 'Test' });
    return this.boardInfo(entry);
  }

  /** Every call goes to every board this station drives. */
  async showOnBoards(call: Pick<DisplayCall, 'ticketNumber' | 'roomName'>): Promise<void> {
    await Promise.all([...this.boards.values()].map((entry) => entry.board.show({ ticketNumber: call.ticketNumber, roomName: call.roomName })));
  }

  // --- voice -----------------------------------------------------------------------------------

  /** The clinic's languages (the defaults until the centre was first asked) and this station's speech fallback. */
  announcementSettings(): AnnouncementSettings & { problems: string[] } {
    const problems: string[] = [];
    let languages = defaultAnnouncementSettings.languages;
    const clinic = parseJson(this.deps.cache.getMeta(CLINIC_SETTINGS_META));
    if (clinic !== undefined) {
      const value = (clinic as Record<string, unknown> | null)?.[LANGUAGES_SETTING];
      const result = announcementSettingsSchema.shape.languages.safeParse(value);
      if (result.success) languages = result.data;
      else problems.push(`The clinic's announcement languages from the centre could not be read (${describeIssues(result.error)}); the defaults are in use.`);
    }
    let speechFallback = defaultAnnouncementSettings.speechFallback;
    const raw = this.deps.cache.getMeta(ANNOUNCEMENT_META);
    if (raw) {
      const parsed = parseJson(raw);
      const result = announcementSettingsSchema.pick({ speechFallback: true }).safeParse(parsed);
      if (result.success) speechFallback = result.data.speechFallback;
      else problems.push(`The saved voice settings could not be read (${parsed === undefined ? 'not JSON' : describeIssues(result.error)}); the defaults are in use until they are saved again.`);
    }
    return { languages, speechFallback, problems };
  }

  /** Whether the person signed in here may change the clinic's announcement languages. */
  canEditLanguages(): boolean {
    return SETTINGS_ROLES.includes(this.deps.session?.()?.role ?? '');
  }

  /**
   * The speech fallback is this station's; the languages are the clinic's, changed only by its
   * manager and sent to the centre through the outbox like every other write.
   */
  async setAnnouncementSettings(settings: AnnouncementSettings): Promise<AnnouncementSettings> {
    const current = this.announcementSettings().languages;
    const session = this.deps.session?.() ?? null;
    const changed = settings.languages.join() !== current.join();
    if (changed && !session) throw new ApiError('not_signed_in', 'Please sign in to change the announcement languages.');
    if (changed && !SETTINGS_ROLES.includes(session?.role ?? '')) {
      throw new ApiError('forbidden', 'Only the clinic manager (admin) can change the announcement languages.');
    }
    this.deps.cache.setMeta(ANNOUNCEMENT_META, JSON.stringify({ speechFallback: settings.speechFallback }));
    if (!changed || !session) return { languages: current, speechFallback: settings.speechFallback };
    const value = [...settings.languages];
    const { requestKey } = this.deps.cache.enqueue(
      // Shown here at once; the next fetch from the centre replaces it, also if the centre refuses it.
      () => this.deps.cache.setMeta(CLINIC_SETTINGS_META, JSON.stringify({ ...asObject(parseJson(this.deps.cache.getMeta(CLINIC_SETTINGS_META))), [LANGUAGES_SETTING]: value })),
      () => ({ procedure: 'set_setting', args: { key: LANGUAGES_SETTING, value }, sessionToken: session.token, undo: [] }),
    );
    await this.deps.afterClinicWrite?.(requestKey);
    return { languages: this.announcementSettings().languages, speechFallback: settings.speechFallback };
  }

  /**
   * The clinic's own recordings in <data dir>/voice/<language>/<clip>.wav|mp3|ogg. Each file is
   * checked before the display is told about it, so a bad file falls back to the generated clip.
   */
  voiceOverrides(): { overrides: Map<string, string>; problems: string[] } {
    const overrides = new Map<string, string>();
    const problems: string[] = [];
    if (!existsSync(this.voiceFolder)) return { overrides, problems };
    const known = new Set(clipNames());
    for (const language of readdirSync(this.voiceFolder)) {
      const dir = join(this.voiceFolder, language);
      if (!statSync(dir).isDirectory()) continue;
      if (!(announcementLanguages as readonly string[]).includes(language)) {
        problems.push(`voice/${language}: not a language folder (use ${announcementLanguages.join(', ')}).`);
        continue;
      }
      for (const file of readdirSync(dir)) {
        const clip = file.slice(0, -extname(file).length);
        const where = `voice/${language}/${file}`;
        if (!['.wav', '.mp3', '.ogg'].includes(extname(file).toLowerCase())) {
          problems.push(`${where}: only .wav, .mp3 and .ogg files are played.`);
          continue;
        }
        if (!known.has(clip)) {
          problems.push(`${where}: "${clip}" is not a clip name (number, please-go-to, room, digit-0…9, letter-a…z).`);
          continue;
        }
        const problem = checkClip(join(dir, file));
        if (problem) problems.push(`${where}: ${problem}`);
        else overrides.set(`${language}/${clip}`, join(dir, file));
      }
    }
    return { overrides, problems };
  }

  clipUrl(language: AnnouncementLanguage, clip: string): string {
    const file = this.voiceOverrides().overrides.get(`${language}/${clip}`);
    if (!file) throw new ApiError('not_found', `The clinic has no recording of ${language}/${clip}; the built-in clip plays.`);
    const bytes = readFileSync(file);
    return `data:${audioMimeOf(bytes)};base64,${bytes.toString('base64')}`;
  }
}

/** undefined when there is nothing, or nothing readable. */
function parseJson(raw: string | null): unknown {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function renderOptions(row: Pick<PrinterRow, 'paper_width' | 'encoding'>): RenderOptions {
  return { paperWidth: row.paper_width as PaperWidth, encoding: row.encoding as PrinterEncoding };
}

/**
 * A printer with a Chinese font (gb18030) prints the native name as text; one without gets it as an
 * image from the glyph table, or the romanised name alone when a character is not in the table or
 * the name is wider than the paper (12 dots a character).
 */
function receiptMarkupFor(receipt: ReceiptDocument, row: Pick<PrinterRow, 'paper_width' | 'encoding'>): string {
  const cjk = row.encoding === 'gb18030';
  let nativeNameImage: string | undefined;
  if (!cjk && receipt.patient.nativeName) {
    try {
      const raster = rasterizeLine(receipt.patient.nativeName, charactersPerLine(row.paper_width as PaperWidth) * 12);
      if (raster) nativeNameImage = pngBase64(raster);
    } catch (error) {
      console.error('The Chinese glyph table could not be read; printing the romanised name only:', error);
    }
  }
  return receiptMarkup(receipt, nativeNameImage ? { cjk, nativeNameImage } : { cjk });
}

function checkClip(file: string): string | null {
  const size = statSync(file).size;
  if (size > MAX_CLIP_BYTES) return `larger than ${MAX_CLIP_BYTES / 1024} KiB; a word should be a second or two.`;
  const bytes = readFileSync(file);
  const mime = audioMimeOf(bytes);
  if (!mime) return 'not a WAV, MP3 or Ogg recording.';
  if (mime === 'audio/wav') {
    try {
      const pcm = decodeWav(bytes);
      if (pcm.samples.length === 0) return 'the recording is empty.';
    } catch (error) {
      return `${(error as Error).message}.`;
    }
  }
  return null;
}

type DeviceMethod = Extract<keyof MethodOutputs, string>;
type MethodOutputs = {
  [M in
    | 'printers.list'
    | 'printers.add'
    | 'printers.remove'
    | 'printers.setDefault'
    | 'printers.preview'
    | 'printers.print'
    | 'printers.jobs'
    | 'printers.jobPreview'
    | 'printers.reprint'
    | 'printers.cancel'
    | 'devices.serialPorts'
    | 'devices.boards'
    | 'devices.boardDrivers'
    | 'devices.addBoard'
    | 'devices.removeBoard'
    | 'devices.testBoard'
    | 'announcements.settings'
    | 'announcements.setSettings'
    | 'announcements.clip']: MethodOutput<M>;
};

/**
 * The contract's device methods, for StationCore's handler table. `service` is a getter because
 * the table is built before the station constructs its devices.
 */
export function deviceHandlers(service: () => DeviceService): { [M in DeviceMethod]: (input: never) => Promise<MethodOutputs[M]> | MethodOutputs[M] } {
  const authorized = () => {
    const devices = service();
    devices.deps.authorize();
    return devices;
  };
  type DocInput = { document: PrintJob['document']; ticketId?: string; printerId?: string };
  return {
    'printers.list': () => authorized().listPrinters(),
    'printers.add': (input: z.output<typeof addPrinterInputSchema>) => authorized().addPrinter(input),
    'printers.remove': async (input: { printerId: string }) => {
      await authorized().removePrinter(input.printerId);
      return { ok: true as const };
    },
    'printers.setDefault': (input: { printerId: string }) => authorized().setDefault(input.printerId),
    'printers.preview': (input: DocInput) => authorized().preview(input.document, input.ticketId, input.printerId),
    'printers.print': (input: DocInput) => authorized().print(input.document, input.ticketId, input.printerId),
    'printers.jobs': (input: { limit: number }) => authorized().jobs(input.limit),
    'printers.jobPreview': (input: { jobId: string }) => authorized().jobPreview(input.jobId),
    'printers.reprint': (input: { jobId: string }) => authorized().reprint(input.jobId),
    'printers.cancel': (input: { jobId: string }) => authorized().cancel(input.jobId),
    'devices.serialPorts': async () => {
      authorized();
      try {
        return await listSerialPorts(service().deps.options?.serialBinding);
      } catch (error) {
        throw new ApiError('internal', `The serial ports could not be listed: ${(error as Error).message}`);
      }
    },
    'devices.boards': () => authorized().listBoards(),
    'devices.boardDrivers': () => Object.values(boardDrivers).map((d) => ({ id: d.id, label: d.label })),
    'devices.addBoard': (input: z.output<typeof addBoardInputSchema>) => authorized().addBoard(input),
    'devices.removeBoard': async (input: { boardId: string }) => {
      await authorized().removeBoard(input.boardId);
      return { ok: true as const };
    },
    'devices.testBoard': (input: { boardId: string }) => authorized().testBoard(input.boardId),
    // The display reads these without anyone signed in: it has no sign-in.
    'announcements.settings': () => {
      const devices = service();
      const { overrides, problems } = devices.voiceOverrides();
      const settings = devices.announcementSettings();
      return {
        languages: settings.languages,
        speechFallback: settings.speechFallback,
        canEditLanguages: devices.canEditLanguages(),
        overrides: [...overrides.keys()].sort(),
        problems: [...settings.problems, ...problems],
      };
    },
    'announcements.setSettings': (input: AnnouncementSettings) => authorized().setAnnouncementSettings(input),
    'announcements.clip': (input: { language: AnnouncementLanguage; clip: string }) => ({ url: service().clipUrl(input.language, input.clip) }),
  };
}
