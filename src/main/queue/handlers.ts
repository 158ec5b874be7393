import type { Ticket } from '../../shared/contract';
import type { Handlers } from '../handlers';
import type { QueueService } from './service';

type QueueMethod =
  | 'queue.issueTicket'
  | 'queue.today'
  | 'queue.mine'
  | 'queue.callNext'
  | 'queue.recall'
  | 'queue.skip'
  | 'queue.noShow'
  | 'queue.complete'
  | 'queue.cancel'
  | 'queue.setPriority'
  | 'queue.assign'
  | 'queue.returnToQueue'
  | 'queue.reinstate'
  | 'clinic.doctors'
  | 'queue.checkInWindow'
  | 'queue.setCheckInWindow';

/** `onIssued` prints the new ticket at the desk; it answers with the ticket it was given. */
export function queueHandlers(queue: QueueService, onIssued: (ticket: Ticket) => Ticket): Handlers<QueueMethod> {
  return {
    'queue.issueTicket': async (input) => onIssued(await queue.issueTicket(input)),
    'queue.today': () => queue.today(),
    'queue.mine': () => queue.mine(),
    'queue.callNext': () => queue.callNext(),
    'queue.recall': (input) => queue.change('recall', input.ticketId),
    'queue.skip': (input) => queue.change('skip', input.ticketId),
    'queue.noShow': (input) => queue.change('no_show', input.ticketId),
    'queue.complete': (input) => queue.change('complete', input.ticketId),
    'queue.cancel': (input) => queue.cancel(input.ticketId, input.reason),
    'queue.setPriority': (input) => queue.setPriority(input.ticketId, input.priority),
    'queue.assign': (input) => queue.assign(input.ticketId, input.doctorId),
    'queue.returnToQueue': (input) => queue.returnToQueue(input.ticketId),
    'queue.reinstate': (input) => queue.reinstate(input.ticketId),
    'clinic.doctors': () => queue.doctors(),
    'queue.checkInWindow': () => queue.checkInWindow(),
    'queue.setCheckInWindow': (input) => queue.setCheckInWindow(input.minutes),
  };
}
