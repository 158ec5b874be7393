import { useState, type FormEvent } from 'react';
import type { Session, StationInfo } from '../../../shared/contract';
import { errorMessage } from '../../common/api';
import { useApi } from '../../common/hooks';

export function SignIn({
  station,
  notice,
  onSignedIn,
}: {
  station: StationInfo;
  notice: string | null;
  onSignedIn: (session: Session) => void;
}) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError(!username.trim() ? 'Enter your username.' : 'Enter your password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.call('session.signIn', { username, password }));
    } catch (e) {
      setError(errorMessage(e));
      setPassword('');
      setBusy(false);
    }
  }

  const place = station.role === 'consult' ? (station.room?.name ?? 'Consult room') : station.role === 'display' ? 'Waiting-room display' : 'Reception';
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} noValidate>
        <div className="signin-clinic">{station.clinic.name}</div>
        <div className="signin-station">
          {place} · Station {station.stationCode}
          {station.deskLetter && <> · Desk {station.deskLetter}</>}
        </div>
        <h1>Sign in</h1>
        {notice && !error && <p className="notice">{notice}</p>}
        {station.role === 'display' && !notice && (
          <p className="notice" data-testid="signin-display-hint">
            Sign in once with the display&apos;s own account: it stays signed in, and the screen shows only numbers and rooms.
          </p>
        )}
        <label className="field">
          <span className="field-label">Username</span>
          <input
            className="input"
            name="username"
            autoComplete="username"
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="signin-username"
          />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          <input
            className="input"
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="signin-password"
          />
        </label>
        {error && (
          <p className="error-message" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block btn-large" disabled={busy} data-testid="signin-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
