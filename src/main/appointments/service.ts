import type { Appointment } from '../../shared/contract';
import { clinicDay } from '../../shared/clinic-day';
import type { Cache } from '../cache/cache';
import type { ClinicService } from '../clinic/service';
import { CLINIC_SETTINGS_META, checkInOpensAt } from '../clinic/settings';
import { STAFF_ROLES, type SessionService } from '../session/sessions';

export class AppointmentService {
  constructor(
    private readonly cache: Cache,
    private readonly clinic: ClinicService,
    private readonly sessions: SessionService,
    private readonly now: () => Date,
  ) {}

  today(): Appointment[] {
    this.sessions.require(STAFF_ROLES);
    const clinicId = this.clinic.require().id;
    const today = clinicDay(this.now());
    const settings = this.cache.getMeta(CLINIC_SETTINGS_META);
    return this.cache
      .all(
        this.cache.q
          .selectFrom('appointments as a')
          .innerJoin('patients as p', 'p.id', 'a.patient_id')
          .innerJoin('doctors as d', 'd.id', 'a.doctor_id')
          .select(['a.id', 'a.appointment_number', 'a.patient_id', 'p.full_name as patient_name', 'p.nric_masked', 'a.doctor_id', 'd.full_name as doctor_name', 'a.starts_at', 'a.status'])
          .where('a.clinic_id', '=', clinicId)
          .orderBy('a.starts_at'),
      )
      .filter((a) => clinicDay(new Date(a.starts_at)) === today)
      .map((a) => ({
        id: a.id,
        appointmentNumber: a.appointment_number,
        patientId: a.patient_id,
        patientName: a.patient_name,
        nricMasked: a.nric_masked,
        doctorId: a.doctor_id,
        doctorName: a.doctor_name,
        startsAt: a.starts_at,
        checkInOpensAt: checkInOpensAt(a.starts_at, settings).toISOString(),
        status: a.status,
      }));
  }
}
