import { describe, expect, it } from 'vitest';
import { ageOn, CLINIC_TIME_ZONE, clinicDay } from '../../src/shared/clinic-day';

describe('clinicDay', () => {
  it('is Singapore time', () => {
    expect(CLINIC_TIME_ZONE).toBe('Asia/Singapore');
  });

  it('puts 23:30 UTC on the next day in Singapore (UTC+8)', () => {
    expect(clinicDay(new Date('2025-03-14T23:30:00Z'))).toBe('2025-03-15');
  });

  it('changes day at 16:00 UTC, Singapore midnight', () => {
    expect(clinicDay(new Date('2025-12-31T15:59:59.999Z'))).toBe('2025-12-31');
    expect(clinicDay(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01');
  });

  it('ignores the offset the instant was written in', () => {
    expect(clinicDay(new Date('2025-06-01T08:00:00-07:00'))).toBe('2025-06-01');
    expect(clinicDay(new Date('2025-06-01T10:00:00-07:00'))).toBe('2025-06-02');
  });

  it('rejects an invalid date', () => {
    expect(() => clinicDay(new Date('nope'))).toThrow(RangeError);
  });
});

describe('ageOn', () => {
  it('counts a year only from the birthday itself', () => {
    expect(ageOn('1945-06-15', '2025-06-14')).toBe(79);
    expect(ageOn('1945-06-15', '2025-06-15')).toBe(80);
    expect(ageOn('1945-06-15', '2025-06-16')).toBe(80);
  });

  it('handles month boundaries', () => {
    expect(ageOn('2000-12-31', '2001-12-30')).toBe(0);
    expect(ageOn('2000-12-31', '2001-12-31')).toBe(1);
    expect(ageOn('2000-01-01', '2000-12-31')).toBe(0);
  });

  it('is 0 on the day of birth', () => {
    expect(ageOn('2025-03-01', '2025-03-01')).toBe(0);
  });

  it('lets a 29 February child complete a year on 1 March in common years', () => {
    expect(ageOn('2004-02-29', '2005-02-28')).toBe(0);
    expect(ageOn('2004-02-29', '2005-03-01')).toBe(1);
    expect(ageOn('2004-02-29', '2008-02-29')).toBe(4);
  });

  it('rejects impossible dates and a birth after the day', () => {
    expect(() => ageOn('2023-02-29', '2025-01-01')).toThrow(/calendar date/);
    expect(() => ageOn('1990-13-01', '2025-01-01')).toThrow(RangeError);
    expect(() => ageOn('1990-1-1', '2025-01-01')).toThrow(RangeError);
    expect(() => ageOn('2025-01-02', '2025-01-01')).toThrow(/after/);
  });
});
