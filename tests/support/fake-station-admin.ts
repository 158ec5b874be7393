import { ApiError, type MethodName, type MethodOutput, type parseInput, type Session } from '../../src/shared/contract';
import type { ClinicStation } from '../../src/shared/station-admin-contract';

/** The station directory half of the in-memory fake: the clinic's PCs, codes made, revocations, as the centre rules. */

type StationAdminMethod = Extract<MethodName, `stations.${string}`>;
type Handlers = { [M in StationAdminMethod]: (input: ReturnType<typeof parseInput<M>>) => MethodOutput<M> };

export function fakeStationAdminHandlers(options: { thisStation: string; nowIso: () => string; session: () => Session | null }): Handlers {
  const enrolled = (days: number) => new Date(Date.parse(options.nowIso()) - days * 86_400_000).toISOString();
  const stations: ClinicStation[] = [
    { code: options.thisStation, role: 'reception', deskLetter: 'A', roomName: null, enrolledAt: enrolled(120), revokedAt: null, thisStation: false },
    { code: 'BDK-RECEPTION-2', role: 'reception', deskLetter: 'B', roomName: null, enrolledAt: enrolled(40), revokedAt: null, thisStation: false },
    { code: 'BDK-CONSULT-1', role: 'consult', deskLetter: null, roomName: 'Room 1', enrolledAt: enrolled(118), revokedAt: null, thisStation: false },
    { code: 'BDK-CONSULT-2', role: 'consult', deskLetter: null, roomName: 'Room 2', enrolledAt: enrolled(90), revokedAt: enrolled(3), thisStation: false },
    { code: 'BDK-DISPLAY-1', role: 'display', deskLetter: null, roomName: null, enrolledAt: enrolled(119), revokedAt: null, thisStation: false },
  ];
  for (const station of stations) station.thisStation = station.code === options.thisStation;
  const requireAdmin = () => {
    const session = options.session();
    if (!session) throw new ApiError('not_signed_in', 'Please sign in.');
    if (session.role !== 'clinic_admin' && session.role !== 'chain_admin') throw new ApiError('forbidden', `A ${session.role} cannot do this at a reception station.`);
  };
  let made = 0;
  return {
    'stations.list': () => {
      requireAdmin();
      return {
        stations: stations.map((s) => ({ ...s })),
        rooms: [
          { code: 'R1', name: 'Room 1' },
          { code: 'R2', name: 'Room 2' },
          { code: 'R3', name: 'Room 3' },
        ],
        gatewayUrl: 'https://gateway.gabriel-clinics.sg',
      };
    },
    'stations.createEnrolmentCode': ({ role, stationCode, roomCode, expiresHours }) => {
      requireAdmin();
      made += 1;
      const code = stationCode ?? `${role.toUpperCase()}-${stations.filter((s) => s.role === role).length + 1}`;
      if (stations.some((s) => s.code === code && s.enrolledAt && !s.revokedAt)) throw new ApiError('conflict', `Station ${code} is enrolled and in use. Revoke it first to enrol a replacement PC.`);
      return { code: `K7QF-2MPX-9TDR-W4H${made}`, stationCode: code, role, roomCode: roomCode ?? null, expiresAt: new Date(Date.parse(options.nowIso()) + expiresHours * 3_600_000).toISOString() };
    },
    'stations.revoke': ({ stationCode }) => {
      requireAdmin();
      const station = stations.find((s) => s.code === stationCode);
      if (!station) throw new ApiError('not_found', `There is no station ${stationCode} at this clinic.`);
      if (station.thisStation) throw new ApiError('conflict', 'This is the PC you are working at: revoke it from another station.');
      if (station.revokedAt) throw new ApiError('conflict', `Station ${stationCode} was already revoked.`);
      station.revokedAt = options.nowIso();
      return { stationCode, sessionsRevoked: 1 };
    },
  };
}
