import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backoff } from '../../sync/backoff';
import { printerStateMessages, type PrinterState } from '../../shared/devices-contract';
import { canPrint, decodeStatus, DLE_EOT, isStatusByte, stateOf, statusQuery } from './escpos-status';
import { DeviceError, type Transport } from './transport';

/** What the print queue needs of a printer, real or virtual. */
export interface PrinterEndpoint {
  readonly state: PrinterState;
  start(): void;
  stop(): Promise<void>;
  /** Resolves only when the job is on paper as far as the printer can tell; throws a DeviceError otherwise. */
  send(job: { id: string; bytes: Uint8Array; preview: () => { svg: string; text: string } }): Promise<void>;
  onChange(listener: (state: PrinterState) => void): void;
}

export interface PrinterTiming {
  /** How often status is polled: the UI hears of paper out or a pulled cable within this plus one query timeout. */
  pollMs: number;
  queryTimeoutMs: number;
  /** Time for the printer to print a job before its status is trusted to say whether it finished. */
  settleMs: number;
  reconnect: { baseMs: number; maxMs: number };
}

export const defaultTiming: PrinterTiming = { pollMs: 1000, queryTimeoutMs: 500, settleMs: 1200, reconnect: { baseMs: 500, maxMs: 30_000 } };

/**
 * Epson's real-time "clear buffer" (DLE DC4 fn 8). A job torn by paper-out sits half-printed in
 * the printer's buffer and would resume when the roll is changed; clearing it first means the
 * job prints once, in full, when we resend it.
 */
export const CLEAR_BUFFER = Uint8Array.of(0x10, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08);

/**
 * An ESC/POS printer on a transport: polls DLE EOT 1/2/4, reconnects with backoff, and sends
 * jobs in the same lane as the polls so a reply is never read by the wrong question.
 */
export class EscPosPrinter implements PrinterEndpoint {
  private current: PrinterState = 'connecting';
  private readonly listeners: ((state: PrinterState) => void)[] = [];
  private lane: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private nextConnectAt = 0;
  private torn = false;
  private stopped = false;

  constructor(
    private readonly transport: Transport,
    private readonly timing: PrinterTiming = defaultTiming,
  ) {
    this.backoff = new Backoff(timing.reconnect);
    transport.onDisconnect(() => {
      this.setState('offline');
      this.nextConnectAt = Date.now() + this.backoff.nextDelayMs();
    });
  }

  get state(): PrinterState {
    return this.current;
  }

  /** Connection attempts since the last success, for tests of the backoff. */
  get reconnectAttempts(): number {
    return this.backoff.attempts;
  }

  onChange(listener: (state: PrinterState) => void): void {
    this.listeners.push(listener);
  }

  private setState(next: PrinterState): void {
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.inLane(() => this.poll()).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.timing.pollMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.lane.catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }

  private inLane<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.then(work, work);
    this.lane = run.catch(() => undefined);
    return run;
  }

  private async ensureOpen(): Promise<boolean> {
    if (this.transport.isOpen) return true;
    if (Date.now() < this.nextConnectAt) return false;
    try {
      await this.transport.open();
      this.backoff.reset();
      return true;
    } catch {
      this.setState('offline');
      this.nextConnectAt = Date.now() + this.backoff.nextDelayMs();
      return false;
    }
  }

  private async readState(): Promise<PrinterState> {
    const ask = (n: (typeof DLE_EOT)[keyof typeof DLE_EOT]) => this.transport.query(statusQuery(n), isStatusByte, this.timing.queryTimeoutMs);
    const printer = await ask(DLE_EOT.printer);
    const cause = await ask(DLE_EOT.offlineCause);
    const paper = await ask(DLE_EOT.paperSensor);
    return stateOf(decodeStatus(printer, cause, paper));
  }

  private async poll(): Promise<void> {
    if (!(await this.ensureOpen())) return;
    try {
      this.setState(await this.readState());
    } catch {
      // Open but silent: switched off behind a USB adapter, or a network printer that hung.
      this.setState('offline');
    }
  }

  send(job: { id: string; bytes: Uint8Array }): Promise<void> {
    return this.inLane(async () => {
      if (!(await this.ensureOpen())) throw new DeviceError(printerStateMessages.offline);
      const before = await this.readState().catch(() => 'offline' as const);
      this.setState(before);
      if (!canPrint(before)) throw new DeviceError(printerStateMessages[before]);
      if (this.torn) await this.transport.write(CLEAR_BUFFER);
      this.torn = false;
      await this.transport.write(job.bytes);
      if (this.timing.settleMs > 0) await new Promise((resolve) => setTimeout(resolve, this.timing.settleMs));
      const after = await this.readState().catch(() => 'offline' as const);
      this.setState(after);
      if (!canPrint(after)) {
        this.torn = true;
        throw new DeviceError(`${printerStateMessages[after]} (while printing; it will print again in full)`);
      }
    });
  }
}

/**
 * The default printer, so a station works with no hardware: every job's bytes, SVG preview and
 * text land in a folder (README: "Printing without a printer").
 */
export class VirtualPrinter implements PrinterEndpoint {
  readonly state: PrinterState = 'ready';

  constructor(readonly folder: string) {}

  start(): void {
    mkdirSync(this.folder, { recursive: true });
  }

  async stop(): Promise<void> {}

  onChange(): void {}

  async send(job: { id: string; bytes: Uint8Array; preview: () => { svg: string; text: string } }): Promise<void> {
    mkdirSync(this.folder, { recursive: true });
    const preview = job.preview();
    // Written under a temporary name and renamed, so a crash never leaves half a job that looks whole.
    for (const [extension, body] of [
      ['bin', job.bytes],
      ['svg', preview.svg],
      ['txt', preview.text],
    ] as const) {
      const file = join(this.folder, `${job.id}.${extension}`);
      writeFileSync(`${file}.part`, body);
      renameSync(`${file}.part`, file);
    }
  }
}
