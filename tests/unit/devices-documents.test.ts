import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderBytes, renderPreview, type RenderOptions } from '../../src/main/devices/encoder';
import { pngBase64, rasterizeLine } from '../../src/main/devices/cjk-raster';
import { alphaSign } from '../../src/main/devices/boards/alpha-sign';
import { escposVfd } from '../../src/main/devices/boards/escpos-vfd';
import { decodeStatus, isStatusByte, stateOf } from '../../src/main/devices/escpos-status';
import { escapeMarkup, gstPercentOn, receiptMarkup, receiptTotals, testPageMarkup, ticketMarkup, type ReceiptDocument } from '../../src/shared/receipt';

/*
 * Golden bytes: each document's ESC/POS output is compared byte for byte with tests/golden/*.hex.
 * After an intended layout change, regenerate with UPDATE_GOLDEN=1 and review the diff.
 */

const goldenDir = join(process.cwd(), 'tests', 'golden');

function golden(name: string, bytes: Uint8Array): void {
  const file = join(goldenDir, `${name}.hex`);
  const hex = Buffer.from(bytes).toString('hex').replace(/(.{64})/g, '$1\n').trim() + '\n';
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, hex);
  expect(existsSync(file), `tests/golden/${name}.hex is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(hex, `${name} differs from tests/golden/${name}.hex`).toBe(readFileSync(file, 'utf8'));
}

/**
 * The text an ESC/POS stream prints: printable bytes between commands, decoded as the printer
 * would: GB18030 inside Kanji mode (FS & … FS .), single-byte outside, where bytes above 0x7f are
 * box-drawing glyphs of the rules.
 */
function printedText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  let out = '';
  let run: number[] = [];
  let kanji = false;
  const flush = () => {
    out += new TextDecoder('gb18030').decode(Uint8Array.from(run));
    run = [];
  };
  const escArgs: Record<number, number> = { 0x21: 1, 0x2d: 1, 0x45: 1, 0x47: 1, 0x4d: 1, 0x61: 1, 0x74: 1, 0x7b: 1, 0x20: 1, 0x33: 1, 0x24: 2, 0x5c: 2, 0x40: 0, 0x32: 0 };
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0x1b || c === 0x1d || c === 0x1c) {
      flush();
      const cmd = b[i + 1]!;
      // Column positions become a space, so words of adjacent columns stay apart.
      if (c === 0x1b && (cmd === 0x24 || cmd === 0x5c)) out += ' ';
      if (c === 0x1c && cmd === 0x26) kanji = true;
      if (c === 0x1c && cmd === 0x2e) kanji = false;
      if (c === 0x1b) i += 2 + (escArgs[cmd] ?? 0);
      else if (c === 0x1d && cmd === 0x76) i += 8 + (b[i + 4]! + b[i + 5]! * 256) * (b[i + 6]! + b[i + 7]! * 256);
      else if (c === 0x1d && cmd === 0x28) i += 5 + b[i + 3]! + b[i + 4]! * 256;
      else if (c === 0x1d) i += cmd === 0x56 || cmd === 0x4c || cmd === 0x57 ? 4 : 3;
      else if (cmd === 0x26 || cmd === 0x2e) i += 2;
      else i += cmd === 0x53 ? 4 : 3;
    } else if (c === 0x0a) {
      flush();
      out += '\n';
      i += 1;
    } else if (c >= 0x80 && !kanji) {
      flush();
      i += 1;
    } else {
      if (c >= 0x20 || c >= 0x80) run.push(c);
      i += 1;
    }
  }
  flush();
  return out;
}

/** Rules print as glyphs and previews draw them as dashes; only the words must agree. */
const words = (text: string) => text.replace(/-{3,}/g, ' ').split(/\s+/).filter(Boolean);
const ticket = {
  ticketNumber: 'A012',
  clinicName: 'Gabriel Family Clinic (Bedok)',
  issuedAt: '2025-03-03T01:14:00Z',
  peopleAhead: 3,
  estimatedWaitMinutes: 10,
};
const receipt: ReceiptDocument = {
  clinic: { name: 'Gabriel Family Clinic (Bedok)', address: '10 Bedok North Ave 1, #01-23, S460010', gstRegNo: 'M90-1234567-X' },
  receiptNumber: 'BDK-000123',
  issuedAt: '2025-03-03T02:00:00Z',
  patient: { fullName: 'Tan Wei Ming', nativeName: '陈伟明', nric: 'S1234567D' },
  lines: [
    { description: 'Consultation', quantity: 1, unitPriceCents: 3500 },
    { description: 'Paracetamol 500 mg', quantity: 2, unitPriceCents: 600 },
  ],
  subsidy: { label: 'CHAS Blue subsidy', amountCents: 1850 },
  paidCents: 5000,
  paymentMethod: 'NETS',
};
const wide: RenderOptions = { paperWidth: 80, encoding: 'gb18030' };
const narrow: RenderOptions = { paperWidth: 58, encoding: 'gb18030' };

describe('printed documents', () => {
  const documents = [
    { name: 'ticket-80mm', markup: ticketMarkup(ticket), options: wide },
    { name: 'ticket-58mm', markup: ticketMarkup(ticket), options: narrow },
    { name: 'receipt-80mm-gb18030', markup: receiptMarkup(receipt, { cjk: true }), options: wide },
    { name: 'receipt-58mm-cp437', markup: receiptMarkup(receipt, { cjk: false }), options: { paperWidth: 58, encoding: 'cp437' } as RenderOptions },
    {
      name: 'receipt-58mm-cp437-image',
      markup: receiptMarkup(receipt, { cjk: false, nativeNameImage: pngBase64(rasterizeLine('陈伟明')!) }),
      options: { paperWidth: 58, encoding: 'cp437' } as RenderOptions,
    },
    { name: 'test-page-80mm', markup: testPageMarkup('Desk printer', 80, '2025-03-03T01:00:00Z'), options: wide },
  ];

  for (const doc of documents) {
    it(`${doc.name}: the bytes match the golden file and print what the preview shows`, () => {
      const bytes = renderBytes(doc.markup, doc.options);
      golden(doc.name, bytes);
      const preview = renderPreview(doc.markup, doc.options);
      // The same characters in the same order: the text preview spaces out enlarged letters and the
      // printer positions columns by command, so only the spacing may differ.
      const squeeze = (text: string) => words(text).join('');
      expect(squeeze(printedText(bytes))).toBe(squeeze(preview.text));
      for (const word of words(preview.text).filter((w) => w.length > 3)) expect(preview.svg.replace(/<[^>]+>/g, '').replace(/&#xa0;/g, ' ')).toContain(word[0]);
    });
  }

  it('a ticket shows the number, the clinic, the time in Singapore, people ahead and the wait, and no code a patient cannot use', () => {
    const bytes = renderBytes(ticketMarkup(ticket), wide);
    const text = printedText(bytes);
    expect(words(text).join(' ')).toMatch(/Gabriel Family Clinic \(Bedok\) Queue number A012 Issued 03 Mar 2025 09:14 People ahead 3 Estimated wait about 10 min/);
    // No raster image (GS v 0), which is how the QR code of the internal ticket id used to print.
    expect(Buffer.from(bytes).includes(Buffer.from([0x1d, 0x76, 0x30]))).toBe(false);
    expect(renderPreview(ticketMarkup(ticket), wide).svg).not.toMatch(/<path d="M0,0l\d,0/);
  });

  it('a receipt masks the NRIC, prints the Chinese name in GB18030 and shows GST 9% inside the total (DESIGN §6)', () => {
    const bytes = Buffer.from(renderBytes(receiptMarkup(receipt, { cjk: true }), wide));
    expect(bytes.includes(Buffer.from([0xb3, 0xc2, 0xce, 0xb0, 0xc3, 0xf7]))).toBe(true);
    const text = printedText(bytes);
    expect(text).toContain('S****567D');
    expect(text).not.toContain('S1234567D');
    expect(words(text).join(' ')).toContain('TAX INVOICE');
    expect(text).toMatch(/GST Reg No\. M90-1234567-X/);
    // 35.00 + 2 x 6.00 = 47.00; less 18.50 CHAS Blue = 28.50; GST inside = 28.50 x 9/109 = 2.35; paid 50.00, change 21.50.
    expect(receiptTotals(receipt)).toEqual({ subtotalCents: 4700, subsidyCents: 1850, totalCents: 2850, gstPercent: 9, gstCents: 235, beforeGstCents: 2615, changeCents: 2150 });
    for (const amount of ['47.00', '-18.50', '28.50', '26.15', '2.35', '50.00', '21.50']) expect(text).toContain(amount);
  });

  it('a printer without a Chinese font gets the romanised name, never question marks', () => {
    const text = printedText(renderBytes(receiptMarkup(receipt, { cjk: false }), { paperWidth: 58, encoding: 'cp437' }));
    expect(text).toContain('Tan Wei Ming');
    expect(text).not.toContain('?');
  });

  it('GST is effective-dated: 9% from 2024, 8% in 2023, 7% before', () => {
    expect(gstPercentOn('2024-01-01')).toBe(9);
    expect(gstPercentOn('2023-12-31')).toBe(8);
    expect(gstPercentOn('2022-12-31')).toBe(7);
  });

  it('refuses a receipt paid short and a ticket number that is not a letter and three digits', () => {
    expect(() => receiptTotals({ ...receipt, paidCents: 100 })).toThrow(/less than the total/);
    expect(() => ticketMarkup({ ...ticket, ticketNumber: 'A12' })).toThrow(/letter and three digits/);
  });

  it('prints names containing markup characters as written', () => {
    const markup = receiptMarkup({ ...receipt, patient: { ...receipt.patient, fullName: 'Tan | {Wei} ^Ming_' } }, { cjk: false });
    expect(escapeMarkup('a|b')).toBe('a\\|b');
    expect(renderPreview(markup, wide).text).toContain('Tan | {Wei} ^Ming_');
  });
});

describe('printer status (DLE EOT)', () => {
  it('accepts only bytes whose fixed bits are right', () => {
    expect(isStatusByte(0x12)).toBe(true);
    expect(isStatusByte(0x16)).toBe(true);
    expect(isStatusByte(0x13)).toBe(false);
    expect(isStatusByte(0x92)).toBe(false);
    expect(isStatusByte(0x02)).toBe(false);
    expect(() => decodeStatus(0x12, 0x00, 0x12)).toThrow(/DLE EOT 2/);
  });

  it('reads paper near-end, paper out, cover open and offline', () => {
    expect(stateOf(decodeStatus(0x12, 0x12, 0x12))).toBe('ready');
    expect(stateOf(decodeStatus(0x12, 0x12, 0x1e))).toBe('paper_near_end');
    expect(stateOf(decodeStatus(0x1a, 0x32, 0x72))).toBe('paper_out');
    expect(stateOf(decodeStatus(0x1a, 0x16, 0x12))).toBe('cover_open');
    expect(stateOf(decodeStatus(0x1a, 0x12, 0x12))).toBe('offline');
    expect(stateOf(decodeStatus(0x12, 0x52, 0x12))).toBe('error');
  });
});

describe('queue boards', () => {
  const call = { ticketNumber: 'A012', roomName: 'Room 2' };
  it('Alpha Sign: a write-text-file packet to all signs', () => {
    golden('board-alpha-sign', alphaSign.encodeCall(call));
    const bytes = Buffer.from(alphaSign.encodeCall(call));
    expect(bytes.subarray(0, 10).toString('latin1')).toBe('\0\0\0\0\0\x01Z00\x02');
    expect(bytes.at(-1)).toBe(0x04);
    expect(bytes.toString('latin1')).toContain('A012');
  });

  it('ESC/POS pole display: two padded lines of 20', () => {
    golden('board-escpos-vfd', escposVfd.encodeCall(call));
    const text = Buffer.from(escposVfd.encodeCall({ ...call, roomName: 'Room 2 诊室' })).toString('latin1');
    expect(text).toContain('    Number A012     ');
    expect(text).toContain('       Room 2       ');
  });
});
