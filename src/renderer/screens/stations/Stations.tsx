import { useState, type FormEvent } from 'react';
import { PanelOverlay } from '../../common/dialog';
import { clinicDay } from '../../../shared/clinic-day';
import type { StationRole } from '../../../shared/contract';
import { formatDayMonthYear } from '../../../shared/sg-date';
import type { ClinicStation, EnrolmentCode, StationDirectory } from '../../../shared/station-admin-contract';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { formatTime } from '../../common/format';
import { useApi, useLoad } from '../../common/hooks';

/** A header button for the clinic manager: the clinic's PCs, enrolling a new one, revoking a lost one. */
export function StationsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-quiet" onClick={() => setOpen(true)} data-testid="stations-open">
        Stations
      </button>
      {open && <PanelOverlay titleId="stations-title" onClose={() => setOpen(false)} render={(close) => <Stations onClose={close} />} />}
    </>
  );
}

const roleLabels: Record<StationRole, string> = { reception: 'Reception', consult: 'Consult', display: 'Waiting-room display' };

/** The Singapore day of an instant, dd/mm/yyyy like every date on the station's screens. */
function formatDate(iso: string): string {
  return formatDayMonthYear(clinicDay(new Date(iso)));
}

function formatDateTime(iso: string): string {
  return `${formatDate(iso)}, ${formatTime(iso)}`;
}

export function Stations({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const directory = useLoad(() => api.call('stations.list', {}));
  return (
    <div className="devices stations" data-testid="stations">
      <div className="devices-head">
        <h2 id="stations-title">Stations of this clinic</h2>
        <button type="button" className="btn" onClick={onClose} data-testid="stations-close">
          Close
        </button>
      </div>
      {directory.error && <ErrorMessage>{directory.error}</ErrorMessage>}
      {directory.data && (
        <div className="stations-grid">
          <StationList stations={directory.data.stations} onChanged={directory.reload} />
          <EnrolStation directory={directory.data} onMade={directory.reload} />
        </div>
      )}
    </div>
  );
}

function StationList({ stations, onChanged }: { stations: ClinicStation[]; onChanged: () => void }) {
  const [revoking, setRevoking] = useState<string | null>(null);
  return (
    <section className="card devices-card">
      <h2>PCs enrolled</h2>
      <p className="stations-hint">Each PC was enrolled once with a one-time code. Revoke a PC that is lost, stolen or replaced: the centre refuses it at once and signs out anyone using it.</p>
      <table className="stations-table">
        <thead>
          <tr>
            <th>Station</th>
            <th>Role</th>
            <th>Enrolled</th>
            <th>Status</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {stations.map((s) => (
            <StationRow key={s.code} station={s} revoking={revoking === s.code} onRevoke={() => setRevoking(s.code)} onDone={(changed) => {
              setRevoking(null);
              if (changed) onChanged();
            }} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function StationRow({ station, revoking, onRevoke, onDone }: { station: ClinicStation; revoking: boolean; onRevoke: () => void; onDone: (changed: boolean) => void }) {
  const status = station.revokedAt ? 'revoked' : station.enrolledAt ? 'active' : 'waiting';
  return (
    <>
      <tr data-testid="station-row" data-station-code={station.code} data-status={status}>
        <td>
          <span className="station-code">{station.code}</span>
          {station.thisStation && <span className="badge">This PC</span>}
        </td>
        <td>
          {roleLabels[station.role]}
          {station.deskLetter && <> · Desk {station.deskLetter}</>}
          {station.roomName && <> · {station.roomName}</>}
        </td>
        <td className="station-date" title={station.enrolledAt ? formatDateTime(station.enrolledAt) : undefined}>
          {station.enrolledAt ? formatDate(station.enrolledAt) : '—'}
        </td>
        <td>
          <span className={`station-status station-status-${status}`} title={station.revokedAt ? formatDateTime(station.revokedAt) : undefined}>
            {status === 'revoked' ? `Revoked ${formatDate(station.revokedAt!)}` : status === 'active' ? 'In use' : 'Not enrolled'}
          </span>
        </td>
        <td className="station-actions">
          {status === 'active' && !station.thisStation && !revoking && (
            <button type="button" className="btn btn-small btn-danger" onClick={onRevoke} data-testid="station-revoke">
              Revoke…
            </button>
          )}
        </td>
      </tr>
      {revoking && (
        <tr className="station-revoke-row">
          <td colSpan={5}>
            <RevokeForm stationCode={station.code} onDone={onDone} />
          </td>
        </tr>
      )}
    </>
  );
}

function RevokeForm({ stationCode, onDone }: { stationCode: string; onDone: (changed: boolean) => void }) {
  const api = useApi();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.call('stations.revoke', { stationCode, reason });
      onDone(true);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <form className="revoke-form" onSubmit={submit} data-testid="revoke-form">
      <label>
        Why is {stationCode} revoked?
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} placeholder="e.g. PC replaced after water damage" autoFocus data-testid="revoke-reason" />
      </label>
      <div className="revoke-buttons">
        <button type="submit" className="btn btn-danger" disabled={busy || !reason.trim()} data-testid="revoke-confirm">
          Revoke {stationCode}
        </button>
        <button type="button" className="btn" onClick={() => onDone(false)} disabled={busy}>
          Keep it
        </button>
      </div>
      <p className="stations-hint">It cannot be undone: to use that PC again, enrol it with a new code.</p>
      {error && <ErrorMessage testId="revoke-error">{error}</ErrorMessage>}
    </form>
  );
}

function EnrolStation({ directory, onMade }: { directory: StationDirectory; onMade: () => void }) {
  const api = useApi();
  const [role, setRole] = useState<StationRole>('reception');
  const [stationCode, setStationCode] = useState('');
  const [roomCode, setRoomCode] = useState('');
  const [expiresHours, setExpiresHours] = useState(24);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<EnrolmentCode | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setMade(await api.call('stations.createEnrolmentCode', { role, stationCode, expiresHours, ...(role === 'consult' ? { roomCode } : {}) }));
      setStationCode('');
      onMade();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card devices-card">
      <h2>Enrol a new PC</h2>
      <form className="enrol-form" onSubmit={submit}>
        <div className="form-row">
          <label>
            It will be
            <select value={role} onChange={(e) => setRole(e.target.value as StationRole)} data-testid="enrol-role">
              <option value="reception">a reception desk</option>
              <option value="consult">a consult room PC</option>
              <option value="display">the waiting-room display</option>
            </select>
          </label>
          {role === 'consult' && (
            <label>
              Room
              <select value={roomCode} onChange={(e) => setRoomCode(e.target.value)} data-testid="enrol-room">
                <option value="">Choose a room</option>
                {directory.rooms.map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <div className="form-row">
          <label>
            Station code <span className="optional">(optional)</span>
            <input value={stationCode} onChange={(e) => setStationCode(e.target.value)} maxLength={40} placeholder="Next free, e.g. RECEPTION-3" data-testid="enrol-station-code" />
          </label>
          <label>
            Code is valid for
            <select value={expiresHours} onChange={(e) => setExpiresHours(Number(e.target.value))} data-testid="enrol-expires">
              <option value={1}>1 hour</option>
              <option value={24}>1 day</option>
              <option value={72}>3 days</option>
              <option value={168}>1 week</option>
            </select>
          </label>
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="enrol-make-code">
          Make a one-time code
        </button>
        {error && <ErrorMessage testId="enrol-error">{error}</ErrorMessage>}
      </form>
      {made && (
        <div className="enrol-code" data-testid="enrol-code-made">
          <p>
            On the new PC, start Gabriel Clinic Workstation and enter:
          </p>
          <dl>
            <dt>Gateway address</dt>
            <dd className="enrol-gateway">{directory.gatewayUrl}</dd>
            <dt>Enrolment code</dt>
            <dd className="enrol-code-value" data-testid="enrol-code-value">
              {made.code}
            </dd>
          </dl>
          <p className="stations-hint">
            It enrols {made.role === 'display' ? 'display' : made.role} station <strong>{made.stationCode}</strong>
            {made.roomCode && <> in room {made.roomCode}</>}, once, until {formatDateTime(made.expiresAt)}. It is shown only now: the centre keeps no copy it could show again.
          </p>
        </div>
      )}
    </section>
  );
}
