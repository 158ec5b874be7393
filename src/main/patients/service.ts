import { randomUUID } from 'node:crypto';
import { ApiError, type Patient } from '../../shared/contract';
import type { PatientRegistration } from '../../shared/patient';
import { maskNric, nricIdType } from '../../shared/nric';
import { parsePatientQuery } from '../../shared/patient-search';
import type { Cache } from '../cache/cache';
import type { ClinicService } from '../clinic/service';
import type { FieldCrypto } from '../crypto/field-crypto';
import type { StationSchema } from '../schema';
import { RECEPTION_ROLES, STAFF_ROLES, type SessionService } from '../session/sessions';
import type { SyncEngine } from '../sync-engine/engine';
import { searchByTerms, type SearchPage } from './search';
import { searchTermsOf } from './tables';

type PatientRow = StationSchema['patients'];

export function toPatient(row: PatientRow): Patient {
  return {
    id: row.id,
    fullName: row.full_name,
    nativeName: row.native_name,
    nricMasked: row.nric_masked,
    dateOfBirth: row.date_of_birth,
    gender: row.gender as Patient['gender'],
    phone: row.phone,
    pending: row.pending === 1,
  };
}

/** Finding and registering patients from the cache; registrations go to the centre through the outbox. */
export class PatientService {
  constructor(
    private readonly cache: Cache,
    private readonly clinic: ClinicService,
    private readonly sessions: SessionService,
    private readonly sync: SyncEngine,
    private readonly crypto: FieldCrypto,
  ) {}

  /** A whole NRIC/FIN finds its one patient by keyed hash; anything else is term prefixes (src/shared/patient-search.ts). */
  async search(query: string, page: SearchPage): Promise<{ patients: Patient[]; total: number }> {
    this.sessions.require(STAFF_ROLES);
    const clinicId = this.clinic.require().id;
    const parsed = parsePatientQuery(query);
    if (parsed.kind === 'none') return { patients: [], total: 0 };
    if (parsed.kind === 'nric') {
      const hash = await this.crypto.lookupHash('nric', parsed.nric);
      const found = this.cache.all(this.cache.q.selectFrom('patients').selectAll().where('clinic_id', '=', clinicId).where('nric_hash', '=', hash));
      return { patients: found.slice(page.offset, page.offset + page.limit).map(toPatient), total: found.length };
    }
    const { rows, total } = searchByTerms(this.cache, clinicId, parsed.terms, page);
    return { patients: rows.map(toPatient), total };
  }

  /** `input` has been parsed with the contract's registration schema, which holds every rule of its fields. */
  async register(input: PatientRegistration): Promise<Patient> {
    const stored = this.sessions.require(RECEPTION_ROLES);
    const clinicId = this.clinic.require().id;
    const nric = input.nric;
    const masked = maskNric(nric);
    const hash = await this.crypto.lookupHash('nric', nric);
    const existing = this.cache.get(this.cache.q.selectFrom('patients').select('full_name').where('clinic_id', '=', clinicId).where('nric_hash', '=', hash));
    if (existing) throw new ApiError('conflict', `A patient with NRIC ${masked} is already registered (${existing.full_name}).`);
    const mirrored: Omit<PatientRow, 'search_terms'> = {
      clinic_id: clinicId,
      id: randomUUID(),
      nric_hash: hash,
      nric_masked: masked,
      id_type: nricIdType(nric),
      full_name: input.fullName,
      native_name: input.nativeName ?? null,
      date_of_birth: input.dateOfBirth,
      gender: input.gender,
      phone: input.phone ?? null,
      sync_seq: 0,
      pending: 1,
    };
    const row: PatientRow = { ...mirrored, search_terms: searchTermsOf(mirrored) };
    const args = {
      id: row.id,
      nric_hash: hash,
      nric_enc: await this.crypto.encrypt(nric),
      nric_masked: masked,
      id_type: row.id_type,
      full_name: row.full_name,
      native_name: row.native_name,
      date_of_birth: row.date_of_birth,
      gender: row.gender,
      phone: row.phone,
    };
    const { requestKey } = this.cache.enqueue(
      () => this.cache.run(this.cache.q.insertInto('patients').values(row)),
      () => ({ procedure: 'register_patient', args, sessionToken: stored.token, undo: [{ kind: 'delete', table: 'patients', id: row.id }] }),
    );
    await this.sync.pushAndSurfaceRejection(requestKey);
    const saved = this.cache.get(this.cache.q.selectFrom('patients').selectAll().where('id', '=', row.id));
    return toPatient(saved ?? row);
  }
}
