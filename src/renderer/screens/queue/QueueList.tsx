import type { QueueStatus, Ticket } from '../../../shared/contract';
import { PendingMarker, PriorityBadge, StatusChip } from '../../common/components';
import { formatTime } from '../../common/format';

/** Who is with a doctor first, then who still waits, then the day's finished tickets. */
const statusRank: Record<QueueStatus, number> = {
  called: 0,
  waiting: 1,
  skipped: 2,
  completed: 3,
  no_show: 4,
  cancelled: 5,
};

export function sortForReception(tickets: Ticket[]): Ticket[] {
  return tickets
    .map((ticket, index) => ({ ticket, index }))
    .sort((a, b) => statusRank[a.ticket.status] - statusRank[b.ticket.status] || a.index - b.index)
    .map(({ ticket }) => ticket);
}

export function QueueSummary({ tickets }: { tickets: Ticket[] }) {
  const count = (statuses: QueueStatus[]) => tickets.filter((t) => statuses.includes(t.status)).length;
  return (
    <div className="queue-summary">
      <span>
        <strong>{count(['waiting', 'skipped'])}</strong> waiting
      </span>
      <span>
        <strong>{count(['called'])}</strong> with doctor
      </span>
      <span>
        <strong>{count(['completed'])}</strong> done
      </span>
    </div>
  );
}

export function QueueRow({ ticket, position, highlight }: { ticket: Ticket; position?: number; highlight?: boolean }) {
  const finished = ticket.status === 'completed' || ticket.status === 'no_show' || ticket.status === 'cancelled';
  return (
    <li
      className={`queue-row status-${ticket.status} ${finished ? 'queue-row-finished' : ''} ${highlight ? 'queue-row-new' : ''}`}
      data-testid="queue-row"
      data-ticket-number={ticket.ticketNumber}
      data-status={ticket.status}
    >
      {position !== undefined && <span className="queue-position">{position}</span>}
      <span className="queue-number">{ticket.ticketNumber}</span>
      <span className="queue-patient">
        <span className="queue-name">{ticket.patientName}</span>
        <span className="queue-meta">
          {ticket.patientAge} yrs
          {ticket.kind === 'appointment' && (
            <span className="badge badge-appointment">Appt{ticket.dueAt ? ` ${formatTime(ticket.dueAt)}` : ''}</span>
          )}
          <PriorityBadge priority={ticket.priority} />
          {ticket.recallCount > 0 && <span className="badge badge-quiet">Recalled ×{ticket.recallCount}</span>}
          {ticket.pending && <PendingMarker what="ticket" />}
        </span>
      </span>
      <span className="queue-room">{ticket.roomName ?? ''}</span>
      <StatusChip status={ticket.status} />
    </li>
  );
}
