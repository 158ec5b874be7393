import { useEffect, useRef, useState, type RefObject } from 'react';
import type { Session, StationInfo, Ticket } from '../../../shared/contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage, PendingMarker, PriorityBadge } from '../../common/components';
import { Header } from '../../common/Header';
import { formatTime } from '../../common/format';
import { useApi, useLoad, useStationEvent } from '../../common/hooks';
import { useToast } from '../../common/toasts';
import { QueueRow } from '../queue/QueueList';

type Action = 'callNext' | 'recall' | 'skip' | 'noShow' | 'complete';

const SHORTCUTS: Partial<Record<string, Action>> = { n: 'callNext', r: 'recall', c: 'complete' };

export function Consult({ station, session, onSignedOut }: { station: StationInfo; session: Session; onSignedOut: () => void }) {
  const api = useApi();
  const toast = useToast();
  const mine = useLoad(() => api.call('queue.mine', {}));
  const reload = mine.reload;
  useStationEvent('queue.changed', reload);

  const [busy, setBusy] = useState<Action | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const current = mine.data?.current ?? null;
  const waiting = mine.data?.waiting ?? [];

  /** Why each action cannot run now; null when it can. Shown beside the button, not only as a disabled state. */
  const blocked: Record<Action, string | null> = {
    callNext: !mine.data
      ? 'Loading the queue…'
      : current
        ? `Finish with ${current.ticketNumber} first: Complete, Skip or No-show.`
        : waiting.length === 0
          ? 'Nobody is waiting.'
          : null,
    recall: current ? null : 'No patient is called.',
    skip: current ? null : 'No patient is called.',
    noShow: current ? null : 'No patient is called.',
    complete: current ? null : 'No patient is called.',
  };

  async function run(action: Action) {
    if (busy || blocked[action]) return;
    setBusy(action);
    setError(null);
    setNotice(null);
    try {
      if (action === 'callNext') {
        const called = await api.call('queue.callNext', {});
        if (!called) setNotice('Nobody is waiting.');
      } else if (current) {
        const ref = { ticketId: current.id };
        const done =
          action === 'recall'
            ? await api.call('queue.recall', ref)
            : action === 'skip'
              ? await api.call('queue.skip', ref)
              : action === 'noShow'
                ? await api.call('queue.noShow', ref)
                : await api.call('queue.complete', ref);
        toast.show('success', action === 'skip' ? await whereSkippedWent(done) : doneMessage(action, done));
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
      reload();
    }
  }

  /** The doctor is told where the patient went, so nobody wonders whether the skip did anything. */
  async function whereSkippedWent(skipped: Ticket): Promise<string> {
    const after = await api.call('queue.mine', {});
    const place = after.waiting.findIndex((t) => t.id === skipped.id);
    if (place < 0) return `${skipped.ticketNumber} moved to the back of the line.`;
    return place === 0
      ? `${skipped.ticketNumber} moved to the back of the line: nobody else is waiting, so it is next.`
      : `${skipped.ticketNumber} moved to the back of the line: ${place === 1 ? '1 patient' : `${place} patients`} will be called before it.`;
  }

  // Focus goes to what the doctor does next, so Enter or Space presses it: finish with the patient in the room
  // (perhaps called before a sign-out), or call the next one.
  const callNextRef = useRef<HTMLButtonElement>(null);
  const completeRef = useRef<HTMLButtonElement>(null);
  const loaded = mine.data !== undefined;
  const withPatient = current !== null;
  useEffect(() => {
    if (loaded) (withPatient ? completeRef : callNextRef).current?.focus();
  }, [loaded, withPatient]);

  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      const action = SHORTCUTS[event.key.toLowerCase()];
      if (!action) return;
      event.preventDefault();
      void runRef.current(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const doctorName = session.doctor?.fullName ?? session.fullName;
  return (
    <div className="app">
      <Header station={station} session={session} onSignedOut={onSignedOut}>
        {station.room && <> · {station.room.name}</>}
      </Header>
      <main className="consult">
        <h1 className="visually-hidden">Consult room{station.room ? `, ${station.room.name}` : ''}</h1>
        <section className="column consult-main" aria-label="Current patient">
          <CurrentPatient ticket={current} next={waiting[0] ?? null} roomName={station.room?.name ?? null} doctorName={doctorName} />
          <div className="actions card">
            <div className="actions-primary">
              <ActionButton action="callNext" label="Call next" shortcut="N" testId="call-next" kind="primary" busy={busy} blocked={blocked} run={run} buttonRef={callNextRef} />
              <ActionButton action="recall" label="Recall" shortcut="R" testId="recall" busy={busy} blocked={blocked} run={run} />
              <ActionButton action="complete" label="Complete" shortcut="C" testId="complete" kind="success" busy={busy} blocked={blocked} run={run} buttonRef={completeRef} />
            </div>
            <div className="actions-secondary">
              <ActionButton action="skip" label="Skip (back of the line)" testId="skip" busy={busy} blocked={blocked} run={run} />
              <ActionButton action="noShow" label="No-show" testId="no-show" kind="danger" busy={busy} blocked={blocked} run={run} />
            </div>
            {blocked.callNext && mine.data && (
              <p className="action-reason" data-testid="call-next-reason">
                {blocked.callNext}
              </p>
            )}
            {notice && <p className="notice">{notice}</p>}
            <ErrorMessage testId="consult-error">{error}</ErrorMessage>
            <p className="shortcuts">
              Keyboard: <kbd>N</kbd> call next · <kbd>R</kbd> recall · <kbd>C</kbd> complete
            </p>
          </div>
        </section>

        <section className="column column-right card" aria-labelledby="waiting-title">
          <div className="card-head">
            <h2 id="waiting-title">Waiting for {station.room?.name ?? 'this room'}</h2>
            {mine.data && <span className="muted">{waiting.length === 1 ? '1 patient' : `${waiting.length} patients`}</span>}
          </div>
          <p className="muted small">In the order they will be called: urgent, then 80+, then due appointments, then first come; a skipped patient after everyone who was waiting.</p>
          <ErrorMessage testId="queue-error">{mine.error && `Could not load the queue: ${mine.error}`}</ErrorMessage>
          {mine.loading && <p className="empty">Loading the queue…</p>}
          {mine.data && waiting.length === 0 && <p className="empty">Nobody is waiting.</p>}
          <ol className="queue-list">
            {waiting.map((ticket, index) => (
              <QueueRow key={ticket.id} ticket={ticket} position={index + 1} />
            ))}
          </ol>
        </section>
      </main>
    </div>
  );
}

function doneMessage(action: Exclude<Action, 'callNext' | 'skip'>, ticket: Ticket): string {
  switch (action) {
    case 'recall':
      return `${ticket.ticketNumber} recalled to ${ticket.roomName ?? 'the room'}.`;
    case 'noShow':
      return `${ticket.ticketNumber} marked as no-show.`;
    case 'complete':
      return `${ticket.ticketNumber} completed.`;
  }
}

function ActionButton({
  action,
  label,
  shortcut,
  testId,
  kind,
  busy,
  blocked,
  run,
  buttonRef,
}: {
  buttonRef?: RefObject<HTMLButtonElement | null>;
  action: Action;
  label: string;
  shortcut?: string;
  testId: string;
  kind?: 'primary' | 'success' | 'danger';
  busy: Action | null;
  blocked: Record<Action, string | null>;
  run: (action: Action) => Promise<void>;
}) {
  const reason = blocked[action];
  return (
    <button
      ref={buttonRef}
      type="button"
      className={`btn btn-action ${kind ? `btn-${kind}` : 'btn-secondary'}`}
      disabled={busy !== null || reason !== null}
      title={reason ?? undefined}
      onClick={() => void run(action)}
      data-testid={testId}
    >
      {busy === action ? 'Working…' : label}
      {shortcut && <kbd>{shortcut}</kbd>}
    </button>
  );
}

function CurrentPatient({
  ticket,
  next,
  roomName,
  doctorName,
}: {
  ticket: Ticket | null;
  next: Ticket | null;
  roomName: string | null;
  doctorName: string;
}) {
  if (!ticket) {
    return (
      <div className="current card current-empty" data-testid="current-patient">
        <div className="current-label">No patient called</div>
        <p className="current-hint">
          {doctorName}
          {roomName ? `, ${roomName}` : ''}: press <strong>Call next</strong> when you are ready for the next patient.
        </p>
        {next && (
          <p className="current-next">
            Next up: <strong>{next.ticketNumber}</strong> {next.patientName}, {next.patientAge} years <PriorityBadge priority={next.priority} />
          </p>
        )}
      </div>
    );
  }
  return (
    <div className="current card" data-testid="current-patient" data-status={ticket.status}>
      <div className="current-label">Now seeing</div>
      <div className="current-body">
        <div className="current-number" data-testid="current-ticket-number">
          {ticket.ticketNumber}
        </div>
        <div className="current-who">
          <div className="current-name" data-testid="current-patient-name">
            {ticket.patientName}
          </div>
          <div className="current-meta">
            <span>{ticket.patientAge} years</span>
            <PriorityBadge priority={ticket.priority} />
            {ticket.kind === 'appointment' && (
              <span className="badge badge-appointment">Appointment{ticket.dueAt ? ` ${formatTime(ticket.dueAt)}` : ''}</span>
            )}
            {ticket.pending && <PendingMarker what="call" />}
          </div>
          <div className="current-called">
            {ticket.calledAt ? `Called at ${formatTime(ticket.calledAt)}` : 'Called'}
            {ticket.recallCount > 0 && ` · recalled ${ticket.recallCount === 1 ? 'once' : `${ticket.recallCount} times`}`}
          </div>
        </div>
      </div>
    </div>
  );
}
