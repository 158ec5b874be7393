import type { Handlers } from '../handlers';
import type { StationAdminService } from './station-admin';

export function stationAdminHandlers(admin: StationAdminService): Handlers<'stations.list' | 'stations.createEnrolmentCode' | 'stations.revoke'> {
  return {
    'stations.list': () => admin.list(),
    'stations.createEnrolmentCode': (input) => admin.createEnrolmentCode(input),
    'stations.revoke': (input) => admin.revoke(input),
  };
}
