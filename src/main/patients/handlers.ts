import type { Handlers } from '../handlers';
import type { PatientService } from './service';

export function patientHandlers(patients: PatientService): Handlers<'patients.search' | 'patients.register'> {
  return {
    'patients.search': (input) => patients.search(input.query, { limit: input.limit, offset: input.offset }),
    'patients.register': (input) => patients.register(input),
  };
}
