import { useCallback, useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * What every dialog at the desk does: Tab and Shift+Tab stay inside it, focus goes back where it was when it
 * closes, and Escape, a click outside or Close with something typed asks before throwing it away.
 */
export function useDialog(ref: RefObject<HTMLElement | null>, options: { onClose: () => void; dirty?: () => boolean }) {
  const [confirming, setConfirming] = useState(false);
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });

  const requestClose = useCallback(() => {
    if (latest.current.dirty?.()) setConfirming(true);
    else latest.current.onClose();
  }, []);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        requestClose();
        return;
      }
      if (event.key !== 'Tab') return;
      const focusable = [...element.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
      if (focusable.length === 0) return;
      const first = focusable[0]!;
      const last = focusable[focusable.length - 1]!;
      const active = document.activeElement;
      if (event.shiftKey && (active === first || !element.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !element.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    };
    // On the document, so a Tab pressed while focus has slipped outside still comes back.
    document.addEventListener('keydown', onKey, true);
    return () => document.removeEventListener('keydown', onKey, true);
  }, [ref, requestClose]);

  return { requestClose, confirming, keepEditing: () => setConfirming(false), discard: () => latest.current.onClose() };
}

export function DiscardConfirm({ what, onKeep, onDiscard }: { what: string; onKeep: () => void; onDiscard: () => void }) {
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => keepRef.current?.focus(), []);
  return (
    <div className="discard-confirm" role="alertdialog" aria-labelledby="discard-title" data-testid="discard-confirm">
      <p id="discard-title">Throw away {what}?</p>
      <button type="button" className="btn btn-secondary" ref={keepRef} onClick={onKeep} data-testid="discard-keep">
        Keep typing
      </button>
      <button type="button" className="btn btn-danger" onClick={onDiscard} data-testid="discard-yes">
        Throw it away
      </button>
    </div>
  );
}

/** A full panel (Devices, Stations) over the screen, as a modal dialog with the same keyboard rules. */
export function PanelOverlay({ titleId, onClose, render }: { titleId: string; onClose: () => void; render: (close: () => void) => ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const dialog = useDialog(ref, { onClose });
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>(FOCUSABLE)?.focus();
  }, []);
  return (
    <div ref={ref} className="devices-overlay" role="dialog" aria-modal="true" aria-labelledby={titleId}>
      {render(dialog.requestClose)}
    </div>
  );
}
