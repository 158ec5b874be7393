import type { Ticket } from '../../shared/contract';
import type { Handlers } from '../handlers';
import type { QueueService } from './service';

type QueueMethod = 'queue.issueTicket' | 'queue.today' | 'queue.mine' | 'queue.callNext' | 'queue.recall' | 'queue.skip' | 'queue.noShow' | 'queue.complete';

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
  };
}
