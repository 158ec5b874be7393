import { transform } from 'receiptline';
import { charactersPerLine } from '../../shared/receipt';
import type { DocumentPreview, PaperWidth, PrinterEncoding } from '../../shared/devices-contract';

/*
 * ReceiptLine (receiptline 4.x) turns one layout into ESC/POS bytes, an SVG preview and plain
 * text. It was chosen over @point-of-sale/receipt-printer-encoder because it encodes GB18030
 * (Chinese names in the printer's own font) and renders previews; see docs/devices.md.
 */

export interface RenderOptions {
  paperWidth: PaperWidth;
  encoding: PrinterEncoding;
}

/**
 * receiptline ends every job with GS r 1 (send paper status when done). We poll DLE EOT instead,
 * and an unrequested status byte arriving mid-poll would be read as the answer to our query.
 */
const TRAILING_STATUS_REQUEST = '\x1dr\x01';

function printerOptions(options: RenderOptions, command: 'generic' | 'svg' | 'text') {
  // 'generic' ESC/POS prints raster images with GS v 0, which Epson and the common clones all take.
  // Our images (Chinese names) are already black and white: threshold them, no error diffusion,
  // which would otherwise wear holes into long black strokes.
  return { cpl: charactersPerLine(options.paperWidth), encoding: options.encoding, command, cutting: true, spacing: true, gradient: false };
}

export function renderBytes(markup: string, options: RenderOptions): Uint8Array {
  let commands = transform(markup, printerOptions(options, 'generic'));
  if (commands.endsWith(TRAILING_STATUS_REQUEST)) commands = commands.slice(0, -TRAILING_STATUS_REQUEST.length);
  return Uint8Array.from(Buffer.from(commands, 'binary'));
}

export function renderPreview(markup: string, options: RenderOptions): DocumentPreview {
  return {
    // The SVG carries a random filter id per render; a fixed one keeps previews stable and comparable.
    svg: transform(markup, printerOptions(options, 'svg')).replace(/receipt-[0-9a-f-]{36}/g, 'receipt-preview'),
    text: transform(markup, printerOptions(options, 'text')),
  };
}
