import type { ReactNode } from 'react';
import type { QueueStatus, Ticket } from '../../../shared/contract';
import { PendingMarker, PriorityBadge, StatusChip } from '../../common/components';
import { formatTime, formatWaited } from '../../common/format';

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

export function QueueRow({
  ticket,
  position,
  highlight,
  now,
  actions,
  panel,
  metaAction,
}: {
  ticket: Ticket;
  position?: number;
  highlight?: boolean;
  /** Given, the row says how long a waiting patient has waited since arriving. */
  now?: Date;
  /** A control at the end of the row (reception's Change). */
  actions?: ReactNode;
  /** Shown on a line of its own under the row, e.g. the open corrections. */
  panel?: ReactNode;
  /** A small control among the ticket's badges (the nurse's triage). */
  metaAction?: ReactNode;
}) {
  const finished = ticket.status === 'completed' || ticket.status === 'no_show' || ticket.status === 'cancelled';
  return (
    <li
      className={`queue-row status-${ticket.status} ${finished ? 'queue-row-finished' : ''} ${highlight ? 'queue-row-new' : ''} ${actions ? 'queue-row-with-actions' : ''}`}
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
          {ticket.skipped && ticket.status === 'waiting' && (
            <span className="badge badge-quiet" title="Did not answer when called: called after everyone who was waiting then">
              Skipped, back of the line
            </span>
          )}
          {ticket.recallCount > 0 && <span className="badge badge-quiet">Recalled ×{ticket.recallCount}</span>}
          {ticket.doctorName && ticket.status === 'waiting' && <span className="badge badge-quiet">For {ticket.doctorName}</span>}
          {ticket.cancelReason && ticket.status === 'cancelled' && <span className="queue-reason">{ticket.cancelReason}</span>}
          {ticket.pending && <PendingMarker what="ticket" />}
          {metaAction}
        </span>
      </span>
      <span className="queue-room">
        {ticket.roomName ?? (now && ticket.status === 'waiting' ? <span className="queue-waited">{formatWaited(ticket.issuedAt, now)}</span> : '')}
      </span>
      <StatusChip status={ticket.status} />
      {actions && <div className="queue-row-actions">{actions}</div>}
      {panel && <div className="queue-row-panel">{panel}</div>}
    </li>
  );
}
