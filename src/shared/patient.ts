import { z } from 'zod';
import { ageOn, clinicDay, isCalendarDate } from './clinic-day';
import { describeNricProblem, normalizeNric } from './nric';
import { personNameProblem, tidyName } from './person-name';

/**
 * The rules of a patient registration, written once: the registration form validates with this
 * schema, the station contract parses `patients.register` with it, and its messages are the
 * sentences shown beside each field, so they speak to the person at the desk.
 */

/** Older than any living person: a date of birth before this is a typing slip, not a patient. */
const OLDEST_AGE = 130;

const PHONE = /^\+?[0-9 ]{8,15}$/;

const GENDERS = ['male', 'female', 'other'] as const;
export const genderSchema = z.enum(GENDERS);

/** One message per field, the first rule it breaks, so the form never stacks sentences under a box. */
function rule<T>(problem: (value: T) => string | null) {
  return (payload: z.core.ParsePayload<T>) => {
    const message = problem(payload.value);
    if (message) payload.issues.push({ code: 'custom', message, input: payload.value });
  };
}

function nricProblem(nric: string): string | null {
  return nric === '' ? 'NRIC/FIN is required.' : describeNricProblem(nric);
}

/** Judged on the clinic day `today` (Singapore), not on the PC's own date. */
function dateOfBirthProblem(dateOfBirth: string, today: string): string | null {
  if (dateOfBirth === '') return 'Date of birth is required.';
  if (!isCalendarDate(dateOfBirth)) return 'Date of birth must be a real date (day, month and year).';
  if (dateOfBirth > today) return 'Date of birth cannot be in the future.';
  if (ageOn(dateOfBirth, today) > OLDEST_AGE) return `Date of birth is more than ${OLDEST_AGE} years ago: please check the year.`;
  return null;
}

/** Spaces and lower case are how people type and scanners print an NRIC; the stored form has neither. */
const nricSchema = z.string().overwrite(normalizeNric).check(rule(nricProblem));

/** A box left blank is "none", not a value that breaks the field's rule. */
function blankIsNone(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/**
 * Everything about the patient except the identity document. Patients with only a passport or a
 * foreign ID must become registrable too (DESIGN §6); they will bring their own identity fields
 * beside these, making the registration a union on the kind of ID, so nothing here assumes an NRIC.
 */
function personFields(today: () => string) {
  return {
    fullName: z
      .string()
      .overwrite(tidyName)
      .check(rule((name: string) => personNameProblem(name, 'Full name', { min: 2, max: 120 }))),
    /** The name in its own script (e.g. 陈伟明, one character may be a whole given name), printed on labels. */
    nativeName: z
      .string()
      .overwrite(tidyName)
      .check(rule((name: string) => (name === '' ? null : personNameProblem(name, 'Name in own script', { min: 1, max: 60 }))))
      .optional()
      .transform(blankIsNone),
    dateOfBirth: z.string().check(rule((dob: string) => dateOfBirthProblem(dob, today()))),
    gender: z.enum(GENDERS, { error: 'Choose a gender.' }),
    phone: z
      .string()
      .trim()
      .refine((phone) => phone === '' || PHONE.test(phone), 'Phone must be 8 to 15 digits, e.g. 9123 4567 or +65 9123 4567.')
      .optional()
      .transform(blankIsNone),
  };
}

/**
 * `today` is asked at each validation, so a station left running past midnight judges dates of
 * birth on the new day; tests and the form pass the day they are about.
 */
export function patientRegistrationSchema(today: () => string = () => clinicDay(new Date())) {
  return z.object({ nric: nricSchema, ...personFields(today) });
}

type PatientRegistrationSchema = ReturnType<typeof patientRegistrationSchema>;
/** What a form or caller sends: blanks allowed, NRIC as typed. */
export type PatientRegistrationInput = z.input<PatientRegistrationSchema>;
/** What the station receives after parsing: NRIC normalised, blanks gone, every rule met. */
export type PatientRegistration = z.output<PatientRegistrationSchema>;
