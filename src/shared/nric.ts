/**
 * Singapore NRIC/FIN: a prefix letter, 7 digits and a check letter (DESIGN §6).
 * S/T are NRICs (citizens and PRs, born before / from 2000); F/G/M are FINs (foreigners; M issued from 2022).
 */

export type NricPrefix = 'S' | 'T' | 'F' | 'G' | 'M';
export type NricIdType = 'NRIC' | 'FIN';

const WEIGHTS = [2, 7, 6, 5, 4, 3, 2] as const;
const SHAPE = /^([STFGM])(\d{7})([A-Z])$/;
const FORMAT_HINT = 'NRIC/FIN must be a letter S, T, F, G or M, 7 digits and a check letter, e.g. S1234567D';

/** Removes every space, not only the outer ones: people type and scanners print "S 1234567 D". */
export function normalizeNric(s: string): string {
  return s.replace(/\s+/g, '').toUpperCase();
}

export function nricCheckLetter(prefix: NricPrefix, digits: string): string {
  if (!/^\d{7}$/.test(digits)) throw new RangeError(`NRIC/FIN digits must be exactly 7 digits, got "${digits}"`);
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += Number(digits[i]) * WEIGHTS[i]!;
  if (prefix === 'T' || prefix === 'G') sum += 4;
  else if (prefix === 'M') sum += 3;
  const r = sum % 11;
  switch (prefix) {
    case 'S':
    case 'T':
      return 'JZIHGFEDCBA'[r]!;
    case 'F':
    case 'G':
      return 'XWUTRQPNMLK'[r]!;
    case 'M':
      // The M series reads its table backwards; libraries that index it like F/G accept wrong letters.
      return 'KLJNPQRTUWX'[10 - r]!;
  }
}

/** Null when the (normalized) value is a valid NRIC/FIN, otherwise a sentence a receptionist can act on. */
export function describeNricProblem(s: string): string | null {
  const n = normalizeNric(s);
  const m = SHAPE.exec(n);
  if (!m) return FORMAT_HINT;
  const prefix = m[1] as NricPrefix;
  const digits = m[2]!;
  const expected = nricCheckLetter(prefix, digits);
  // Naming the letter that would pass would let a mistyped number through with a "corrected" letter.
  if (m[3] !== expected) return `${n} is not a valid NRIC/FIN: check the digits and the last letter against the card`;
  return null;
}

export function isValidNric(s: string): boolean {
  return describeNricProblem(s) === null;
}

function shaped(s: string): RegExpExecArray {
  const m = SHAPE.exec(normalizeNric(s));
  if (!m) throw new RangeError(FORMAT_HINT);
  return m;
}

/** S****567D: enough for staff to tell two patients apart, as PDPA guidance expects, without the full number. */
export function maskNric(s: string): string {
  const m = shaped(s);
  return `${m[1]}****${m[2]!.slice(4)}${m[3]}`;
}

export function nricIdType(s: string): NricIdType {
  const prefix = shaped(s)[1];
  return prefix === 'S' || prefix === 'T' ? 'NRIC' : 'FIN';
}
