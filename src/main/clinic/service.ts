import { ApiError, type StationInfo } from '../../shared/contract';
import type { Cache } from '../cache/cache';
import type { StationIdentity } from '../enrolment/identity';

export interface ClinicIdentity {
  id: string;
  code: string;
  name: string;
}

/** Which clinic, station and room this is: fixed at enrolment, so known offline from the first start. */
export class ClinicService {
  private readonly clinic: ClinicIdentity;

  constructor(
    private readonly identity: StationIdentity,
    private readonly cache: Cache,
  ) {
    this.clinic = identity.clinic;
  }

  require(): ClinicIdentity {
    return this.clinic;
  }

  stationInfo(): StationInfo {
    const roomId = this.identity.station.roomId;
    const room = roomId ? this.cache.get(this.cache.q.selectFrom('rooms').select(['id', 'code', 'name']).where('clinic_id', '=', this.clinic.id).where('id', '=', roomId)) : undefined;
    return {
      stationId: this.identity.stationId,
      stationCode: this.identity.station.code,
      role: this.identity.station.role,
      clinic: this.clinic,
      room: room ?? null,
      deskLetter: this.cache.getMeta('desk_letter') ?? this.identity.station.deskLetter,
    };
  }

  requireRoom(): { id: string; name: string } {
    const info = this.stationInfo();
    if (!info.room) {
      throw new ApiError('internal', this.identity.station.roomId ? 'This station\'s room is not known to it yet: wait for the first sync.' : 'This station was enrolled without a consult room.');
    }
    return info.room;
  }

  roomName(roomId: string | null): string | null {
    if (!roomId) return null;
    return this.cache.get(this.cache.q.selectFrom('rooms').select('name').where('id', '=', roomId))?.name ?? null;
  }
}
