import { describe, expect, it } from 'vitest';
import {
  describeNricProblem,
  isValidNric,
  maskNric,
  normalizeNric,
  nricCheckLetter,
  nricIdType,
} from '../../src/shared/nric';

describe('NRIC/FIN check letters (DESIGN §6)', () => {
  it('accepts the DESIGN §6 vectors S1234567D and M1234567K', () => {
    expect(isValidNric('S1234567D')).toBe(true);
    expect(isValidNric('M1234567K')).toBe(true);
  });

  it('rejects M1234567X, the letter libraries that index the M table like F/G produce (DESIGN §6)', () => {
    expect(isValidNric('M1234567X')).toBe(false);
    expect(describeNricProblem('M1234567X')).toBe('M1234567X is not a valid NRIC/FIN: check the digits and the last letter against the card');
  });

  /*
   * Derived by hand from the DESIGN §6 rule. Digits 1234567 weighted 2,7,6,5,4,3,2:
   * 2 + 14 + 18 + 20 + 20 + 18 + 14 = 106.
   *   T: 106 + 4 = 110, 110 mod 11 = 0  -> 'JZIHGFEDCBA'[0] = J  => T1234567J
   *   F: 106,      106 mod 11 = 7  -> 'XWUTRQPNMLK'[7] = N  => F1234567N
   *   G: 106 + 4 = 110, 110 mod 11 = 0  -> 'XWUTRQPNMLK'[0] = X  => G1234567X
   * Digits 0000000 (sum 0) check the tables' other end:
   *   S: 0 mod 11 = 0 -> J => S0000000J;  M: 0 + 3 = 3 -> 'KLJNPQRTUWX'[10 - 3] = T => M0000000T
   */
  it.each([
    ['T', '1234567', 'J'],
    ['F', '1234567', 'N'],
    ['G', '1234567', 'X'],
    ['S', '1234567', 'D'],
    ['M', '1234567', 'K'],
    ['S', '0000000', 'J'],
    ['M', '0000000', 'T'],
  ] as const)('%s%s has check letter %s', (prefix, digits, letter) => {
    expect(nricCheckLetter(prefix, digits)).toBe(letter);
    expect(isValidNric(`${prefix}${digits}${letter}`)).toBe(true);
  });

  it('rejects every other check letter for the hand-derived vectors', () => {
    for (const valid of ['S1234567D', 'T1234567J', 'F1234567N', 'G1234567X', 'M1234567K']) {
      for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
        const candidate = valid.slice(0, 8) + letter;
        expect(isValidNric(candidate), candidate).toBe(candidate === valid);
      }
    }
  });

  it('refuses digits that are not exactly seven', () => {
    expect(() => nricCheckLetter('S', '123456')).toThrow(RangeError);
    expect(() => nricCheckLetter('S', '12345a7')).toThrow(RangeError);
  });
});

describe('normalizing and describing', () => {
  it('trims, uppercases and drops inner spaces', () => {
    expect(normalizeNric('  s 1234 567d ')).toBe('S1234567D');
    expect(normalizeNric('\tm1234567k\n')).toBe('M1234567K');
  });

  it('validates lowercase and spaced input after normalizing', () => {
    expect(isValidNric(' s1234567d ')).toBe(true);
    expect(isValidNric('t 1234567 j')).toBe(true);
    expect(describeNricProblem('s1234567a')).toBe('S1234567A is not a valid NRIC/FIN: check the digits and the last letter against the card');
  });

  it.each(['', 'S123456D', 'S12345678D', 'A1234567D', '1234567D', 'S1234567', 'S12345X7D'])(
    'explains the expected shape for %j',
    (input) => {
      expect(isValidNric(input)).toBe(false);
      expect(describeNricProblem(input)).toBe(
        'NRIC/FIN must be a letter S, T, F, G or M, 7 digits and a check letter, e.g. S1234567D',
      );
    },
  );

  it('returns null for valid values', () => {
    expect(describeNricProblem('G1234567X')).toBeNull();
  });
});

describe('masking and id type', () => {
  it('masks to first letter, four stars, last three digits and the check letter', () => {
    expect(maskNric('S1234567D')).toBe('S****567D');
    expect(maskNric(' m1234567k')).toBe('M****567K');
  });

  it('refuses to mask something that is not shaped like an NRIC/FIN rather than leak it', () => {
    expect(() => maskNric('hello')).toThrow(RangeError);
  });

  it('classifies S/T as NRIC and F/G/M as FIN', () => {
    expect(nricIdType('S1234567D')).toBe('NRIC');
    expect(nricIdType('t1234567j')).toBe('NRIC');
    expect(nricIdType('F1234567N')).toBe('FIN');
    expect(nricIdType('G1234567X')).toBe('FIN');
    expect(nricIdType('M1234567K')).toBe('FIN');
    expect(() => nricIdType('X1234567D')).toThrow(RangeError);
  });
});
