import { z } from 'zod';
import { CLINIC_TIME_ZONE } from './clinic-day';
import { maskNric } from './nric';

/**
 * The printed documents, as ReceiptLine markup (https://receiptline.github.io/). One layout makes
 * both the printer's bytes and the on-screen preview, so what staff see is what the paper shows.
 * Pure: the station turns the markup into ESC/POS and SVG.
 */

/** Characters per line: 58 mm rolls print 384 dots, 80 mm rolls 576, at 12 dots a character. */
export function charactersPerLine(paperWidth: 58 | 80): number {
  return paperWidth === 58 ? 32 : 48;
}

/** Text is data, never markup: a name with "|" or "{" must print as written. */
export function escapeMarkup(text: string): string {
  return text.replace(/[\\|{}~_"`^]/g, (c) => `\\${c}`).replace(/[\r\n\t]+/g, ' ');
}

const timeFormat = new Intl.DateTimeFormat('en-SG', {
  timeZone: CLINIC_TIME_ZONE,
  day: '2-digit',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

export function printedTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a time: ${iso}`);
  return timeFormat.format(date).replace(',', '');
}

/*
 * No QR code: it held the ticket's internal id, which means nothing to a patient; it returns when it can open the
 * patient's live place in the queue (the appointments issue's public page).
 */
export const ticketDocumentSchema = z.object({
  ticketNumber: z.string().regex(/^[A-Z]\d{3}$/, 'A ticket number is a letter and three digits'),
  clinicName: z.string().min(1),
  issuedAt: z.iso.datetime({ offset: true }),
  peopleAhead: z.number().int().nonnegative(),
  estimatedWaitMinutes: z.number().int().nonnegative(),
});
export type TicketDocument = z.infer<typeof ticketDocumentSchema>;

/** A rough figure for the waiting room: ten minutes a patient, shared by the rooms in use. */
export function estimateWaitMinutes(peopleAhead: number, roomsInUse: number): number {
  return Math.round((peopleAhead * 10) / Math.max(1, roomsInUse));
}

export function ticketMarkup(input: TicketDocument): string {
  const t = ticketDocumentSchema.parse(input);
  const wait = t.peopleAhead === 0 ? 'You are next' : `about ${t.estimatedWaitMinutes} min`;
  return [
    `"${escapeMarkup(t.clinicName)}"`,
    'Queue number',
    `^^^^^${t.ticketNumber}`,
    '',
    '{width:14,*}',
    `Issued | ${printedTime(t.issuedAt)}`,
    `People ahead | ${t.peopleAhead}`,
    `Estimated wait | ${wait}`,
    '{width:auto}',
    '',
    'Please watch the screen for your number.',
  ].join('\n');
}

const cents = z.number().int();

export const receiptDocumentSchema = z.object({
  clinic: z.object({ name: z.string().min(1), address: z.string().nullable(), gstRegNo: z.string().nullable() }),
  receiptNumber: z.string().min(1),
  issuedAt: z.iso.datetime({ offset: true }),
  patient: z.object({ fullName: z.string().min(1), nativeName: z.string().nullable(), nric: z.string().min(1) }),
  lines: z
    .array(z.object({ description: z.string().min(1), quantity: z.number().int().positive(), unitPriceCents: cents.nonnegative() }))
    .min(1, 'A receipt needs at least one line'),
  subsidy: z.object({ label: z.string().min(1), amountCents: cents.nonnegative() }).nullable(),
  paidCents: cents.nonnegative(),
  paymentMethod: z.string().min(1),
});
export type ReceiptDocument = z.infer<typeof receiptDocumentSchema>;

/** Singapore GST: 9 % from 2024-01-01, 8 % in 2023, 7 % before (DESIGN §6). Effective-dated, not a constant. */
const gstRates = [
  { from: '2024-01-01', percent: 9 },
  { from: '2023-01-01', percent: 8 },
  { from: '1900-01-01', percent: 7 },
];

export function gstPercentOn(day: string): number {
  return gstRates.find((rate) => day >= rate.from)!.percent;
}

export interface ReceiptTotals {
  subtotalCents: number;
  subsidyCents: number;
  totalCents: number;
  gstPercent: number;
  /** GST contained in the GST-inclusive total, rounded once on the total (not per line). */
  gstCents: number;
  beforeGstCents: number;
  changeCents: number;
}

export function receiptTotals(receipt: ReceiptDocument): ReceiptTotals {
  const subtotalCents = receipt.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  const subsidyCents = Math.min(receipt.subsidy?.amountCents ?? 0, subtotalCents);
  const totalCents = subtotalCents - subsidyCents;
  const gstPercent = gstPercentOn(new Date(receipt.issuedAt).toLocaleDateString('en-CA', { timeZone: CLINIC_TIME_ZONE }));
  const gstCents = Math.round((totalCents * gstPercent) / (100 + gstPercent));
  if (receipt.paidCents < totalCents) throw new RangeError(`Paid ${money(receipt.paidCents)} is less than the total ${money(totalCents)}.`);
  return { subtotalCents, subsidyCents, totalCents, gstPercent, gstCents, beforeGstCents: totalCents - gstCents, changeCents: receipt.paidCents - totalCents };
}

export function money(amountCents: number): string {
  const sign = amountCents < 0 ? '-' : '';
  const abs = Math.abs(amountCents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const FULL_NRIC = /^[STFGM]\d{7}[A-Z]$/i;

export interface ReceiptOptions {
  cjk: boolean;
  /**
   * For printers without a Chinese font: the native name already drawn as a PNG (base64), printed
   * as an image under the romanised name. The layout only places it; the station draws it.
   */
  nativeNameImage?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `cjk` is false for printers without a Chinese font: the name prints romanised only rather than
 * as question marks, plus the native name as an image when one is given.
 */
export function receiptMarkup(input: ReceiptDocument, options: ReceiptOptions): string {
  const r = receiptDocumentSchema.parse(input);
  const totals = receiptTotals(r);
  // A full NRIC never reaches paper, whatever the caller passed.
  const nric = FULL_NRIC.test(r.patient.nric) ? maskNric(r.patient.nric.toUpperCase()) : r.patient.nric;
  const name = options.cjk && r.patient.nativeName ? `${r.patient.fullName} ${r.patient.nativeName}` : r.patient.fullName;
  const image = options.nativeNameImage;
  if (image !== undefined && !BASE64.test(image)) throw new RangeError('The native name image must be base64 PNG data.');
  const nameImage = !options.cjk && r.patient.nativeName && image ? [`{image:${image}; align:right}`] : [];
  const lines = [
    `"${escapeMarkup(r.clinic.name)}"`,
    ...(r.clinic.address ? [escapeMarkup(r.clinic.address)] : []),
    ...(r.clinic.gstRegNo ? [`GST Reg No. ${escapeMarkup(r.clinic.gstRegNo)}`] : []),
    '',
    '^"TAX INVOICE"',
    '{width:12,*}',
    `Receipt No. | ${escapeMarkup(r.receiptNumber)}`,
    `Date | ${printedTime(r.issuedAt)}`,
    `Patient | ${escapeMarkup(name)}`,
    ...nameImage,
    `NRIC/FIN | ${escapeMarkup(nric)}`,
    '{width:auto}',
    '-',
    '{width:*,3,9}',
    ...r.lines.map((line) => `${escapeMarkup(line.description)} | ${line.quantity} | ${money(line.quantity * line.unitPriceCents)}`),
    '-',
    '{width:*,9}',
    `Subtotal | ${money(totals.subtotalCents)}`,
    ...(r.subsidy ? [`${escapeMarkup(r.subsidy.label)} | -${money(totals.subsidyCents)}`] : []),
    `"Total (incl. GST)" | "${money(totals.totalCents)}"`,
    `Amount before GST | ${money(totals.beforeGstCents)}`,
    `GST ${totals.gstPercent}% | ${money(totals.gstCents)}`,
    `Paid (${escapeMarkup(r.paymentMethod)}) | ${money(r.paidCents)}`,
    `Change | ${money(totals.changeCents)}`,
    '{width:auto}',
    '-',
    'Thank you. Get well soon.',
  ];
  return lines.join('\n');
}

export function testPageMarkup(printerName: string, paperWidth: 58 | 80, at: string): string {
  return [
    '^"Test page"',
    escapeMarkup(printerName),
    `${paperWidth} mm, ${charactersPerLine(paperWidth)} characters a line`,
    printedTime(at),
    '-',
    '中文测试 陈伟明 林美玲',
    '0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ].join('\n');
}
