import type { AttentionItem } from '../../shared/contract';
import type { StationSchema } from '../schema';

const adviceByCode: Record<string, string> = {
  GC400: 'Correct the details and enter them again.',
  GC401: 'Sign in again, then enter it again.',
  GC403: 'Ask someone whose role allows this to do it.',
  GC404: 'The record no longer exists at the centre: check with the clinic manager.',
  GC409: 'Someone else got there first: check the current record before doing it again.',
  GC422: 'This looks like a station fault: tell IT, quoting the time.',
};

const whatByProcedure: Record<string, (args: Record<string, unknown>) => string> = {
  register_patient: (a) => `Registration of ${String(a.full_name ?? 'a patient')} (${String(a.nric_masked ?? '')})`,
  update_patient: (a) => `A change to the details of ${String(a.full_name ?? 'a patient')}`,
  issue_ticket: (a) => `Ticket ${String(a.ticket_number ?? '')}`,
  call_ticket: () => 'A call made while offline',
  recall_ticket: () => 'A recall',
  skip_ticket: () => 'A skip',
  no_show_ticket: () => 'A no-show',
  complete_ticket: () => 'A completed consultation',
  return_ticket: () => 'A ticket handed back to the queue',
  reinstate_ticket: () => 'A ticket put back in the queue',
  cancel_ticket: (a) => `Cancelling a ticket (${String(a.reason ?? '')})`,
  set_ticket_priority: () => 'A change of priority',
  assign_ticket: () => 'Assigning a ticket to a doctor',
  link_appointment: () => 'Linking a ticket to its appointment',
  set_setting: (a) => `The clinic setting ${String(a.key ?? '')}`,
};

/** Turns a refusal into something a receptionist can act on. */
export function describeRejection(row: StationSchema['rejections']): AttentionItem {
  const args = JSON.parse(row.args) as Record<string, unknown>;
  const what = whatByProcedure[row.procedure]?.(args) ?? row.procedure.replace(/_/g, ' ');
  return {
    id: row.id,
    what,
    reason: row.message,
    action: adviceByCode[row.code] ?? 'Check the record and try again; tell IT if it keeps happening.',
    at: row.created_at,
  };
}
