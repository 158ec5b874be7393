import { describeNricProblem, normalizeNric } from './nric';
import { parsePhone } from './phone';

/*
 * How reception finds a patient from what is said at the desk. A patient is indexed under a list of terms (the
 * words of their names, their NRIC tail, their phone number) and a query is a list of term prefixes that must all
 * be found, in any order: "Hui Yi Tan", "Tan, Hui Yi" and "tan  hui yi" are the same three prefixes. The station
 * keeps the terms in an FTS5 index (src/main/patients/tables.ts); `matchesTerms` is the same rule in plain
 * TypeScript for the in-memory fake and the tests.
 */

export type PatientQuery = { kind: 'none' } | { kind: 'nric'; nric: string } | { kind: 'terms'; terms: string[] };

/** Full-width letters and digits (as a Chinese input method types them) become ASCII; Latin accents go (José = Jose). */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/(?<=\p{Script=Latin})\p{M}+/gu, '').normalize('NFC').toLowerCase();
}

/** Letters of any script with their marks, and digits; everything else (commas, hyphens, s/o's slash) separates. */
function words(text: string): string[] {
  return fold(text)
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((w) => w !== '');
}

const HAN = /^\p{Script=Han}+$/u;

/**
 * The terms one name is found by. A written word that holds punctuation is also kept whole without it, so "O'Neil"
 * is found by "oneil" as well as "o neil". A Chinese name is one run of characters, surname first (陈慧怡), so it
 * is also indexed from each later character: 慧怡, the given name, finds it, and so does 怡 alone; this needs no
 * list of compound surnames (欧阳慧怡 is found by 慧怡 the same way).
 */
function nameTerms(name: string): string[] {
  const terms = words(name);
  for (const written of name.split(/\s+/u)) {
    const parts = words(written);
    if (parts.length > 1) terms.push(parts.join(''));
  }
  for (const word of [...terms]) {
    if (!HAN.test(word)) continue;
    const chars = [...word];
    for (let i = 1; i < chars.length; i++) terms.push(chars.slice(i).join(''));
  }
  return terms;
}

/**
 * The phone as the desk asks for it: the full number with country code, the Singapore number without it, and the
 * last four digits ("the last four of your mobile?"). A stored number in an older format still gives its digits.
 */
function phoneTerms(phone: string): string[] {
  const parsed = parsePhone(phone);
  const digits = parsed.ok ? parsed.e164.slice(1) : phone.replace(/\D/g, '');
  if (digits === '') return [];
  const terms = [digits, digits.slice(-4)];
  if (parsed.ok && parsed.e164.startsWith('+65')) terms.push(digits.slice(2));
  return terms;
}

export interface Searchable {
  fullName: string;
  nativeName: string | null;
  /** S****567D: only the tail is a term, or every "s…" query would match every S-series NRIC. */
  nricMasked: string;
  phone: string | null;
}

/** Every term a patient is found by, without repeats. */
export function patientSearchTerms(patient: Searchable): string[] {
  const terms = [...nameTerms(patient.fullName), ...(patient.nativeName ? nameTerms(patient.nativeName) : [])];
  terms.push(patient.nricMasked.slice(-4).toLowerCase());
  if (patient.phone) terms.push(...phoneTerms(patient.phone));
  return [...new Set(terms)];
}

/** Digits and what people write between them ("+65 9123-4567", "(65) 9123 4567"): a number, not words. */
const PHONE_LIKE = /^\+?[\d\s().-]*\d[\d\s().-]*$/;

/** What a typed query asks for. A whole valid NRIC/FIN is looked up exactly; the rest is prefixes to find. */
export function parsePatientQuery(query: string): PatientQuery {
  const text = query.trim();
  if (text === '') return { kind: 'none' };
  const nric = normalizeNric(text);
  if (describeNricProblem(nric) === null) return { kind: 'nric', nric };
  if (PHONE_LIKE.test(fold(text))) {
    // A phone number is one term however it is grouped; "+65 9123 4567" finds the number stored as +6591234567.
    const digits = fold(text).replace(/\D/g, '');
    return { kind: 'terms', terms: [digits] };
  }
  const terms = [...new Set(words(text))];
  return terms.length === 0 ? { kind: 'none' } : { kind: 'terms', terms };
}

/** True when every query term starts one of the patient's terms: the rule the FTS5 prefix query applies. */
export function matchesTerms(patientTerms: readonly string[], queryTerms: readonly string[]): boolean {
  return queryTerms.every((q) => patientTerms.some((t) => t.startsWith(q)));
}
