import { useState } from 'react';
import { errorMessage } from '../../common/api';
import { useApi, useLoad, useStationEvent } from '../../common/hooks';
import { useToast } from '../../common/toasts';

/** When check-in opens, for everyone at the desk; the clinic manager changes it here, where its effect shows. */
export function CheckInWindow() {
  const api = useApi();
  const toast = useToast();
  const setting = useLoad(() => api.call('queue.checkInWindow', {}));
  useStationEvent('queue.changed', setting.reload);
  const [editing, setEditing] = useState(false);
  const [minutes, setMinutes] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!setting.data) return null;
  const current = setting.data.minutes;

  async function save() {
    const value = Number(minutes);
    if (minutes.trim() === '' || !Number.isInteger(value)) {
      setProblem('Enter a whole number of minutes, from 0 to 720.');
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const saved = await api.call('queue.setCheckInWindow', { minutes: value });
      toast.show('success', `Check-in now opens ${saved.minutes} minutes before each appointment.`);
      setEditing(false);
      setting.reload();
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  if (!editing) {
    return (
      <span className="muted check-in-window" data-testid="check-in-window">
        Check-in opens {current} min before
        {setting.data.canEdit && (
          <button
            type="button"
            className="btn btn-quiet btn-small"
            onClick={() => {
              setMinutes(String(current));
              setEditing(true);
            }}
            data-testid="check-in-window-edit"
          >
            Change
          </button>
        )}
      </span>
    );
  }
  return (
    <form
      className="check-in-window-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Check-in opens{' '}
        <input
          className="input input-minutes"
          inputMode="numeric"
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'check-in-window-problem' : undefined}
          autoFocus
          data-testid="check-in-window-minutes"
        />{' '}
        minutes before the appointment
      </label>
      <button type="submit" className="btn btn-primary btn-small" disabled={busy} data-testid="check-in-window-save">
        Save
      </button>
      <button type="button" className="btn btn-quiet btn-small" onClick={() => setEditing(false)}>
        Keep {current}
      </button>
      {problem && (
        <span className="field-problem" id="check-in-window-problem" data-testid="check-in-window-problem">
          {problem}
        </span>
      )}
    </form>
  );
}
