import { useEffect, useMemo, useState } from 'react';
import { ApiError, type ClinicApi, type Session, type StationInfo } from '../shared/contract';
import { errorMessage } from './common/api';
import { ApiContext, useApi, useLoad, useStationEvent } from './common/hooks';
import { ToastProvider } from './common/toasts';
import { SignIn } from './screens/session/SignIn';
import { Reception } from './screens/reception/Reception';
import { Consult } from './screens/consult/Consult';
import { Display } from './screens/display/Display';

/**
 * Routes any "not signed in" answer (expired or revoked session) back to the sign-in screen, so no
 * screen has to handle it on its own.
 */
function guardSession(api: ClinicApi, onSessionLost: () => void): ClinicApi {
  return {
    async call(method, input) {
      try {
        return await api.call(method, input);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'not_signed_in' && method !== 'session.signIn') onSessionLost();
        throw error;
      }
    },
    on: (event, listener) => api.on(event, listener),
  };
}

export function App({ api }: { api: ClinicApi }) {
  return (
    <ApiContext.Provider value={api}>
      <ToastProvider>
        <StationGate />
      </ToastProvider>
    </ApiContext.Provider>
  );
}

function StationGate() {
  const api = useApi();
  const station = useLoad(() => api.call('station.info', {}));
  // A consult room's name is known once the first load has brought the clinic's rooms: ask again as sync moves.
  useStationEvent('sync.status', () => {
    if (station.data?.role === 'consult' && station.data.room === null) station.reload();
  });

  useEffect(() => {
    if (station.data) document.title = `${station.data.clinic.name} · ${station.data.stationCode}`;
    document.documentElement.dataset.role = station.data?.role ?? '';
  }, [station.data]);

  if (!station.data) {
    return (
      <Splash
        title={station.error ? 'This station cannot start' : 'Connecting to the station…'}
        error={station.error}
        onRetry={station.error ? station.reload : undefined}
      />
    );
  }
  return <SessionGate station={station.data} />;
}

function SessionGate({ station }: { station: StationInfo }) {
  const outer = useApi();
  /** undefined while asking the station whether someone is already signed in. */
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const api = useMemo(
    () =>
      guardSession(outer, () => {
        setSession(null);
        setNotice('Your session has ended. Please sign in again.');
      }),
    [outer],
  );

  useEffect(() => {
    let live = true;
    outer.call('session.current', {}).then(
      (current) => {
        if (live) {
          setSession(current);
          setError(null);
        }
      },
      (e: unknown) => {
        if (live) setError(errorMessage(e));
      },
    );
    return () => {
      live = false;
    };
  }, [outer, attempt]);

  if (session === undefined) {
    return (
      <Splash
        title={error ? 'Cannot reach the station' : 'Loading…'}
        error={error}
        onRetry={error ? () => setAttempt((n) => n + 1) : undefined}
      />
    );
  }
  if (session === null) {
    return (
      <SignIn
        station={station}
        notice={notice}
        onSignedIn={(signedIn) => {
          setNotice(null);
          setSession(signedIn);
        }}
      />
    );
  }

  const signedOut = () => setSession(null);
  return (
    <ApiContext.Provider value={api}>
      {station.role === 'display' ? (
        <Display />
      ) : station.role === 'consult' ? (
        <Consult station={station} session={session} onSignedOut={signedOut} />
      ) : (
        <Reception station={station} session={session} onSignedOut={signedOut} />
      )}
    </ApiContext.Provider>
  );
}

function Splash({ title, error, onRetry }: { title: string; error: string | null; onRetry: (() => void) | undefined }) {
  return (
    <main className="splash">
      <div className="splash-card">
        <h1>{title}</h1>
        {error && (
          <p className="error-message" role="alert" data-testid="startup-error">
            {error}
          </p>
        )}
        {onRetry && (
          <button type="button" className="btn btn-primary" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    </main>
  );
}
