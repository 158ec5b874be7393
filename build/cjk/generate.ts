/**
 * Generates src/main/devices/cjk-glyphs.bin: a 24 × 24 one-bit bitmap of every hanzi in GB2312,
 * so receipts can print a Chinese name as a raster image on printers that have no Chinese font.
 *
 * Font: Droid Sans Fallback (DroidSansFallbackFull.ttf) from Debian's fonts-droid-fallback,
 * © Google / The Android Open Source Project, Apache License 2.0. The table holds rasterised
 * glyphs of that font and is redistributed under the same licence (see docs/devices.md).
 *
 * Run once, by hand, where the font is installed (CI does not need it):
 *   apt-get install -y fonts-droid-fallback
 *   npx tsx build/cjk/generate.ts [path/to/DroidSansFallbackFull.ttf]
 *
 * Format (all integers little-endian):
 *   0  "CJKG"      magic
 *   4  uint16      version (1)
 *   6  uint16      size in dots (24)
 *   8  uint32      glyph count n
 *   12 uint32[n]   code points, ascending (binary search)
 *   .. n × 72 B    bitmaps, 24 rows of 3 bytes, most significant bit leftmost, 1 = black
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import opentype from 'opentype.js';

export const GLYPH_SIZE = 24;
const ROW_BYTES = GLYPH_SIZE / 8;
const BITMAP_BYTES = ROW_BYTES * GLYPH_SIZE;
/** Vertical samples per pixel row; horizontal coverage is sampled at pixel centres. */
const SUPERSAMPLE = 4;
/** A pixel is black when at least this share of its vertical samples is inside the outline. */
const THRESHOLD = 2 / SUPERSAMPLE;
const CURVE_STEPS = 8;

type Point = readonly [number, number];
type Edge = { x0: number; y0: number; x1: number; y1: number; dir: 1 | -1 };

/** Every hanzi of GB2312 (rows 0xB0–0xF7), decoded through GB18030, in byte order, no duplicates. */
export function gb2312Hanzi(): string[] {
  const decoder = new TextDecoder('gb18030', { fatal: true });
  const seen = new Set<string>();
  for (let lead = 0xb0; lead <= 0xf7; lead++) {
    for (let trail = 0xa1; trail <= 0xfe; trail++) {
      let text: string;
      try {
        text = decoder.decode(Uint8Array.of(lead, trail));
      } catch {
        continue;
      }
      const cp = text.codePointAt(0);
      if ([...text].length !== 1 || cp === undefined || cp === 0xfffd || cp < 0x3400) continue;
      seen.add(text);
    }
  }
  return [...seen];
}

/** Flattens a glyph path (already in pixel space, y down) into closed polygons. */
function polygons(commands: opentype.PathCommand[]): Point[][] {
  const result: Point[][] = [];
  let current: Point[] = [];
  let start: Point = [0, 0];
  let pen: Point = [0, 0];
  const close = () => {
    if (current.length > 2) result.push(current);
    current = [];
  };
  for (const c of commands) {
    switch (c.type) {
      case 'M':
        close();
        start = pen = [c.x, c.y];
        current.push(pen);
        break;
      case 'L':
        pen = [c.x, c.y];
        current.push(pen);
        break;
      case 'Q':
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS;
          const u = 1 - t;
          current.push([u * u * pen[0] + 2 * u * t * c.x1 + t * t * c.x, u * u * pen[1] + 2 * u * t * c.y1 + t * t * c.y]);
        }
        pen = [c.x, c.y];
        break;
      case 'C':
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS;
          const u = 1 - t;
          const a = u * u * u;
          const b = 3 * u * u * t;
          const d = 3 * u * t * t;
          const e = t * t * t;
          current.push([a * pen[0] + b * c.x1 + d * c.x2 + e * c.x, a * pen[1] + b * c.y1 + d * c.y2 + e * c.y]);
        }
        pen = [c.x, c.y];
        break;
      case 'Z':
        pen = start;
        close();
        break;
    }
  }
  close();
  return result;
}

/** Nonzero-winding scanline fill: samples at pixel centres, SUPERSAMPLE rows per pixel row. */
export function rasterize(commands: opentype.PathCommand[]): Uint8Array {
  const edges: Edge[] = [];
  for (const poly of polygons(commands)) {
    for (let i = 0; i < poly.length; i++) {
      const [x0, y0] = poly[i]!;
      const [x1, y1] = poly[(i + 1) % poly.length]!;
      if (y0 === y1) continue;
      edges.push(y0 < y1 ? { x0, y0, x1, y1, dir: 1 } : { x0: x1, y0: y1, x1: x0, y1: y0, dir: -1 });
    }
  }
  const bitmap = new Uint8Array(BITMAP_BYTES);
  const coverage = new Float64Array(GLYPH_SIZE);
  for (let row = 0; row < GLYPH_SIZE; row++) {
    coverage.fill(0);
    for (let s = 0; s < SUPERSAMPLE; s++) {
      const y = row + (s + 0.5) / SUPERSAMPLE;
      const crossings: { x: number; dir: number }[] = [];
      for (const e of edges) {
        if (y < e.y0 || y >= e.y1) continue;
        crossings.push({ x: e.x0 + ((y - e.y0) / (e.y1 - e.y0)) * (e.x1 - e.x0), dir: e.dir });
      }
      crossings.sort((a, b) => a.x - b.x);
      for (let col = 0; col < GLYPH_SIZE; col++) {
        const x = col + 0.5;
        let winding = 0;
        for (const c of crossings) {
          if (c.x > x) break;
          winding += c.dir;
        }
        if (winding !== 0) coverage[col]! += 1 / SUPERSAMPLE;
      }
    }
    for (let col = 0; col < GLYPH_SIZE; col++) {
      if (coverage[col]! >= THRESHOLD) bitmap[row * ROW_BYTES + (col >> 3)]! |= 0x80 >> (col & 7);
    }
  }
  return bitmap;
}

function main(): void {
  const fontPath = process.argv[2] ?? '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf';
  const out = fileURLToPath(new URL('../../src/main/devices/cjk-glyphs.bin', import.meta.url));
  const file = readFileSync(fontPath);
  const font = opentype.parse(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
  // The em square is the 24-dot cell. The font's ascent/descent would push the ideographs against
  // the top edge, so the baseline is set to centre their combined ink box vertically instead.
  const hanzi = gb2312Hanzi()
    .map((ch) => ({ ch, glyph: font.charToGlyph(ch) }))
    .filter(({ glyph }) => glyph && glyph.index !== 0);
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const { glyph } of hanzi) {
    const box = glyph.getBoundingBox();
    if (box.y1 === box.y2) continue;
    yMin = Math.min(yMin, box.y1);
    yMax = Math.max(yMax, box.y2);
  }
  const scale = GLYPH_SIZE / font.unitsPerEm;
  const ascent = (GLYPH_SIZE / 2 + ((yMax + yMin) / 2) * scale) / GLYPH_SIZE;
  const baseline = GLYPH_SIZE * ascent;
  const glyphs: { cp: number; bits: Uint8Array }[] = [];
  for (const { ch, glyph } of hanzi) {
    const bits = rasterize(glyph.getPath(0, baseline, GLYPH_SIZE).commands);
    glyphs.push({ cp: ch.codePointAt(0)!, bits });
  }
  glyphs.sort((a, b) => a.cp - b.cp);
  const header = 12;
  const buffer = Buffer.alloc(header + glyphs.length * (4 + BITMAP_BYTES));
  buffer.write('CJKG', 0, 'latin1');
  buffer.writeUInt16LE(1, 4);
  buffer.writeUInt16LE(GLYPH_SIZE, 6);
  buffer.writeUInt32LE(glyphs.length, 8);
  glyphs.forEach((g, i) => {
    buffer.writeUInt32LE(g.cp, header + i * 4);
    buffer.set(g.bits, header + glyphs.length * 4 + i * BITMAP_BYTES);
  });
  writeFileSync(out, buffer);
  console.log(`${glyphs.length} glyphs, ${buffer.length} bytes → ${out} (ascent ${ascent.toFixed(3)})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
