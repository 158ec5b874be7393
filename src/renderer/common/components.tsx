import type { ReactNode } from 'react';
import type { QueueStatus, Ticket } from '../../shared/contract';
import { priorityLabel, statusLabels } from './format';

/** A status is never colour alone: every chip carries its word. */
export function StatusChip({ status }: { status: QueueStatus }) {
  return <span className={`chip chip-${status}`}>{statusLabels[status]}</span>;
}

export function PriorityBadge({ priority }: { priority: Ticket['priority'] }) {
  const label = priorityLabel(priority);
  if (!label) return null;
  return (
    <span className={`badge ${priority === 2 ? 'badge-urgent' : 'badge-elderly'}`} title={priority === 2 ? 'Urgent' : 'Aged 80 and over'}>
      {label}
    </span>
  );
}

export function PendingMarker({ what }: { what: string }) {
  return (
    <span className="pending-marker" title={`This ${what} is saved on this station and waits to reach the central database.`}>
      <span aria-hidden="true">⟳</span> Not yet synced
    </span>
  );
}

export function ErrorMessage({ children, testId }: { children: ReactNode; testId?: string }) {
  if (!children) return null;
  return (
    <div className="error-message" role="alert" data-testid={testId}>
      {children}
    </div>
  );
}
