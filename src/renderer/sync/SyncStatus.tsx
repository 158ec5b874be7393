import { useCallback, useEffect, useState } from 'react';
import type { SyncStatus } from '../../shared/contract';
import { errorMessage } from '../common/api';
import { formatTime } from '../common/format';
import { useApi, useInterval, useStationEvent } from '../common/hooks';

/** Polled as a safety net: correctness never depends on an event arriving. */
const SYNC_POLL_MS = 15_000;

interface SyncView {
  status: SyncStatus | null;
  /** Failing to ask at all (station service down) is shown beside the last known status. */
  askError: string | null;
}

export function useSyncStatus(): SyncView {
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
      <span className="sync-state">{status ? (online ? 'Online' : 'Offline — working from this PC') : askError ? 'Status unknown' : 'Checking…'}</span>
      {status && (
        <>
          <span className={`sync-pending ${status.pending > 0 ? 'has-pending' : ''}`}>
            {status.pending > 0 ? `${status.pending} waiting to sync` : 'All synced'}
          </span>
          <span className="sync-time">{status.lastSyncedAt ? `Last sync ${formatTime(status.lastSyncedAt)}` : 'Never synced'}</span>
        </>
      )}
      {/* Offline, the banner below says why in full; here it would only crowd the header. */}
      {error && online && (
        <span className="sync-error" title={error}>
          {error}
        </span>
      )}
    </div>
  );
}

/** Offline is a normal way to work, but the person at the desk must know it is happening and why. */
export function SyncBanner({ status, askError }: SyncView) {
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
