import { randomInt, randomUUID } from 'node:crypto';
import { ApiError, type StationRole } from '../../shared/contract';
import type { EnrolmentCode, StationDirectory } from '../../shared/station-admin-contract';
import { classifyFailure, type Central } from '../../sync/central';
import type { Cache } from '../cache/cache';
import { apiErrorFromCentral } from '../central-errors';
import type { ClinicService } from '../clinic/service';
import type { SessionService } from '../session/sessions';
import type { SyncEngine } from '../sync-engine/engine';

/** Who may enrol and revoke the clinic's PCs (the centre checks the same). */
export const STATION_ADMIN_ROLES = ['clinic_admin', 'chain_admin'];

/*
 * No 0/O, 1/I/L or 5/S: the code is read off one screen and typed at another. 16 characters of 30 is ~78 bits, far
 * beyond guessing at the gateway within a code's life.
 */
const CODE_ALPHABET = '2346789ABCDEFGHJKMNPQRTUVWXYZ';
const CODE_GROUPS = 4;
const CODE_GROUP_LENGTH = 4;

export function newEnrolmentCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < CODE_GROUPS; g += 1) {
    let group = '';
    for (let i = 0; i < CODE_GROUP_LENGTH; i += 1) group += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

interface CreatedCode {
  station_code: string;
  station_role: StationRole;
  room_code: string | null;
  expires_at: string;
}

interface Revoked {
  station_code: string;
  sessions_revoked: number;
}

/** The clinic manager's station directory: the mirrored list, and codes and revocations decided by the centre now. */
export class StationAdminService {
  constructor(
    private readonly cache: Cache,
    private readonly clinic: ClinicService,
    private readonly sessions: SessionService,
    private readonly central: Central,
    private readonly sync: SyncEngine,
    private readonly gatewayUrl: string,
  ) {}

  list(): StationDirectory {
    this.sessions.require(STATION_ADMIN_ROLES);
    const { id: clinicId } = this.clinic.require();
    const thisStation = this.clinic.stationInfo().stationId;
    const rows = this.cache.all(
      this.cache.q
        .selectFrom('stations')
        .leftJoin('rooms', (join) => join.onRef('rooms.id', '=', 'stations.room_id').onRef('rooms.clinic_id', '=', 'stations.clinic_id'))
        .select(['stations.id', 'stations.code', 'stations.role', 'stations.desk_letter', 'stations.enrolled_at', 'stations.revoked_at', 'rooms.name as room_name'])
        .where('stations.clinic_id', '=', clinicId)
        .orderBy('stations.role')
        .orderBy('stations.code'),
    );
    const rooms = this.cache.all(
      this.cache.q.selectFrom('rooms').select(['code', 'name']).where('clinic_id', '=', clinicId).where('is_active', '=', 1).orderBy('code'),
    );
    const stations = rows.map((row) => ({
      code: row.code,
      role: row.role as StationRole,
      deskLetter: row.desk_letter,
      roomName: row.room_name ?? null,
      enrolledAt: row.enrolled_at,
      revokedAt: row.revoked_at,
      thisStation: row.id === thisStation,
    }));
    return { stations, rooms, gatewayUrl: this.gatewayUrl };
  }

  async createEnrolmentCode(input: { role: StationRole; stationCode?: string; roomCode?: string; expiresHours: number }): Promise<EnrolmentCode> {
    const stored = this.sessions.require(STATION_ADMIN_ROLES);
    const code = newEnrolmentCode();
    const created = await this.callCentre<CreatedCode>(
      'create_station_enrolment',
      { station_role: input.role, station_code: input.stationCode ?? null, room_code: input.roomCode ?? null, code, expires_hours: input.expiresHours },
      stored.token,
      'make an enrolment code',
    );
    return { code, stationCode: created.station_code, role: created.station_role, roomCode: created.room_code, expiresAt: new Date(created.expires_at).toISOString() };
  }

  async revoke(input: { stationCode: string; reason: string }): Promise<{ stationCode: string; sessionsRevoked: number }> {
    const stored = this.sessions.require(STATION_ADMIN_ROLES);
    if (input.stationCode === this.clinic.stationInfo().stationCode) {
      throw new ApiError('conflict', 'This is the PC you are working at: revoke it from another station, or from the server (npm run cli -- revoke-station).');
    }
    const revoked = await this.callCentre<Revoked>('revoke_station', { station_code: input.stationCode, reason: input.reason }, stored.token, 'revoke a station');
    // The directory shows the revocation once the feed brings the station's row.
    void this.sync.requestSync();
    return { stationCode: revoked.station_code, sessionsRevoked: revoked.sessions_revoked };
  }

  private async callCentre<T>(procedure: string, args: Record<string, unknown>, token: string, what: string): Promise<T> {
    try {
      return await this.central.callProcedure<T>(procedure, randomUUID(), args, token);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'transient') throw new ApiError('offline', `Cannot reach the centre to ${what}: this needs the network. Try again when the station is back online.`);
      throw apiErrorFromCentral(failure);
    }
  }
}
