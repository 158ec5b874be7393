import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { QueueStatus, Session, StationInfo, SyncStatus, Ticket } from '../../shared/contract';
import { errorMessage } from './api';
import { formatTime, priorityLabel, statusLabels } from './format';
import { useApi, useInterval, useStationEvent } from './hooks';
import { AttentionButton, InitialSyncProgress } from '../sync/SyncAttention';
import { DevicesButton } from '../screens/devices/Devices';

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

/** Polled as a safety net: correctness never depends on an event arriving. */
const SYNC_POLL_MS = 15_000;

interface SyncView {
  status: SyncStatus | null;
  /** Failing to ask at all (station service down) is shown beside the last known status. */
  askError: string | null;
}

function useSyncStatus(): SyncView {
  const api = useApi();
  const [view, setView] = useState<SyncView>({ status: null, askError: null });
  const refresh = useCallback(() => {
    api.call('sync.status', {}).then(
      (status) => setView({ status, askError: null }),
      (e: unknown) => setView((v) => ({ ...v, askError: errorMessage(e) })),
    );
  }, [api]);
  useEffect(refresh, [refresh]);
  useInterval(refresh, SYNC_POLL_MS);
  useStationEvent('sync.status', (status) => setView({ status, askError: null }));
  return view;
}

export function SyncIndicator({ status, askError }: SyncView) {
  const online = status !== null && status.online && askError === null;
  const error = askError ?? status?.lastError ?? null;
  return (
    <div
      className={`sync ${status ? (online ? 'sync-online' : 'sync-offline') : ''}`}
      data-testid="sync-indicator"
      data-online={String(online)}
      data-pending={String(status?.pending ?? 0)}
      role="status"
    >
      <span className={`dot ${status ? (online ? 'dot-online' : 'dot-offline') : 'dot-unknown'}`} aria-hidden="true" />
      <span className="sync-state">{status ? (online ? 'Online' : 'Offline') : askError ? 'Status unknown' : 'Checking…'}</span>
      {status && (
        <>
          <span className={`sync-pending ${status.pending > 0 ? 'has-pending' : ''}`}>
            {status.pending > 0 ? `${status.pending} waiting to sync` : 'All synced'}
          </span>
          <span className="sync-time">{status.lastSyncedAt ? `Last sync ${formatTime(status.lastSyncedAt)}` : 'Never synced'}</span>
        </>
      )}
      {error && (
        <span className="sync-error" title={error}>
          {error}
        </span>
      )}
    </div>
  );
}

/** Offline is a normal way to work, but the person at the desk must know it is happening and why. */
function SyncBanner({ status, askError }: SyncView) {
  if (askError) {
    return (
      <div className="sync-banner sync-banner-down" role="alert" data-testid="sync-banner">
        <strong>This screen cannot reach the station service.</strong> {askError} Nothing can be saved until it is back.
      </div>
    );
  }
  if (!status || status.online) return null;
  return (
    <div className="sync-banner" role="status" data-testid="sync-banner">
      <strong>Working offline.</strong> Tickets and registrations are kept on this station
      {status.pending > 0 ? ` (${status.pending} waiting)` : ''} and sent to the central database when the connection returns.
      {status.lastError && <span className="sync-banner-error"> Last error: {status.lastError}</span>}
    </div>
  );
}

export function Header({
  station,
  session,
  onSignedOut,
  children,
}: {
  station: StationInfo;
  session: Session;
  onSignedOut: () => void;
  children?: ReactNode;
}) {
  const api = useApi();
  const sync = useSyncStatus();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function signOut() {
    setBusy(true);
    setError(null);
    try {
      await api.call('session.signOut', {});
      onSignedOut();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <>
      <header className="app-header">
        <div className="header-id">
          <div className="header-clinic">{station.clinic.name}</div>
          <div className="header-station">
            {station.stationCode}
            {station.deskLetter && <> · Desk {station.deskLetter}</>}
            {children}
          </div>
        </div>
        <SyncIndicator {...sync} />
        <AttentionButton status={sync.status} />
        <div className="header-user">
          <div className="header-person">
            <span className="header-name" data-testid="signed-in-name">
              {session.doctor?.fullName ?? session.fullName}
            </span>
            <span className="header-role">{roleLabel(session.role)}</span>
          </div>
          <DevicesButton />
          <button type="button" className="btn btn-quiet" onClick={signOut} disabled={busy} data-testid="sign-out">
            Sign out
          </button>
          {error && (
            <span className="header-error" role="alert">
              {error}
            </span>
          )}
        </div>
      </header>
      <SyncBanner {...sync} />
      <InitialSyncProgress status={sync.status} />
    </>
  );
}

function roleLabel(role: Session['role']): string {
  switch (role) {
    case 'receptionist':
      return 'Reception';
    case 'nurse':
      return 'Nurse';
    case 'doctor':
      return 'Doctor';
    case 'clinic_admin':
      return 'Clinic admin';
    case 'chain_admin':
      return 'Chain admin';
    case 'display':
      return 'Waiting-room display';
  }
}
