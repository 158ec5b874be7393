import { useState } from 'react';
import type { Appointment, Ticket } from '../../../shared/contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { formatTime } from '../../common/format';
import { useApi, useNow } from '../../common/hooks';
import { CheckInWindow } from './CheckInWindow';

export function Appointments({
  appointments,
  tickets,
  error,
  onIssued,
}: {
  appointments: Appointment[] | undefined;
  /** Today's queue: a patient who already waits with a walk-in ticket has it linked, not a second one. */
  tickets: Ticket[];
  error: string | null;
  onIssued: (ticket: Ticket) => void;
}) {
  return (
    <div className="card card-appointments">
      <div className="card-head">
        <h2>Today’s appointments</h2>
        {appointments && <span className="muted">{appointments.length} booked</span>}
      </div>
      <CheckInWindow />
      <ErrorMessage testId="appointments-error">{error && `Could not load appointments: ${error}`}</ErrorMessage>
      {appointments && appointments.length === 0 && <p className="empty">No appointments today.</p>}
      <ul className="appointment-list">
        {appointments?.map((appointment) => (
          <AppointmentRow
            key={appointment.id}
            appointment={appointment}
            walkIn={tickets.find((t) => t.patientId === appointment.patientId && t.kind === 'walk_in' && (t.status === 'waiting' || t.status === 'called'))}
            onIssued={onIssued}
          />
        ))}
      </ul>
    </div>
  );
}

/** Statuses after which checking in again makes no sense, with the words shown for them. */
const SETTLED: Record<string, string> = {
  checked_in: 'Checked in',
  in_consultation: 'With doctor',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

function AppointmentRow({
  appointment,
  walkIn,
  onIssued,
}: {
  appointment: Appointment;
  walkIn: Ticket | undefined;
  onIssued: (ticket: Ticket) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const settled = SETTLED[appointment.status];
  const now = useNow(30_000);
  // Linking a walk-in does not move it ahead before the appointment's time, so it needs no window.
  const early = !walkIn && now.getTime() < Date.parse(appointment.checkInOpensAt);

  async function checkIn() {
    setBusy(true);
    setError(null);
    try {
      onIssued(
        await api.call('queue.issueTicket', { patientId: appointment.patientId, appointmentId: appointment.id, urgent: false }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="appointment" data-testid="appointment-row" data-status={appointment.status}>
      <span className="appointment-time">{formatTime(appointment.startsAt)}</span>
      <span className="appointment-who">
        <span className="appointment-name">{appointment.patientName}</span>
        <span className="appointment-meta">
          <span className="mono">{appointment.nricMasked}</span> · {appointment.doctorName}
        </span>
      </span>
      {settled ? (
        <span className={`appointment-status appointment-${appointment.status}`}>{settled}</span>
      ) : (
        <button
          type="button"
          className="btn btn-secondary"
          onClick={checkIn}
          disabled={busy || early}
          title={
            walkIn
              ? `The patient already waits with walk-in ticket ${walkIn.ticketNumber}: it becomes this appointment's ticket.`
              : early
                ? `Check-in opens at ${formatTime(appointment.checkInOpensAt)}`
                : undefined
          }
          data-testid="check-in"
        >
          {busy ? 'Checking in…' : walkIn ? `Link ${walkIn.ticketNumber}` : early ? `From ${formatTime(appointment.checkInOpensAt)}` : 'Check in'}
        </button>
      )}
      {error && (
        <div className="appointment-error error-message" role="alert">
          {error}
        </div>
      )}
    </li>
  );
}
