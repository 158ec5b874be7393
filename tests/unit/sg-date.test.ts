import { describe, expect, it } from 'vitest';
import { ageLabel, formatDayMonthYear, parseDayMonthYear } from '../../src/shared/sg-date';

describe('parseDayMonthYear (Singapore writes the day first)', () => {
  it('reads 07/03/1958 as 7 March 1958, never 3 July', () => {
    expect(parseDayMonthYear('07/03/1958', 'Date of birth')).toEqual({ ok: true, iso: '1958-03-07' });
  });

  it('takes one-digit days and months, other separators and spaces around', () => {
    expect(parseDayMonthYear(' 7/3/1958 ', 'Date of birth')).toEqual({ ok: true, iso: '1958-03-07' });
    expect(parseDayMonthYear('07-03-1958', 'Date of birth')).toEqual({ ok: true, iso: '1958-03-07' });
    expect(parseDayMonthYear('07.03.1958', 'Date of birth')).toEqual({ ok: true, iso: '1958-03-07' });
  });

  it.each(['1958-03-07', '07/03/58', '7 Mar 1958', '07/03-1958', '07031958', '', '07/03/1958 10:00'])('asks for dd/mm/yyyy instead of %j', (typed) => {
    expect(parseDayMonthYear(typed, 'Date of birth')).toEqual({ ok: false, problem: 'Date of birth: use dd/mm/yyyy, e.g. 07/03/1958.' });
  });

  it('names a day that is not on the calendar, without swapping day and month to make one', () => {
    expect(parseDayMonthYear('31/04/1990', 'Date of birth')).toEqual({
      ok: false,
      problem: 'Date of birth: 31/04/1990 is not a date on the calendar: check the day and the month.',
    });
    expect(parseDayMonthYear('03/13/1990', 'Date of birth')).toMatchObject({ ok: false, problem: expect.stringMatching(/03\/13\/1990 is not a date/) });
    expect(parseDayMonthYear('29/02/2023', 'Date of birth')).toMatchObject({ ok: false });
    expect(parseDayMonthYear('29/02/2024', 'Date of birth')).toEqual({ ok: true, iso: '2024-02-29' });
  });
});

describe('formatDayMonthYear', () => {
  it('shows an ISO date as dd/mm/yyyy', () => {
    expect(formatDayMonthYear('1958-03-07')).toBe('07/03/1958');
  });

  it('refuses what is not an ISO date rather than showing nonsense', () => {
    expect(() => formatDayMonthYear('07/03/1958')).toThrow(RangeError);
  });
});

describe('ageLabel', () => {
  it('counts whole years from two years old', () => {
    expect(ageLabel('1961-08-27', '2025-03-03')).toBe('63 years');
    expect(ageLabel('2023-03-03', '2025-03-03')).toBe('2 years');
  });

  it('counts months under two years, completed on the same day of the month', () => {
    expect(ageLabel('2023-12-20', '2025-03-03')).toBe('14 months');
    expect(ageLabel('2023-03-04', '2025-03-03')).toBe('23 months');
    expect(ageLabel('2025-01-31', '2025-03-03')).toBe('1 month');
    expect(ageLabel('2025-01-31', '2025-02-28')).toBe('28 days');
  });

  it('counts days in the first month', () => {
    expect(ageLabel('2025-02-20', '2025-03-03')).toBe('11 days');
    expect(ageLabel('2025-03-02', '2025-03-03')).toBe('1 day');
    expect(ageLabel('2025-03-03', '2025-03-03')).toBe('0 days');
  });

  it('refuses a birth after the day', () => {
    expect(() => ageLabel('2025-03-04', '2025-03-03')).toThrow(RangeError);
  });
});
