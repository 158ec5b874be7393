import { describe, expect, it } from 'vitest';
import { formatPhone, parsePhone } from '../../src/shared/phone';

/*
 * Singapore numbers: 8 digits, the first 3 (VoIP), 6 (fixed line), 8 or 9 (mobile) (IMDA National Numbering Plan);
 * other countries after "+" and their code, E.164 (at most 15 digits).
 */
describe('parsePhone', () => {
  it.each([
    ['9123 4567', '+6591234567'],
    ['91234567', '+6591234567'],
    ['9123-4567', '+6591234567'],
    ['+65 9123 4567', '+6591234567'],
    ['+65-9123-4567', '+6591234567'],
    ['(65) 9123 4567', '+6591234567'],
    ['65 9123 4567', '+6591234567'],
    ['6123 4567', '+6561234567'],
    ['8123 4567', '+6581234567'],
    ['3123 4567', '+6531234567'],
    [' +60 12-345 6789 ', '+60123456789'],
    ['+86 138 0013 8000', '+8613800138000'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('stores %s as %s', (typed, e164) => {
    expect(parsePhone(typed)).toEqual({ ok: true, e164 });
  });

  it('says a Singapore number starts with 3, 6, 8 or 9', () => {
    expect(parsePhone('5123 4567')).toEqual({ ok: false, problem: 'Phone: a Singapore number starts with 3, 6, 8 or 9, not 5; e.g. 9123 4567, or +60 12 345 6789 for a number abroad.' });
    expect(parsePhone('+65 1234 5678')).toMatchObject({ ok: false, problem: expect.stringMatching(/starts with 3, 6, 8 or 9, not 1/) });
  });

  it('counts the digits of a Singapore number that has too few or too many', () => {
    expect(parsePhone('9123 456')).toEqual({ ok: false, problem: 'Phone: a Singapore number has 8 digits, this one has 7; e.g. 9123 4567, or +60 12 345 6789 for a number abroad.' });
    expect(parsePhone('+65 9123 45678')).toMatchObject({ ok: false, problem: expect.stringMatching(/^Phone: a Singapore number has 8 digits after \+65, this one has 9;/) });
    // Ten digits that are not 65 and a Singapore number are not read as one.
    expect(parsePhone('6612345678')).toMatchObject({ ok: false, problem: expect.stringMatching(/has 8 digits, this one has 10/) });
  });

  it('asks a number abroad for its country code and a plausible length', () => {
    expect(parsePhone('+60 123')).toMatchObject({ ok: false, problem: expect.stringMatching(/8 to 15 digits in all/) });
    expect(parsePhone('+0 1234 5678')).toMatchObject({ ok: false, problem: expect.stringMatching(/country code/) });
    expect(parsePhone('+1234567890123456')).toMatchObject({ ok: false });
  });

  it('refuses letters and other marks', () => {
    expect(parsePhone('9123 4567 ext 2')).toMatchObject({ ok: false, problem: expect.stringMatching(/^Phone can only have digits, spaces, hyphens and a leading \+/) });
    expect(parsePhone('91+234567')).toMatchObject({ ok: false });
  });
});

describe('formatPhone', () => {
  it('groups a Singapore number as +65 9123 4567', () => {
    expect(formatPhone('+6591234567')).toBe('+65 9123 4567');
  });

  it('shows a number stored in an older format the same way', () => {
    expect(formatPhone('9123 4567')).toBe('+65 9123 4567');
    expect(formatPhone('+65 9123-4567')).toBe('+65 9123 4567');
  });

  it('leaves a number abroad, and anything it cannot read, as stored', () => {
    expect(formatPhone('+60123456789')).toBe('+60123456789');
    expect(formatPhone('call after 6pm')).toBe('call after 6pm');
  });
});
