import type { Ticket } from '../../shared/contract';
import type { QueuePriority } from '../../shared/queue-order';
import type { StationSchema } from '../schema';

/** A ticket row as the shared call order sees it. */
export function asCandidate(row: StationSchema['queue_tickets']) {
  return {
    row,
    ticketNumber: row.ticket_number,
    priority: row.priority as QueuePriority,
    status: row.status as Ticket['status'],
    doctorId: row.doctor_id,
    dueAt: row.due_at,
    queuedAt: row.queued_at,
    skipped: row.skipped_at !== null,
  };
}
