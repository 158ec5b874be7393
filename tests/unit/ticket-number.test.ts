import { describe, expect, it } from 'vitest';
import { formatTicketNumber, nextDeskSeq, parseTicketNumber } from '../../src/shared/ticket-number';

describe('formatTicketNumber', () => {
  it('pads the sequence to three digits after the desk letter', () => {
    expect(formatTicketNumber('A', 12)).toBe('A012');
    expect(formatTicketNumber('B', 1)).toBe('B001');
    expect(formatTicketNumber('Z', 999)).toBe('Z999');
  });

  it.each([0, 1000, -1, 1.5, Number.NaN])('rejects sequence %s with a RangeError naming the range', (seq) => {
    expect(() => formatTicketNumber('A', seq)).toThrow(RangeError);
    expect(() => formatTicketNumber('A', seq)).toThrow(/1 to 999/);
  });

  it.each(['a', 'AB', '', '1', 'Ä'])('rejects desk letter %j', (letter) => {
    expect(() => formatTicketNumber(letter, 1)).toThrow(/one capital letter A-Z/);
  });
});

describe('parseTicketNumber', () => {
  it('splits a ticket number into letter and sequence', () => {
    expect(parseTicketNumber('A012')).toEqual({ letter: 'A', seq: 12 });
    expect(parseTicketNumber('Z999')).toEqual({ letter: 'Z', seq: 999 });
  });

  it.each(['A000', 'A12', 'A1234', 'a012', '0012', 'AB12', ' A012', ''])('returns null for %j', (s) => {
    expect(parseTicketNumber(s)).toBeNull();
  });

  it('round-trips every sequence of a desk', () => {
    for (let seq = 1; seq <= 999; seq++) {
      expect(parseTicketNumber(formatTicketNumber('C', seq))).toEqual({ letter: 'C', seq });
    }
  });
});

describe('nextDeskSeq', () => {
  it('starts at 1 on a fresh day', () => {
    expect(nextDeskSeq(0, 0)).toBe(1);
  });

  it('continues after local tickets the centre has not seen yet', () => {
    expect(nextDeskSeq(15, 12)).toBe(16);
  });

  it('continues after the centre when the local database was lost', () => {
    expect(nextDeskSeq(0, 40)).toBe(41);
  });

  it('refuses to issue past 999', () => {
    expect(nextDeskSeq(998, 0)).toBe(999);
    expect(() => nextDeskSeq(999, 3)).toThrow(/all 999 ticket numbers/);
  });

  it('rejects negative or fractional maxima', () => {
    expect(() => nextDeskSeq(-1, 0)).toThrow(RangeError);
    expect(() => nextDeskSeq(0, 2.5)).toThrow(/centralMax/);
  });
});
