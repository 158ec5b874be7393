import type { Handlers } from '../handlers';
import type { AppointmentService } from './service';

export function appointmentHandlers(appointments: AppointmentService): Handlers<'appointments.today'> {
  return { 'appointments.today': () => appointments.today() };
}
