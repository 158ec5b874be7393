import { useState, type ReactNode } from 'react';
import type { Session, StationInfo } from '../../shared/contract';
import { DevicesButton } from '../screens/devices/Devices';
import { StationsButton } from '../screens/stations/Stations';
import { AttentionButton, InitialSyncProgress } from '../sync/SyncAttention';
import { SyncBanner, SyncIndicator, useSyncStatus } from '../sync/SyncStatus';
import { errorMessage } from './api';
import { useApi } from './hooks';

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
          {station.role === 'reception' && (session.role === 'clinic_admin' || session.role === 'chain_admin') && <StationsButton />}
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
