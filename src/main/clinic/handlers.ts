import type { Handlers } from '../handlers';
import type { ClinicService } from './service';

export function clinicHandlers(clinic: ClinicService): Handlers<'station.info'> {
  return { 'station.info': () => clinic.stationInfo() };
}
