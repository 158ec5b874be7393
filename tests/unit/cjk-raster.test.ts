import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { renderBytes, renderPreview, type RenderOptions } from '../../src/main/devices/encoder';
import { pngBase64, rasterizeLine } from '../../src/main/devices/cjk-raster';
import { receiptMarkup, type ReceiptDocument } from '../../src/shared/receipt';

const receipt: ReceiptDocument = {
  clinic: { name: 'Gabriel Family Clinic (Bedok)', address: null, gstRegNo: null },
  receiptNumber: 'BDK-000124',
  issuedAt: '2025-03-03T02:00:00Z',
  patient: { fullName: 'Tan Wei Ming', nativeName: '陈伟明', nric: 'S1234567D' },
  lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: 3500 }],
  subsidy: null,
  paidCents: 3500,
  paymentMethod: 'NETS',
};
const cp437: RenderOptions = { paperWidth: 58, encoding: 'cp437' };
/** 陈伟明 in GB18030, which a printer without a Chinese font would print as garbage. */
const GB18030_NAME = Buffer.from([0xb3, 0xc2, 0xce, 0xb0, 0xc3, 0xf7]);

describe('Chinese names as images (printers without a Chinese font)', () => {
  it('draws 陈伟明 as three 24 × 24 glyphs', () => {
    const raster = rasterizeLine('陈伟明')!;
    expect(raster).not.toBeNull();
    expect(raster.width).toBe(72);
    expect(raster.height).toBe(24);
    expect(raster.bits.length).toBe(72 * 24);
    // Each glyph has ink, and none is a solid block.
    for (let g = 0; g < 3; g++) {
      let ink = 0;
      for (let y = 0; y < 24; y++) for (let x = 0; x < 24; x++) ink += raster.bits[y * 72 + g * 24 + x]!;
      expect(ink).toBeGreaterThan(40);
      expect(ink).toBeLessThan(400);
    }
  });

  it('gives null when a character is not in the table, so the romanised name prints alone', () => {
    expect(rasterizeLine('陈😀')).toBeNull();
    expect(rasterizeLine('Tan')).toBeNull();
    expect(rasterizeLine('')).toBeNull();
    // Wider than the paper allows.
    expect(rasterizeLine('陈伟明', 48)).toBeNull();
  });

  it('writes a black-and-white PNG of the raster', () => {
    const raster = rasterizeLine('陈伟明')!;
    const png = PNG.sync.read(Buffer.from(pngBase64(raster), 'base64'));
    expect([png.width, png.height]).toEqual([72, 24]);
    for (let i = 0; i < raster.bits.length; i++) {
      expect(png.data[i * 4]).toBe(raster.bits[i] ? 0 : 255);
      expect(png.data[i * 4 + 3]).toBe(255);
    }
  });

  it('a cp437 receipt prints the name as a GS v 0 raster image, not as GB18030 bytes, and the preview shows the same image', () => {
    const image = pngBase64(rasterizeLine('陈伟明')!);
    const markup = receiptMarkup(receipt, { cjk: false, nativeNameImage: image });
    const bytes = Buffer.from(renderBytes(markup, cp437));
    // GS v 0 m xL xH yL yH: 72 dots = 9 bytes a row, 24 rows.
    const at = bytes.indexOf(Buffer.from([0x1d, 0x76, 0x30]));
    expect(at).toBeGreaterThan(bytes.indexOf(Buffer.from('Tan Wei Ming')));
    expect([...bytes.subarray(at + 3, at + 8)]).toEqual([0, 9, 0, 24, 0]);
    const rows = bytes.subarray(at + 8, at + 8 + 9 * 24);
    const raster = rasterizeLine('陈伟明')!;
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 72; x++) expect((rows[y * 9 + (x >> 3)]! >> (7 - (x & 7))) & 1).toBe(raster.bits[y * 72 + x]);
    }
    expect(bytes.includes(GB18030_NAME)).toBe(false);
    expect(bytes.includes(Buffer.from([0x1c, 0x26]))).toBe(false);
    const svg = renderPreview(markup, cp437).svg;
    expect(svg).toContain(`<image href="data:image/png;base64,${image}" x="0" y="0" width="72" height="24"/>`);
  });

  it('the layout takes only base64 and places the image only for printers without a Chinese font', () => {
    expect(() => receiptMarkup(receipt, { cjk: false, nativeNameImage: 'x}{code:1' })).toThrow(RangeError);
    expect(receiptMarkup(receipt, { cjk: true, nativeNameImage: 'AAAA' })).not.toContain('{image:');
    expect(receiptMarkup({ ...receipt, patient: { ...receipt.patient, nativeName: null } }, { cjk: false, nativeNameImage: 'AAAA' })).not.toContain('{image:');
    expect(receiptMarkup(receipt, { cjk: false })).not.toContain('{image:');
  });
});
