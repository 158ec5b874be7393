import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, methods, parseInput } from '../../src/shared/contract';
import { genderLabel, patientRegistrationFormSchema, patientRegistrationSchema, type PatientRegistrationInput } from '../../src/shared/patient';

/** A Monday in Singapore; every rule that needs "today" is judged on it unless a test says otherwise. */
const TODAY = '2025-03-03';
const schema = patientRegistrationSchema(() => TODAY);

const valid: PatientRegistrationInput = {
  nric: 'S9812381D',
  fullName: 'Ong Bee Lian',
  dateOfBirth: '1958-04-02',
  gender: 'female',
};

/** The message beside each field, as the form shows it: the first issue per field. */
function problems(input: Record<string, unknown>, using: { safeParse: typeof schema.safeParse } = schema): Record<string, string> {
  const result = using.safeParse(input);
  const out: Record<string, string> = {};
  for (const issue of result.error?.issues ?? []) {
    const field = String(issue.path[0]);
    out[field] ??= issue.message;
  }
  return out;
}

describe('NRIC/FIN (DESIGN §6)', () => {
  /*
   * Check letters worked by hand from DESIGN §6: weights 2,7,6,5,4,3,2; +4 for T/G, +3 for M; r = sum mod 11.
   *   S9812381: 18+56+6+10+12+24+2 = 128; 128 mod 11 = 7 -> 'JZIHGFEDCBA'[7] = D
   *   T0123456: 0+7+12+15+16+15+12 = 77, +4 = 81; 81 mod 11 = 4 -> 'JZIHGFEDCBA'[4] = G
   *   F2345678: 4+21+24+25+24+21+16 = 135; 135 mod 11 = 3 -> 'XWUTRQPNMLK'[3] = T
   *   G7654321: 14+42+30+20+12+6+2 = 126, +4 = 130; 130 mod 11 = 9 -> 'XWUTRQPNMLK'[9] = L
   *   M5550123: 10+35+30+0+4+6+6 = 91, +3 = 94; 94 mod 11 = 6 -> 'KLJNPQRTUWX'[10 - 6] = P
   */
  it.each(['S9812381D', 'T0123456G', 'F2345678T', 'G7654321L', 'M5550123P'])('accepts %s', (nric) => {
    expect(schema.parse({ ...valid, nric }).nric).toBe(nric);
  });

  it('normalises what people type and scanners print: spaces and lower case', () => {
    expect(schema.parse({ ...valid, nric: ' s 9812381 d ' }).nric).toBe('S9812381D');
  });

  it('says a wrong check letter makes the NRIC not valid, without naming the letter that would pass', () => {
    expect(problems({ ...valid, nric: 'S9812381A' })).toEqual({ nric: 'S9812381A is not a valid NRIC/FIN: check the digits and the last letter against the card' });
    expect(problems({ ...valid, nric: 'm5550123k' }).nric).toMatch(/^M5550123K is not a valid NRIC\/FIN/);
    // The letter that would pass for these digits (D for S9812381, P for M5550123) appears nowhere in the message.
    expect(problems({ ...valid, nric: 'S9812381A' }).nric).not.toMatch(/\bD\b/);
    expect(problems({ ...valid, nric: 'm5550123k' }).nric).not.toMatch(/\bP\b/);
  });

  it('explains the shape of an NRIC/FIN when the value has another', () => {
    const hint = 'NRIC/FIN must be a letter S, T, F, G or M, 7 digits and a check letter, e.g. S1234567D';
    expect(problems({ ...valid, nric: 'A1234567B' })).toEqual({ nric: hint });
    expect(problems({ ...valid, nric: 'S123456D' })).toEqual({ nric: hint });
  });

  it('asks for it when the box is blank', () => {
    expect(problems({ ...valid, nric: '   ' })).toEqual({ nric: 'NRIC/FIN is required.' });
  });
});

describe('names', () => {
  it('trims the full name, keeps one space between words, and requires at least two letters', () => {
    expect(schema.parse({ ...valid, fullName: '  Ong  Bee   Lian  ' }).fullName).toBe('Ong Bee Lian');
    expect(problems({ ...valid, fullName: '   ' })).toEqual({ fullName: 'Full name is required.' });
    expect(problems({ ...valid, fullName: 'A' })).toEqual({ fullName: 'Full name must have at least 2 letters.' });
  });

  it('says how long a name may be, and how long this one is, rather than cutting it', () => {
    expect(problems({ ...valid, fullName: 'x'.repeat(121) })).toEqual({
      fullName: 'Full name can have at most 120 characters; this one has 121. Shorten it as the patient writes it on forms.',
    });
    expect(problems({ ...valid, fullName: 'x'.repeat(120) })).toEqual({});
  });

  it.each([
    'Rajesh Kumar s/o Subramaniam',
    'Siti Nur Aisyah d/o Ibrahim',
    'Nurul Aisyah binte Rahman',
    "Muhammad Haziq bin Md. Yusof",
    "O'Brien, Mary-Anne",
    'Tan, Hui Yi',
    'José Núñez',
    'Nguyễn Thị Minh Khai',
    'Ravi Ramanathan',
    'Ng Ah Kow',
    '陈伟明',
    'ராஜேஷ் குமார்',
  ])('accepts %s as a name', (fullName) => {
    expect(problems({ ...valid, fullName })).toEqual({});
  });

  it.each([
    ['..', /punctuation where a name has letters/],
    ['Tan 😀 Wei', /remove "😀"/],
    ['<b>Tan</b>', /remove "<", ">", \/ \(other than in s\/o or d\/o\)\.$/],
    ['Tan Wei Ming 2', /remove "2"/],
    ['Tan -- Wei', /punctuation where a name has letters/],
    ['Tan Wei,', /punctuation where a name has letters/],
    ['Tan Wei.Ming', /full stop inside a word/],
    ['Kumar s/ Ravi', /remove \/ \(other than in s\/o or d\/o\)\.$/],
  ])('refuses %s, saying what to change', (fullName, message) => {
    expect(problems({ ...valid, fullName }).fullName).toMatch(message);
  });

  it('lets the name in own script be a single character (a Chinese given name), but not a symbol', () => {
    expect(problems({ ...valid, nativeName: '慧' })).toEqual({});
    expect(problems({ ...valid, nativeName: '★' }).nativeName).toMatch(/Name in own script can only have letters/);
    expect(problems({ ...valid, nativeName: '王'.repeat(61) }).nativeName).toMatch(/at most 60 characters; this one has 61/);
  });

  it('keeps the name in own script when given and drops a blank one', () => {
    expect(schema.parse({ ...valid, nativeName: ' 王美云 ' }).nativeName).toBe('王美云');
    expect(schema.parse({ ...valid, nativeName: '  ' }).nativeName).toBeUndefined();
    expect(schema.parse(valid).nativeName).toBeUndefined();
  });
});

describe('date of birth, on the Singapore clinic day', () => {
  it('must be a real calendar date', () => {
    const message = 'Date of birth must be a real date (day, month and year).';
    for (const dateOfBirth of ['2023-02-29', '1990-04-31', '1990-13-01', '1990-6-15', '15/06/1990']) {
      expect(problems({ ...valid, dateOfBirth })).toEqual({ dateOfBirth: message });
    }
    expect(schema.parse({ ...valid, dateOfBirth: '2024-02-29' }).dateOfBirth).toBe('2024-02-29');
  });

  it('is required', () => {
    expect(problems({ ...valid, dateOfBirth: '' })).toEqual({ dateOfBirth: 'Date of birth is required.' });
  });

  it('may be today but not tomorrow', () => {
    expect(problems({ ...valid, dateOfBirth: '2025-03-03' })).toEqual({});
    expect(problems({ ...valid, dateOfBirth: '2025-03-04' })).toEqual({ dateOfBirth: 'Date of birth cannot be in the future.' });
  });

  it('may be 130 years ago but not more', () => {
    // 2025-03-03 minus 1894-03-04: the 131st birthday is still a day away, so 130 years old.
    expect(problems({ ...valid, dateOfBirth: '1894-03-04' })).toEqual({});
    expect(problems({ ...valid, dateOfBirth: '1894-03-03' })).toEqual({
      dateOfBirth: 'Date of birth is more than 130 years ago: please check the year.',
    });
  });

  describe('in the contract, judged on the clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('uses the Singapore day, not the UTC one, just after midnight in Singapore', () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      // 17:30 UTC on 3 March is 01:30 on 4 March in Singapore.
      vi.setSystemTime(new Date('2025-03-03T17:30:00Z'));
      const contract = methods['patients.register'].input;
      expect(problems({ ...valid, dateOfBirth: '2025-03-04' }, contract)).toEqual({});
      expect(problems({ ...valid, dateOfBirth: '2025-03-05' }, contract)).toEqual({ dateOfBirth: 'Date of birth cannot be in the future.' });
    });
  });
});

describe('gender and phone', () => {
  it('asks for a gender when none is chosen', () => {
    expect(problems({ ...valid, gender: '' })).toEqual({ gender: 'Choose a gender.' });
  });

  it('names every gender in words, "other" included', () => {
    expect([genderLabel('male'), genderLabel('female'), genderLabel('other')]).toEqual(['Male', 'Female', 'Other']);
  });

  it('stores a number however the desk types it in one form, E.164, and drops a blank one', () => {
    for (const phone of [' +65 9123 4567 ', '91234567', '9123-4567', '65 9123 4567']) expect(schema.parse({ ...valid, phone }).phone).toBe('+6591234567');
    expect(schema.parse({ ...valid, phone: '+60 12-345 6789' }).phone).toBe('+60123456789');
    expect(schema.parse({ ...valid, phone: '' }).phone).toBeUndefined();
    expect(schema.parse({ ...valid, phone: '   ' }).phone).toBeUndefined();
  });

  it('takes its own output again unchanged, as the station parses what the form sends', () => {
    const once = schema.parse({ ...valid, phone: '9123 4567' });
    expect(schema.parse(once)).toEqual(once);
  });

  it('refuses what is not a phone number, saying what is wrong with it', () => {
    expect(problems({ ...valid, phone: '1234 5678' })).toEqual({ phone: 'Phone: a Singapore number starts with 3, 6, 8 or 9, not 1; e.g. 9123 4567, or +60 12 345 6789 for a number abroad.' });
    expect(problems({ ...valid, phone: '1234567' }).phone).toMatch(/^Phone: a Singapore number has 8 digits, this one has 7;/);
    expect(problems({ ...valid, phone: '+65 9123 4567 8901' }).phone).toMatch(/^Phone: a Singapore number has 8 digits after \+65, this one has 12;/);
    expect(problems({ ...valid, phone: 'call me' }).phone).toMatch(/^Phone can only have digits, spaces, hyphens and a leading \+/);
  });
});

describe('the registration form (date of birth typed dd/mm/yyyy)', () => {
  const form = patientRegistrationFormSchema(() => TODAY);
  const typed = { ...valid, dateOfBirth: '07/03/1958' };

  it('reads 07/03/1958 as 7 March 1958 and sends the contract its ISO date', () => {
    const sent = form.parse(typed);
    expect(sent.dateOfBirth).toBe('1958-03-07');
    expect(schema.parse(sent).dateOfBirth).toBe('1958-03-07');
  });

  it('asks for dd/mm/yyyy, with an example, for anything else', () => {
    for (const dateOfBirth of ['1958-03-07', '07/03/58', '7 March 1958']) {
      expect(problems({ ...typed, dateOfBirth }, form)).toEqual({ dateOfBirth: 'Date of birth: use dd/mm/yyyy, e.g. 07/03/1958.' });
    }
  });

  it('names a date that is not on the calendar, and keeps the rules of the date itself', () => {
    expect(problems({ ...typed, dateOfBirth: '31/04/1990' }, form)).toEqual({ dateOfBirth: 'Date of birth: 31/04/1990 is not a date on the calendar: check the day and the month.' });
    expect(problems({ ...typed, dateOfBirth: '' }, form)).toEqual({ dateOfBirth: 'Date of birth is required.' });
    expect(problems({ ...typed, dateOfBirth: '04/03/2025' }, form)).toEqual({ dateOfBirth: 'Date of birth cannot be in the future.' });
    expect(problems({ ...typed, dateOfBirth: '03/03/1894' }, form)).toEqual({ dateOfBirth: 'Date of birth is more than 130 years ago: please check the year.' });
  });

  it('gives one message per wrong field for an empty form, as the contract does', () => {
    const result = form.safeParse({ nric: '', fullName: '', nativeName: '', dateOfBirth: '', gender: '', phone: '' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['nric', 'fullName', 'dateOfBirth', 'gender']);
  });
});

describe('the whole registration', () => {
  it('gives exactly one message per wrong field for an empty form', () => {
    const result = schema.safeParse({ nric: '', fullName: '', nativeName: '', dateOfBirth: '', gender: '', phone: '' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['nric', 'fullName', 'dateOfBirth', 'gender']);
  });

  it('is what the station contract parses, refused as a validation error naming the field', () => {
    let error: unknown;
    try {
      parseInput('patients.register', { ...valid, nric: 'S9812381A' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('validation');
    expect((error as ApiError).message).toBe('S9812381A is not a valid NRIC/FIN: check the digits and the last letter against the card.');
  });
});
