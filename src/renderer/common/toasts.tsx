import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

type ToastKind = 'success' | 'error' | 'info';
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

interface Toaster {
  show: (kind: ToastKind, text: string) => void;
}

const ToastContext = createContext<Toaster | null>(null);

/** Successes fade; errors stay until the person closes them, so none vanishes unseen. */
const SUCCESS_MS = 5000;

/**
 * At most two at once, the newest and the newest error, so a burst of messages never grows a stack over the screen;
 * an older success is replaced, and an older error by a newer one.
 */
function keepNewest(list: Toast[]): Toast[] {
  const newest = list[list.length - 1];
  const newestError = [...list].reverse().find((t) => t.kind === 'error');
  return list.filter((t) => t === newest || t === newestError);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);

  const show = useCallback(
    (kind: ToastKind, text: string) => {
      const id = nextId.current++;
      setToasts((list) => keepNewest([...list, { id, kind, text }]));
      if (kind !== 'error') window.setTimeout(() => dismiss(id), SUCCESS_MS);
    },
    [dismiss],
  );

  const toaster = useMemo(() => ({ show }), [show]);

  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'} data-testid="toast">
            <span className="toast-text">{toast.text}</span>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): Toaster {
  const toaster = useContext(ToastContext);
  if (!toaster) throw new Error('useToast outside <ToastProvider>');
  return toaster;
}
