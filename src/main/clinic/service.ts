import { randomUUID } from 'node:crypto';
import { ApiError, type StationInfo } from '../../shared/contract';
import { CentralError, type Central } from '../../sync/central';
import type { Cache } from '../cache/cache';
import type { StationConfig } from '../config';

export interface ClinicIdentity {
  id: string;
  code: string;
  name: string;
}

/** Which clinic, station and room this is: learnt from the centre once, then kept for offline starts. */
export class ClinicService {
  private clinic: ClinicIdentity | null = null;

  constructor(
    private readonly config: StationConfig,
    private readonly cache: Cache,
  ) {
    if (!cache.getMeta('station_id')) cache.setMeta('station_id', randomUUID());
    const stored = cache.getMeta('clinic');
    if (stored) this.clinic = JSON.parse(stored) as ClinicIdentity;
  }

  /** A station that has never reached its centre cannot know its clinic, and says so. */
  async resolve(central: Central): Promise<ClinicIdentity> {
    if (this.clinic) return this.clinic;
    try {
      // Row-level security hides clinic rows until someone signs in; the centre reveals only id, code and name.
      const { clinic } = await central.clinicByCode(this.config.clinicCode);
      if (!clinic) throw new Error(`No clinic with code ${this.config.clinicCode} in the central database.`);
      this.clinic = clinic;
      this.cache.setMeta('clinic', JSON.stringify(this.clinic));
      return this.clinic;
    } catch (error) {
      if (error instanceof CentralError) {
        throw new Error(`Station ${this.config.stationCode} has never reached the central database and cannot start offline: ${error.message}`);
      }
      throw error;
    }
  }

  require(): ClinicIdentity {
    if (!this.clinic) throw new ApiError('internal', 'The station has not reached its central database yet.');
    return this.clinic;
  }

  stationInfo(): StationInfo {
    const clinic = this.require();
    const room = this.config.roomCode
      ? this.cache.get(this.cache.q.selectFrom('rooms').select(['id', 'code', 'name']).where('clinic_id', '=', clinic.id).where('code', '=', this.config.roomCode))
      : undefined;
    return {
      stationId: this.cache.getMeta('station_id')!,
      stationCode: this.config.stationCode,
      role: this.config.role,
      clinic,
      room: room ?? null,
      deskLetter: this.cache.getMeta('desk_letter'),
    };
  }

  requireRoom(): { id: string; name: string } {
    const info = this.stationInfo();
    if (!info.room) throw new ApiError('internal', `Room ${this.config.roomCode ?? '(none configured)'} is not known to this station yet.`);
    return info.room;
  }

  roomName(roomId: string | null): string | null {
    if (!roomId) return null;
    return this.cache.get(this.cache.q.selectFrom('rooms').select('name').where('id', '=', roomId))?.name ?? null;
  }
}
