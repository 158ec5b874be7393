import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../src/main/cache/cache';
import { DeviceService, VIRTUAL_PRINTER_ID, type DeviceOptions } from '../../src/main/devices/service';
import { deviceHandlers } from '../../src/main/devices/handlers';
import { ApiError, parseInput } from '../../src/shared/contract';
import type { PrinterStatusEvent } from '../../src/shared/devices-contract';
import { FakeEscPosPrinter, mockSerialPrinter, startTcpPrinter } from '../support/fake-printer';
import { waitFor } from '../support/stations';

/*
 * The print queue on a real SQLite cache file against fake ESC/POS printers: one on
 * @serialport/binding-mock, one on a loopback TCP port. Timings are shortened; the logic is the
 * station's own.
 */

const CLINIC = { id: '6f1c1b8e-3c4b-4f5e-9a51-2d8f4b0c1a11', name: 'Gabriel Family Clinic (Bedok)' };
const fast: DeviceOptions['timing'] = { pollMs: 50, queryTimeoutMs: 150, settleMs: 20, reconnect: { baseMs: 40, maxMs: 200 } };

interface Rig {
  dir: string;
  cache: Cache;
  devices: DeviceService;
  events: PrinterStatusEvent[];
}

const rigs: Rig[] = [];
const cleanups: (() => Promise<void>)[] = [];

function rig(options: DeviceOptions = {}, dir = mkdtempSync(join(tmpdir(), 'devices-'))): Rig {
  const cache = new Cache(join(dir, 'cache.sqlite'));
  const events: PrinterStatusEvent[] = [];
  const devices = new DeviceService({
    dataDir: dir,
    cache,
    clinic: () => CLINIC,
    now: () => new Date(),
    emit: (payload) => events.push(payload),
    authorize: () => undefined,
    options: { timing: fast, ...options },
  });
  devices.start();
  const made = { dir, cache, devices, events };
  rigs.push(made);
  return made;
}

async function shutdown(r: Rig): Promise<void> {
  rigs.splice(rigs.indexOf(r), 1);
  await r.devices.stop();
  r.cache.close();
}

afterEach(async () => {
  for (const r of [...rigs]) await shutdown(r);
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function jobStatus(r: Rig, jobId: string) {
  return r.devices.jobs(100).find((j) => j.id === jobId);
}

describe('the print queue', () => {
  it('keeps a job torn by paper-out on a serial printer, tells the UI, and prints it exactly once after the roll is changed', async () => {
    const printer = new FakeEscPosPrinter();
    const serial = mockSerialPrinter('/dev/ttyFAKE-paper', printer);
    const r = rig({ serialBinding: serial.binding });
    const added = r.devices.addPrinter({ kind: 'serial', name: 'Desk printer', address: '/dev/ttyFAKE-paper', baudRate: 9600, paperWidth: 80, encoding: 'gb18030' });
    await waitFor(() => r.devices.listPrinters().find((p) => p.id === added.id)?.state === 'ready', 'the serial printer to be ready');

    printer.runOutAfter = 200;
    const job = r.devices.print('test', undefined, added.id);
    await waitFor(() => r.events.some((e) => e.printerId === added.id && e.state === 'paper_out'), 'the paper-out event');
    await waitFor(() => jobStatus(r, job.id)?.lastError, 'the job to record why it waits');
    const waiting = jobStatus(r, job.id)!;
    expect(waiting.status).toBe('queued');
    expect(waiting.lastError).toMatch(/out of paper/i);
    expect(printer.printed).toHaveLength(0);
    expect(printer.torn).toBe(1);
    // Still waiting a while later: nothing is sent to a printer that says it has no paper.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(jobStatus(r, job.id)!.status).toBe('queued');

    printer.paperOut = false;
    await waitFor(() => jobStatus(r, job.id)?.status === 'printed', 'the job to print after recovery');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(printer.printed).toHaveLength(1);
    expect(jobStatus(r, job.id)!.attempts).toBe(2);
    expect(r.events.some((e) => e.printerId === added.id && e.state === 'ready' && e.waiting === 0)).toBe(true);
  });

  it('reports paper near-end, cover open and a silent printer within two seconds', async () => {
    const printer = new FakeEscPosPrinter();
    const serial = mockSerialPrinter('/dev/ttyFAKE-status', printer);
    const r = rig({ serialBinding: serial.binding, timing: { ...fast!, pollMs: 1000, queryTimeoutMs: 500 } });
    const added = r.devices.addPrinter({ kind: 'serial', name: 'Status printer', address: '/dev/ttyFAKE-status', baudRate: 9600, paperWidth: 58, encoding: 'gb18030' });
    await waitFor(() => r.devices.listPrinters().find((p) => p.id === added.id)?.state === 'ready', 'ready');
    for (const [change, state] of [
      [() => (printer.paperNearEnd = true), 'paper_near_end'],
      [() => (printer.coverOpen = true), 'cover_open'],
      [() => ((printer.coverOpen = false), (printer.silent = true)), 'offline'],
    ] as const) {
      const since = Date.now();
      change();
      await waitFor(() => r.events.some((e) => e.printerId === added.id && e.state === state), state, 2000);
      expect(Date.now() - since).toBeLessThan(2000);
    }
  });

  it('prints to a network printer on loopback port and survives a station restart with the job still queued', async () => {
    const printer = new FakeEscPosPrinter();
    printer.paperOut = true;
    const tcp = await startTcpPrinter(printer);
    cleanups.push(tcp.close);
    const first = rig();
    const added = first.devices.addPrinter({ kind: 'tcp', name: 'Network printer', address: tcp.address, paperWidth: 80, encoding: 'gb18030' });
    first.devices.setDefault(added.id);
    await waitFor(() => first.devices.listPrinters().find((p) => p.id === added.id)?.state === 'paper_out', 'paper out over TCP');
    const job = first.devices.print('receipt', undefined, undefined);
    expect(job.printerId).toBe(added.id);
    const dir = first.dir;
    await shutdown(first);

    printer.paperOut = false;
    const second = rig({}, dir);
    await waitFor(() => jobStatus(second, job.id)?.status === 'printed', 'the job to print after restart');
    expect(printer.printed).toHaveLength(1);
    // GB18030 for 陈伟明 reached the printer.
    expect(printer.printed[0]!.includes(Buffer.from([0xb3, 0xc2, 0xce, 0xb0, 0xc3, 0xf7]))).toBe(true);

    const again = second.devices.reprint(job.id);
    await waitFor(() => jobStatus(second, again.id)?.status === 'printed', 'the reprint');
    expect(printer.printed).toHaveLength(2);
    expect(printer.printed[1]!.equals(printer.printed[0]!)).toBe(true);
  });

  it('cancels a waiting job, and refuses to cancel one already printed', async () => {
    const printer = new FakeEscPosPrinter();
    printer.coverOpen = true;
    const tcp = await startTcpPrinter(printer);
    cleanups.push(tcp.close);
    const r = rig();
    const added = r.devices.addPrinter({ kind: 'tcp', name: 'Cover printer', address: tcp.address, paperWidth: 80, encoding: 'cp437' });
    await waitFor(() => r.devices.listPrinters().find((p) => p.id === added.id)?.state === 'cover_open', 'cover open');
    // No Chinese font (cp437): the sample receipt draws 陈伟明 as an image; the virtual printer (gb18030) prints text.
    expect(r.devices.preview('receipt', undefined, added.id).svg).toContain('<image href="data:image/png;base64,');
    expect(r.devices.preview('receipt', undefined, VIRTUAL_PRINTER_ID).svg).not.toContain('<image');
    const job = r.devices.print('test', undefined, added.id);
    expect(r.devices.cancel(job.id).status).toBe('cancelled');
    await expect(r.devices.removePrinter(added.id)).resolves.toBeUndefined();
    const virtual = r.devices.print('test', undefined, VIRTUAL_PRINTER_ID);
    await waitFor(() => jobStatus(r, virtual.id)?.status === 'printed', 'the virtual job');
    expect(() => r.devices.cancel(virtual.id)).toThrow(/already printed/);
    expect(printer.printed).toHaveLength(0);
  });

  it('reconnects to an unplugged serial printer with backoff and then prints what waited', async () => {
    const printer = new FakeEscPosPrinter();
    const serial = mockSerialPrinter('/dev/ttyFAKE-unplug', printer);
    const r = rig({ serialBinding: serial.binding });
    const added = r.devices.addPrinter({ kind: 'serial', name: 'USB printer', address: '/dev/ttyFAKE-unplug', baudRate: 9600, paperWidth: 80, encoding: 'gb18030' });
    await waitFor(() => r.devices.listPrinters().find((p) => p.id === added.id)?.state === 'ready', 'ready');

    serial.unplug();
    await waitFor(() => r.events.some((e) => e.printerId === added.id && e.state === 'offline'), 'the offline event');
    const job = r.devices.print('test', undefined, added.id);
    await waitFor(() => serial.state.failedOpens >= 3, 'several reconnect attempts');
    const startedAt = Date.now();
    const before = serial.state.failedOpens;
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Backoff: far fewer attempts than one per 50 ms poll.
    expect(serial.state.failedOpens - before).toBeLessThan((Date.now() - startedAt) / 50);
    expect(jobStatus(r, job.id)!.status).toBe('queued');

    serial.plugIn();
    await waitFor(() => jobStatus(r, job.id)?.status === 'printed', 'the job after replugging');
    expect(printer.printed).toHaveLength(1);
    expect(serial.state.opens).toBe(2);
  });

  it('keeps the bytes, SVG and text of every virtual job in the station folder', async () => {
    const r = rig();
    const job = r.devices.print('receipt', undefined, undefined);
    await waitFor(() => jobStatus(r, job.id)?.status === 'printed', 'the virtual job');
    const folder = join(r.dir, 'virtual-printer');
    expect(existsSync(join(folder, `${job.id}.bin`))).toBe(true);
    expect(readFileSync(join(folder, `${job.id}.svg`), 'utf8')).toContain('<svg');
    expect(readFileSync(join(folder, `${job.id}.txt`), 'utf8')).toContain('S****567D');
    expect(readFileSync(join(folder, `${job.id}.txt`), 'utf8')).not.toContain('S1234567D');
  });

  it('answers bad input with a clear error and changes nothing', async () => {
    const r = rig();
    const handlers = deviceHandlers(r.devices);
    expect(() => parseInput('printers.add', { kind: 'tcp', name: 'X', address: 'printer:99999', paperWidth: 80 })).toThrow(/port must be between/);
    expect(() => parseInput('printers.add', { kind: 'tcp', name: 'X', address: '10.0.0.5:9100', paperWidth: 76 })).toThrow(ApiError);
    expect(() => parseInput('announcements.setSettings', { languages: ['en', 'en'], speechFallback: false })).toThrow(/only once/);
    expect(() => parseInput('announcements.clip', { language: 'en', clip: '../../etc/passwd' })).toThrow(/Not a clip name/);
    expect(() => handlers['printers.print'](parseInput('printers.print', { document: 'ticket' }) as never)).toThrow(/Choose the ticket/);
    expect(() => r.devices.cancel('00000000-0000-4000-8000-00000000dead')).toThrow(/not at this station/);
    await expect(r.devices.removePrinter(VIRTUAL_PRINTER_ID)).rejects.toThrow(/built in/);
    expect(r.devices.jobs(10)).toHaveLength(0);
    r.cache.setMeta('announcements.settings', '{"languages":["xx"]');
    expect(r.devices.voice.announcementSettings().problems[0]).toMatch(/could not be read/);
  });
});
