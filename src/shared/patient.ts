import { z } from 'zod';
import { ageOn, clinicDay, isCalendarDate } from './clinic-day';
import { describeNricProblem, normalizeNric } from './nric';
import { personNameProblem, tidyName } from './person-name';
import { parsePhone } from './phone';
import { parseDayMonthYear, type DateParse } from './sg-date';

/**
 * The rules of a patient registration, written once: the registration form validates with this
 * schema, the station contract parses `patients.register` with it, and its messages are the
 * sentences shown beside each field, so they speak to the person at the desk.
 */

/** Older than any living person: a date of birth before this is a typing slip, not a patient. */
const OLDEST_AGE = 130;

const GENDERS = ['male', 'female', 'other'] as const;
export const genderSchema = z.enum(GENDERS);
export type Gender = z.infer<typeof genderSchema>;

const GENDER_LABELS: Record<Gender, string> = { male: 'Male', female: 'Female', other: 'Other' };

/** The word a person reads, the same on every screen; the stored code is for machines. */
export function genderLabel(gender: Gender): string {
  return GENDER_LABELS[gender];
}

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

/** The date of birth as the form takes it, dd/mm/yyyy, then the rules of the stored (ISO) date. */
function typedDateOfBirth(typed: string, today: string): DateParse {
  if (typed.trim() === '') return { ok: false, problem: 'Date of birth is required.' };
  const parsed = parseDayMonthYear(typed, 'Date of birth');
  const problem = parsed.ok ? dateOfBirthProblem(parsed.iso, today) : parsed.problem;
  return problem ? { ok: false, problem } : parsed;
}

function phoneProblem(phone: string): string | null {
  if (phone === '') return null;
  const parsed = parsePhone(phone);
  return parsed.ok ? null : parsed.problem;
}

/** One stored form, E.164, whatever the desk typed; what cannot be read is left for phoneProblem to name. */
function toE164(phone: string): string {
  const parsed = parsePhone(phone);
  return parsed.ok ? parsed.e164 : phone;
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
    phone: z.string().trim().check(rule(phoneProblem)).overwrite(toE164).optional().transform(blankIsNone),
  };
}

/**
 * `today` is asked at each validation, so a station left running past midnight judges dates of
 * birth on the new day; tests and the form pass the day they are about.
 */
export function patientRegistrationSchema(today: () => string = () => clinicDay(new Date())) {
  return z.object({ nric: nricSchema, ...personFields(today) });
}

/**
 * The registration form: the same rules, with the date of birth typed dd/mm/yyyy in a text box rather than a date
 * picker, whose format follows the PC's locale (mm/dd/yyyy on an en-US Windows). Its output is what the contract
 * takes, an ISO date.
 */
export function patientRegistrationFormSchema(today: () => string = () => clinicDay(new Date())) {
  return patientRegistrationSchema(today).extend({
    dateOfBirth: z.string().transform((typed, context) => {
      const parsed = typedDateOfBirth(typed, today());
      if (parsed.ok) return parsed.iso;
      context.issues.push({ code: 'custom', message: parsed.problem, input: typed });
      return z.NEVER;
    }),
  });
}

type PatientRegistrationSchema = ReturnType<typeof patientRegistrationSchema>;
/** What a form or caller sends: blanks allowed, NRIC as typed. */
export type PatientRegistrationInput = z.input<PatientRegistrationSchema>;
/** What the station receives after parsing: NRIC normalised, blanks gone, every rule met. */
export type PatientRegistration = z.output<PatientRegistrationSchema>;
