import { useCallback, useEffect, useRef, useState, type MutableRefObject } from 'react';
import type { Appointment, Patient, Session, StationInfo, Ticket } from '../../../shared/contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage, PendingMarker, PriorityBadge } from '../../common/components';
import { Header } from '../../common/Header';
import { clinicDay } from '../../../shared/clinic-day';
import { genderLabel } from '../../../shared/patient';
import { formatPhone } from '../../../shared/phone';
import { formatDayMonthYear } from '../../../shared/sg-date';
import { ageAt, ageText, ELDERLY_AGE, formatTime } from '../../common/format';
import { useApi, useLoad, useNow, useStationEvent } from '../../common/hooks';
import { useToast } from '../../common/toasts';
import { Appointments } from '../appointments/Appointments';
import { PatientSearch } from '../patients/PatientSearch';
import { QueueRow, QueueSummary } from '../queue/QueueList';
import { TicketActions } from '../queue/TicketActions';
import { RegisterPatient } from '../patients/RegisterPatient';
import { TicketPrintout } from '../devices/Preview';

export function Reception({ station, session, onSignedOut }: { station: StationInfo; session: Session; onSignedOut: () => void }) {
  const api = useApi();
  const toast = useToast();
  const now = useNow(30_000);
  const today = clinicDay(now);
  const searchRef = useRef<HTMLInputElement>(null);

  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<Patient | null>(null);
  const [issued, setIssued] = useState<Ticket | null>(null);
  const [registering, setRegistering] = useState(false);
  const [changing, setChanging] = useState<string | null>(null);
  /** The selected patient's main action (issue the ticket, or check the appointment in), for F4. */
  const primaryAction = useRef<(() => void) | null>(null);

  // Work at the desk starts with finding the patient.
  useEffect(() => searchRef.current?.focus(), []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || document.querySelector('[aria-modal="true"]')) return;
      if (event.key === 'F2') {
        event.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      } else if (event.key === 'F3') {
        event.preventDefault();
        setRegistering(true);
      } else if (event.key === 'F4') {
        event.preventDefault();
        primaryAction.current?.();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const queue = useLoad(() => api.call('queue.today', {}));
  const appointments = useLoad(() => api.call('appointments.today', {}));
  const doctors = useLoad(() => api.call('clinic.doctors', {}));
  const reloadQueue = queue.reload;
  const reloadAppointments = appointments.reload;
  useStationEvent('queue.changed', () => {
    reloadQueue();
    reloadAppointments();
  });

  const onIssued = useCallback(
    (ticket: Ticket) => {
      setIssued(ticket);
      setSelected(null);
      setQuery('');
      toast.show('success', `Ticket ${ticket.ticketNumber} issued to ${ticket.patientName}.`);
      reloadQueue();
      reloadAppointments();
    },
    [toast, reloadQueue, reloadAppointments],
  );

  // The query clears on selection so the chosen patient's card, not a list of look-alikes, is what stays on screen.
  const select = (patient: Patient) => {
    setSelected(patient);
    setIssued(null);
    setQuery('');
  };

  const closeRegister = useCallback(() => setRegistering(false), []);
  // The station lists the queue in reception's order: with a doctor, then waiting in call order, then finished.
  const tickets = queue.data ?? [];
  const waitingPosition = new Map(tickets.filter((t) => t.status === 'waiting').map((t, i) => [t.id, i + 1]));
  const openAppointment = (patientId: string): Appointment | undefined =>
    appointments.data?.find((a) => a.patientId === patientId && (a.status === 'scheduled' || a.status === 'confirmed'));

  return (
    <div className="app">
      <Header station={station} session={session} onSignedOut={onSignedOut} />
      <main className="reception">
        <h1 className="visually-hidden">{session.role === 'nurse' ? 'Nurse station' : 'Reception desk'}</h1>
        <section className="column column-left" aria-label="Patients">
          <div className="card card-desk">
            <PatientSearch
              query={query}
              onQueryChange={setQuery}
              selectedId={selected?.id ?? null}
              onSelect={select}
              today={today}
              inputRef={searchRef}
              action={
                <button type="button" className="btn btn-secondary" onClick={() => setRegistering(true)} data-testid="register-open">
                  + Register patient
                </button>
              }
            />
            {selected && (
              <SelectedPatient
                key={selected.id}
                patient={selected}
                appointment={openAppointment(selected.id)}
                today={today}
                primaryAction={primaryAction}
                onIssued={onIssued}
                onClear={() => {
                  setSelected(null);
                  searchRef.current?.focus();
                }}
              />
            )}
            {!selected && issued && (
              <IssuedTicket
                ticket={issued}
                onDone={() => {
                  setIssued(null);
                  searchRef.current?.focus();
                }}
              />
            )}
            {!selected && !issued && !query.trim() && (
              <p className="hint">Search for the patient, or register a new one, then issue a queue ticket.</p>
            )}
            <p className="shortcuts" data-testid="reception-shortcuts">
              Keyboard: <kbd>F2</kbd> search · <kbd>F3</kbd> register · <kbd>F4</kbd> issue the ticket or check in
            </p>
          </div>

          <Appointments appointments={appointments.data} tickets={tickets} error={appointments.error} onIssued={onIssued} />
        </section>

        <section className="column column-right card" aria-labelledby="queue-title">
          <div className="card-head">
            <h2 id="queue-title">Today’s queue</h2>
            {queue.data && <QueueSummary tickets={queue.data} />}
          </div>
          <ErrorMessage testId="queue-error">{queue.error && `Could not load the queue: ${queue.error}`}</ErrorMessage>
          {queue.loading && <p className="empty">Loading the queue…</p>}
          {queue.data && tickets.length === 0 && <p className="empty">No tickets yet today.</p>}
          <p className="muted small">Waiting patients in the order they will be called. Choose Change to correct a ticket.</p>
          <ol className="queue-list">
            {tickets.map((ticket) => {
              const changeable = ticket.status !== 'completed';
              const open = changing === ticket.id;
              return (
                <QueueRow
                  key={ticket.id}
                  ticket={ticket}
                  now={now}
                  position={waitingPosition.get(ticket.id)}
                  highlight={ticket.id === issued?.id}
                  actions={
                    changeable && (
                      <button
                        type="button"
                        className="btn btn-quiet btn-small"
                        onClick={() => setChanging(open ? null : ticket.id)}
                        aria-expanded={open}
                        aria-label={`${open ? 'Close changes to' : 'Change'} ticket ${ticket.ticketNumber}`}
                        data-testid="ticket-change"
                      >
                        {open ? 'Close' : 'Change'}
                      </button>
                    )
                  }
                  metaAction={session.role === 'nurse' && ticket.status === 'waiting' && <TriageButton ticket={ticket} />}
                  panel={open && <TicketActions ticket={ticket} doctors={doctors.data ?? []} onClose={() => setChanging(null)} />}
                />
              );
            })}
          </ol>
        </section>
      </main>

      {registering && (
        <RegisterPatient
          today={today}
          onClose={closeRegister}
          onRegistered={(patient) => {
            setRegistering(false);
            select(patient);
            toast.show('success', `${patient.fullName} is registered.`);
          }}
          onFindExisting={(nricTail) => {
            setRegistering(false);
            setSelected(null);
            setIssued(null);
            setQuery(nricTail);
            searchRef.current?.focus();
          }}
        />
      )}
    </div>
  );
}

/** The nurse's triage in one press: urgent goes first, and back to the automatic band when it is not. */
function TriageButton({ ticket }: { ticket: Ticket }) {
  const api = useApi();
  const toast = useToast();
  const urgent = ticket.priority === 2;
  const [busy, setBusy] = useState(false);
  async function toggle() {
    setBusy(true);
    try {
      const age = ticket.patientAge;
      const changed = await api.call('queue.setPriority', { ticketId: ticket.id, priority: urgent ? (age >= ELDERLY_AGE ? 1 : 0) : 2 });
      toast.show('success', changed.priority === 2 ? `${ticket.ticketNumber} is urgent: called first.` : `${ticket.ticketNumber} is no longer urgent.`);
    } catch (e) {
      toast.show('error', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <button
      type="button"
      className={`btn btn-small btn-triage ${urgent ? 'btn-quiet' : 'btn-danger'}`}
      onClick={() => void toggle()}
      disabled={busy}
      aria-label={urgent ? `${ticket.ticketNumber} is not urgent` : `Mark ${ticket.ticketNumber} urgent`}
      data-testid="triage-urgent"
    >
      {urgent ? 'Not urgent' : 'Mark urgent'}
    </button>
  );
}

function SelectedPatient({
  patient,
  appointment,
  today,
  primaryAction,
  onIssued,
  onClear,
}: {
  patient: Patient;
  /** The patient's appointment today not yet checked in: reception checks it in rather than issue a walk-in. */
  appointment: Appointment | undefined;
  today: string;
  primaryAction: MutableRefObject<(() => void) | null>;
  onIssued: (ticket: Ticket) => void;
  onClear: () => void;
}) {
  const api = useApi();
  const [urgent, setUrgent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const age = ageAt(patient.dateOfBirth, today);
  const elderly = age !== null && age >= ELDERLY_AGE;

  const now = useNow(30_000);
  const checkInOpen = appointment ? now.getTime() >= Date.parse(appointment.checkInOpensAt) : false;

  useEffect(() => {
    primaryAction.current = () => {
      if (!busy && (!appointment || checkInOpen)) void issue(appointment ? 'appointment' : 'walk_in');
    };
    return () => {
      primaryAction.current = null;
    };
  });

  async function issue(how: 'walk_in' | 'appointment') {
    setBusy(true);
    setError(null);
    try {
      onIssued(
        await api.call(
          'queue.issueTicket',
          how === 'appointment' && appointment
            ? { patientId: patient.id, urgent, appointmentId: appointment.id }
            : { patientId: patient.id, urgent },
        ),
      );
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <div className="selected" data-testid="selected-patient">
      <div className="selected-info">
        <div className="selected-name">
          {patient.fullName}
          {patient.nativeName && <span className="selected-native">{patient.nativeName}</span>}
          {elderly && (
            <span className="badge badge-elderly" title="Patients aged 80 and over are seen first automatically">
              80+ priority, automatic
            </span>
          )}
        </div>
        <dl className="facts">
          <div>
            <dt>NRIC/FIN</dt>
            <dd className="mono">{patient.nricMasked}</dd>
          </div>
          <div>
            <dt>Age</dt>
            <dd data-testid="selected-age">{ageText(patient.dateOfBirth, today) ?? '?'}</dd>
          </div>
          <div>
            <dt>Gender</dt>
            <dd data-testid="selected-gender">{genderLabel(patient.gender)}</dd>
          </div>
          <div>
            <dt>Born</dt>
            <dd data-testid="selected-dob">{formatDayMonthYear(patient.dateOfBirth)}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd data-testid="selected-phone">{patient.phone ? formatPhone(patient.phone) : '—'}</dd>
          </div>
        </dl>
        {patient.pending && <PendingMarker what="registration" />}
      </div>
      <div className="selected-actions">
        <label className={`toggle ${urgent ? 'toggle-on' : ''}`}>
          <input type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} data-testid="urgent-toggle" />
          <span>Urgent</span>
        </label>
        <span className="spacer" />
        <button type="button" className="btn btn-quiet" onClick={onClear}>
          Clear
        </button>
        {appointment ? (
          <>
            <button type="button" className="btn btn-secondary" onClick={() => void issue('walk_in')} disabled={busy} data-testid="issue-ticket">
              Walk-in ticket instead
            </button>
            <button
              type="button"
              className="btn btn-primary btn-xl"
              onClick={() => void issue('appointment')}
              disabled={busy || !checkInOpen}
              data-testid="check-in-selected"
            >
              {busy ? 'Checking in…' : checkInOpen ? `Check in ${formatTime(appointment.startsAt)} appointment` : `Check-in from ${formatTime(appointment.checkInOpensAt)}`}
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-primary btn-xl" onClick={() => void issue('walk_in')} disabled={busy} data-testid="issue-ticket">
            {busy ? 'Issuing…' : 'Issue ticket'}
          </button>
        )}
      </div>
      {appointment && (
        <p className="notice" data-testid="appointment-offer">
          {patient.fullName} has an appointment today at {formatTime(appointment.startsAt)} with {appointment.doctorName}.{' '}
          {checkInOpen
            ? 'Check the appointment in so the ticket is linked to it.'
            : `Check-in opens at ${formatTime(appointment.checkInOpensAt)}; a walk-in ticket now is linked to the appointment when it is checked in.`}
        </p>
      )}
      <ErrorMessage testId="issue-error">{error}</ErrorMessage>
    </div>
  );
}

function IssuedTicket({ ticket, onDone }: { ticket: Ticket; onDone: () => void }) {
  return (
    <div className="issued" role="status">
      <div className="issued-label">Ticket for {ticket.patientName}</div>
      <div className="issued-number" data-testid="issued-ticket-number">
        {ticket.ticketNumber}
      </div>
      <div className="issued-meta">
        <PriorityBadge priority={ticket.priority} />
        {ticket.kind === 'appointment' && <span className="badge badge-appointment">Appointment</span>}
        {ticket.pending && <PendingMarker what="ticket" />}
      </div>
      <TicketPrintout ticketId={ticket.id} />
      <button type="button" className="btn btn-secondary" onClick={onDone}>
        Next patient
      </button>
    </div>
  );
}
