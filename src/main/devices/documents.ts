import type { PaperWidth, PrinterEncoding } from '../../shared/devices-contract';
import { ApiError } from '../../shared/contract';
import { compareForCall } from '../../shared/queue-order';
import { charactersPerLine, estimateWaitMinutes, receiptMarkup, ticketMarkup, type ReceiptDocument } from '../../shared/receipt';
import type { Cache } from '../cache/cache';
import { asCandidate } from '../queue/candidate';
import type { StationSchema } from '../schema';
import { pngBase64, rasterizeLine } from './cjk-raster';
import type { RenderOptions } from './encoder';

/** The documents a station prints, made from the records in its cache. */

export interface DocumentSource {
  cache: Cache;
  clinic: () => { id: string; name: string };
  now: () => Date;
}

type PaperSettings = Pick<StationSchema['printers'], 'paper_width' | 'encoding'>;

export function ticketDocument(source: DocumentSource, ticketId: string): { title: string; markup: string } {
  const clinic = source.clinic();
  const ticket = source.cache.get(source.cache.q.selectFrom('queue_tickets').selectAll().where('id', '=', ticketId));
  if (!ticket) throw new ApiError('not_found', 'That ticket is not in today’s queue.');
  const now = source.now().toISOString();
  const waiting = source.cache.all(
    source.cache.q.selectFrom('queue_tickets').selectAll().where('service_date', '=', ticket.service_date).where('status', '=', 'waiting').where('id', '!=', ticket.id),
  );
  const peopleAhead = waiting.filter((other) => compareForCall(asCandidate(other), asCandidate(ticket), now) < 0).length;
  const rooms = source.cache.all(source.cache.q.selectFrom('rooms').select('id').where('clinic_id', '=', clinic.id).where('is_active', '=', 1)).length;
  const markup = ticketMarkup({
    ticketNumber: ticket.ticket_number,
    clinicName: clinic.name,
    issuedAt: ticket.issued_at,
    peopleAhead,
    estimatedWaitMinutes: estimateWaitMinutes(peopleAhead, rooms),
  });
  return { title: `Ticket ${ticket.ticket_number}`, markup };
}

/** Billing fills the receipt later; until then the layout is shown and tested with this example. */
export function sampleReceipt(source: DocumentSource): ReceiptDocument {
  const clinic = source.clinic();
  const row = source.cache.get(source.cache.q.selectFrom('clinics').select(['address', 'gst_reg_no']).where('id', '=', clinic.id));
  return {
    clinic: { name: clinic.name, address: row?.address ?? null, gstRegNo: row?.gst_reg_no ?? null },
    receiptNumber: 'SAMPLE-000001',
    issuedAt: source.now().toISOString(),
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

export function renderOptions(row: PaperSettings): RenderOptions {
  return { paperWidth: row.paper_width as PaperWidth, encoding: row.encoding as PrinterEncoding };
}

/**
 * A printer with a Chinese font (gb18030) prints the native name as text; one without gets it as an
 * image from the glyph table, or the romanised name alone when a character is not in the table or
 * the name is wider than the paper (12 dots a character).
 */
export function receiptMarkupFor(receipt: ReceiptDocument, row: PaperSettings): string {
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
