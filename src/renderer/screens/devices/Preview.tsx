import { useState } from 'react';
import type { DocumentPreview } from '../../../shared/devices-contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad } from '../../common/hooks';

function svgUrl(svg: string): string {
  // The screens' policy allows images from data: URLs only, so the preview travels as one.
  return `data:image/svg+xml;base64,${btoa(String.fromCharCode(...new TextEncoder().encode(svg)))}`;
}

export function PreviewImage({ preview, label }: { preview: DocumentPreview; label: string }) {
  return <img className="print-preview" src={svgUrl(preview.svg)} alt={preview.text} title={label} data-testid="print-preview" />;
}

/** Under an issued ticket at reception: what was printed, and a way to print it again. */
export function TicketPrintout({ ticketId }: { ticketId: string }) {
  const api = useApi();
  const preview = useLoad(() => api.call('printers.preview', { document: 'ticket', ticketId }), ticketId);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="ticket-printout">
      {preview.data && <PreviewImage preview={preview.data} label="Printed ticket" />}
      {preview.error && <ErrorMessage>{preview.error}</ErrorMessage>}
      <button
        type="button"
        className="btn btn-small"
        data-testid="reprint-ticket"
        onClick={() =>
          api.call('printers.print', { document: 'ticket', ticketId }).then(
            (job) => setMessage(`Sent to ${job.printerName}`),
            (e: unknown) => setMessage(errorMessage(e)),
          )
        }
      >
        Print again
      </button>
      {message && <span className="muted">{message}</span>}
    </div>
  );
}
