import { useState } from 'react';
import type { Ticket } from '../../../shared/contract';
import { errorMessage } from '../../common/api';
import { useApi } from '../../common/hooks';
import { useToast } from '../../common/toasts';

type Doctor = { id: string; fullName: string };

const PRIORITIES: { value: Ticket['priority']; label: string }[] = [
  { value: 0, label: 'Normal' },
  { value: 1, label: '80+' },
  { value: 2, label: 'Urgent' },
];

const CANCEL_REASONS = ['Left before being seen', 'Issued by mistake', 'Will come back another day'];

/**
 * Reception's corrections of one ticket, opened from its row: what can be changed depends on where the ticket is
 * (waiting, with a doctor, or finished as a no-show or cancelled).
 */
export function TicketActions({ ticket, doctors, onClose }: { ticket: Ticket; doctors: Doctor[]; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');

  async function run(work: () => Promise<Ticket>, done: (t: Ticket) => string) {
    setBusy(true);
    setError(null);
    try {
      const changed = await work();
      toast.show('success', done(changed));
      onClose();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  const ref = { ticketId: ticket.id };
  const n = ticket.ticketNumber;
  return (
    <div className="ticket-actions" role="group" aria-label={`Change ticket ${n}`} data-testid="ticket-actions">
      {ticket.status === 'waiting' && !cancelling && (
        <>
          <div className="ticket-actions-field">
            <span className="ticket-actions-label" id={`priority-${ticket.id}`}>
              Priority
            </span>
            <div className="segmented" role="radiogroup" aria-labelledby={`priority-${ticket.id}`}>
              {PRIORITIES.map((p) => (
                <button
                  key={p.value}
                  type="button"
                  role="radio"
                  aria-checked={ticket.priority === p.value && !ticket.skipped}
                  className={`segment ${ticket.priority === p.value && !ticket.skipped ? 'segment-on' : ''}`}
                  disabled={busy}
                  onClick={() => void run(() => api.call('queue.setPriority', { ...ref, priority: p.value }), (t) => `${n} is now ${PRIORITIES[t.priority]!.label.toLowerCase()} priority.`)}
                  data-testid={`priority-${p.value}`}
                >
                  {p.label}
                </button>
              ))}
            </div>
          </div>
          <label className="ticket-actions-field">
            <span className="ticket-actions-label">Doctor</span>
            <select
              value={ticket.doctorId ?? ''}
              disabled={busy}
              onChange={(e) => {
                const doctorId = e.target.value || null;
                void run(() => api.call('queue.assign', { ...ref, doctorId }), (t) => (t.doctorName ? `${n} now waits for ${t.doctorName}.` : `${n} now waits for any doctor.`));
              }}
              data-testid="assign-doctor"
            >
              <option value="">Any doctor</option>
              {doctors.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.fullName}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      {ticket.status === 'called' && !cancelling && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={busy}
          onClick={() => void run(() => api.call('queue.returnToQueue', ref), () => `${n} is back in the queue, in the place it had.`)}
          data-testid="return-to-queue"
        >
          Back to the queue
        </button>
      )}
      {(ticket.status === 'no_show' || ticket.status === 'cancelled') && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={busy}
          onClick={() => void run(() => api.call('queue.reinstate', ref), () => `${n} is back in the queue, at the end of the line.`)}
          data-testid="reinstate"
        >
          Put back in the queue
        </button>
      )}
      {(ticket.status === 'waiting' || ticket.status === 'called') &&
        (cancelling ? (
          <form
            className="ticket-cancel"
            onSubmit={(e) => {
              e.preventDefault();
              void run(() => api.call('queue.cancel', { ...ref, reason }), () => `${n} is cancelled.`);
            }}
          >
            <label className="ticket-actions-field">
              <span className="ticket-actions-label">Why is {n} cancelled?</span>
              <input
                list={`cancel-reasons-${ticket.id}`}
                value={reason}
                maxLength={200}
                onChange={(e) => setReason(e.target.value)}
                autoFocus
                data-testid="cancel-reason"
              />
              <datalist id={`cancel-reasons-${ticket.id}`}>
                {CANCEL_REASONS.map((r) => (
                  <option key={r} value={r} />
                ))}
              </datalist>
            </label>
            <div className="ticket-cancel-quick">
              {CANCEL_REASONS.map((r) => (
                <button key={r} type="button" className="btn btn-quiet btn-small" onClick={() => setReason(r)}>
                  {r}
                </button>
              ))}
            </div>
            <div className="ticket-actions-buttons">
              <button type="button" className="btn btn-quiet" onClick={() => setCancelling(false)} disabled={busy}>
                Keep the ticket
              </button>
              <button type="submit" className="btn btn-danger" disabled={busy || !reason.trim()} data-testid="cancel-confirm">
                Cancel {n}
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="btn btn-quiet btn-danger-quiet" disabled={busy} onClick={() => setCancelling(true)} data-testid="cancel-ticket">
            Cancel ticket…
          </button>
        ))}
      {error && (
        <p className="error-message ticket-actions-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
