import { useCallback, useEffect, useState } from 'react';
import type { AttentionItem, SyncStatus } from '../../shared/contract';
import { errorMessage } from '../common/api';
import { formatTime } from '../common/format';
import { useApi } from '../common/hooks';

/** The first load from the centre can take a while on a big clinic: show how far it has come. */
export function InitialSyncProgress({ status }: { status: SyncStatus | null }) {
  const progress = status?.initialSync;
  if (!progress) return null;
  const percent = progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;
  return (
    <div className="initial-sync" role="status" data-testid="initial-sync">
      <span>
        Loading this clinic’s records: {progress.loaded.toLocaleString('en-SG')} of {progress.total.toLocaleString('en-SG')}
      </span>
      <progress max={100} value={percent} aria-label="Initial sync progress" />
    </div>
  );
}

/**
 * Work the centre refused for good (a duplicate NRIC registered offline at two desks, a patient
 * another doctor called first). It never blocks the rest of the outbox, but someone must see it.
 */
export function AttentionButton({ status }: { status: SyncStatus | null }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<AttentionItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const count = status?.attention ?? 0;

  const load = useCallback(() => {
    api.call('sync.attention', {}).then(
      (list) => {
        setItems(list);
        setError(null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [api]);

  useEffect(() => {
    if (open) load();
  }, [open, count, load]);

  async function dismiss(id: number) {
    try {
      await api.call('sync.dismiss', { id });
      setItems((list) => list.filter((item) => item.id !== id));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (count === 0 && !open) return null;
  return (
    <div className="attention">
      <button type="button" className="btn btn-warning attention-button" onClick={() => setOpen((o) => !o)} data-testid="attention-open" aria-expanded={open}>
        ⚠ {count} need{count === 1 ? 's' : ''} attention
      </button>
      {open && (
        <div className="attention-panel" role="dialog" aria-label="Needs attention" data-testid="attention-panel">
          <div className="attention-head">
            <strong>Refused by the central database</strong>
            <button type="button" className="btn btn-quiet" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
          {error && <p className="attention-error">{error}</p>}
          {items.length === 0 && !error && <p className="attention-empty">Nothing needs attention.</p>}
          <ul>
            {items.map((item) => (
              <li key={item.id} data-testid="attention-item">
                <div className="attention-what">
                  {item.what} <span className="attention-time">{formatTime(item.at)}</span>
                </div>
                <div className="attention-reason">{item.reason}</div>
                <div className="attention-action">What to do: {item.action}</div>
                <button type="button" className="btn btn-quiet" onClick={() => void dismiss(item.id)} data-testid="attention-dismiss">
                  Dismiss
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
