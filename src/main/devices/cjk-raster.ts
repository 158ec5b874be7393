import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

/*
 * Chinese names on printers without a Chinese font: the name is drawn from a table of 24 × 24 dot
 * bitmaps (every hanzi of GB2312, rasterised from Droid Sans Fallback, Apache-2.0, by
 * build/cjk/generate.ts; format described there) and printed as a raster image.
 * In the Electron bundle import.meta.url is dist/electron/main.cjs, and build/bundle-electron.mjs
 * copies the table next to it.
 */

const MAGIC = 'CJKG';
const HEADER_BYTES = 12;
/** An ASCII space between names is a half-width (12-dot) gap. */
const SPACE_WIDTH = 12;

export interface Raster {
  width: number;
  height: number;
  /** One byte a pixel, row by row: 1 = black, 0 = white. */
  bits: Uint8Array;
}

interface GlyphTable {
  size: number;
  count: number;
  codePoints: Uint32Array;
  bitmaps: Uint8Array;
}

let table: GlyphTable | undefined;

export function glyphTablePath(): string {
  return fileURLToPath(new URL('./cjk-glyphs.bin', import.meta.url));
}

function loadTable(): GlyphTable {
  if (table) return table;
  const file = readFileSync(glyphTablePath());
  if (file.toString('latin1', 0, 4) !== MAGIC || file.readUInt16LE(4) !== 1) throw new Error('cjk-glyphs.bin is not a version 1 glyph table');
  const size = file.readUInt16LE(6);
  const count = file.readUInt32LE(8);
  const bitmapBytes = (size / 8) * size;
  if (file.length !== HEADER_BYTES + count * (4 + bitmapBytes)) throw new Error('cjk-glyphs.bin is truncated');
  const codePoints = new Uint32Array(count);
  for (let i = 0; i < count; i++) codePoints[i] = file.readUInt32LE(HEADER_BYTES + i * 4);
  table = { size, count, codePoints, bitmaps: file.subarray(HEADER_BYTES + count * 4) };
  return table;
}

function glyphIndex(t: GlyphTable, codePoint: number): number {
  let lo = 0;
  let hi = t.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const found = t.codePoints[mid]!;
    if (found === codePoint) return mid;
    if (found < codePoint) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The text as one line of 24-dot glyphs, or null when a character is not in the table (or the
 * line would be wider than maxWidth dots): then the caller prints the romanised name alone.
 */
export function rasterizeLine(text: string, maxWidth = Infinity): Raster | null {
  const t = loadTable();
  const chars = [...text.trim()];
  if (chars.length === 0) return null;
  const placed: { x: number; index: number }[] = [];
  let width = 0;
  for (const ch of chars) {
    if (ch === ' ') {
      width += SPACE_WIDTH;
      continue;
    }
    const index = glyphIndex(t, ch.codePointAt(0)!);
    if (index < 0) return null;
    placed.push({ x: width, index });
    width += t.size;
  }
  if (width > maxWidth) return null;
  const height = t.size;
  const rowBytes = t.size / 8;
  const bits = new Uint8Array(width * height);
  for (const { x, index } of placed) {
    const offset = index * rowBytes * t.size;
    for (let row = 0; row < t.size; row++) {
      for (let col = 0; col < t.size; col++) {
        if (t.bitmaps[offset + row * rowBytes + (col >> 3)]! & (0x80 >> (col & 7))) bits[row * width + x + col] = 1;
      }
    }
  }
  return { width, height, bits };
}

/** An 8-bit greyscale PNG holding only black and white, as receiptline's `{i:…}` image takes. */
export function pngBase64(raster: Raster): string {
  const png = new PNG({ width: raster.width, height: raster.height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(raster.bits.map((bit) => (bit ? 0 : 255)));
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false }).toString('base64');
}
