import { describe, expect, it } from 'vitest';
import { generatePeople, type Person } from '../../seeds/people';
import { ageOn } from '../../src/shared/clinic-day';
import { isValidNric } from '../../src/shared/nric';

const today = new Date('2025-03-14T02:00:00Z');
const TODAY = '2025-03-14';
const people = generatePeople(3000, 42, { today });

const share = (pred: (p: Person) => boolean) => people.filter(pred).length / people.length;

describe('generatePeople', () => {
  it('generates the requested number of people', () => {
    expect(people).toHaveLength(3000);
    expect(generatePeople(0, 42, { today })).toEqual([]);
    expect(() => generatePeople(-1, 42, { today })).toThrow(RangeError);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generatePeople(200, 42, { today })).toEqual(people.slice(0, 200));
    const other = generatePeople(200, 43, { today });
    expect(other.map((p) => p.nric)).not.toEqual(people.slice(0, 200).map((p) => p.nric));
  });

  it('gives everyone a valid, unique NRIC/FIN', () => {
    for (const p of people) expect(isValidNric(p.nric), p.nric).toBe(true);
    expect(new Set(people.map((p) => p.nric)).size).toBe(people.length);
  });

  it('uses every series: S, T, F, G and M', () => {
    const series = new Set(people.map((p) => p.nric[0]));
    expect([...series].sort()).toEqual(['F', 'G', 'M', 'S', 'T']);
  });

  it('matches NRIC series to birth year: S before 2000, T from 2000, year digits from 1968', () => {
    for (const p of people.filter((x) => /^[ST]/.test(x.nric))) {
      const year = Number(p.dateOfBirth.slice(0, 4));
      expect(p.nric[0], `${p.nric} ${p.dateOfBirth}`).toBe(year < 2000 ? 'S' : 'T');
      if (year >= 1968) expect(p.nric.slice(1, 3)).toBe(p.dateOfBirth.slice(2, 4));
    }
  });

  it('only issues FIN series that existed after birth: no F for those born from 2000, no G from 2022', () => {
    for (const p of people) {
      const year = Number(p.dateOfBirth.slice(0, 4));
      if (p.nric.startsWith('F')) expect(year).toBeLessThan(2000);
      if (p.nric.startsWith('G')) expect(year).toBeLessThan(2022);
    }
    expect(people.some((p) => p.nric.startsWith('M') && p.dateOfBirth >= '2022-01-01')).toBe(true);
  });

  it('mixes ethnicities roughly as Singapore residents: 74 / 13 / 9 / 4 %', () => {
    expect(share((p) => p.ethnicity === 'chinese')).toBeCloseTo(0.74, 1);
    expect(share((p) => p.ethnicity === 'malay')).toBeCloseTo(0.13, 1);
    expect(share((p) => p.ethnicity === 'indian')).toBeCloseTo(0.09, 1);
    expect(share((p) => p.ethnicity === 'other')).toBeCloseTo(0.04, 1);
    expect(share((p) => p.ethnicity === 'other')).toBeGreaterThan(0.01);
  });

  it('gives Chinese people a romanised name and a native name in Chinese characters, syllable by syllable', () => {
    const chars = new Map<string, string>();
    const chinese = people.filter((p) => p.ethnicity === 'chinese');
    for (const p of chinese) {
      expect(p.nativeName, p.fullName).toMatch(/^[\u4e00-\u9fff]{3}$/);
      const words = p.fullName.split(' ');
      expect(words).toHaveLength(3);
      // The same romanised surname or syllable must always be written with the same character.
      words.forEach((w, i) => {
        const key = `${i === 0 ? 'surname' : 'given'}:${w}`;
        const ch = [...p.nativeName!][i]!;
        expect(chars.get(key) ?? ch, `${p.fullName} ${p.nativeName}`).toBe(ch);
        chars.set(key, ch);
      });
    }
    const tan = chinese.find((p) => p.fullName.startsWith('Tan '));
    expect(tan?.nativeName?.[0]).toBe('陈');
  });

  it('names Malay and Indian people with bin/binte and s/o / d/o matching their gender', () => {
    for (const p of people.filter((x) => x.ethnicity === 'malay')) {
      expect(p.fullName).toMatch(p.gender === 'male' ? / bin [A-Z]/ : / binte [A-Z]/);
    }
    for (const p of people.filter((x) => x.ethnicity === 'indian')) {
      expect(p.fullName).toMatch(p.gender === 'male' ? / s\/o [A-Z]/ : / d\/o [A-Z]/);
    }
    expect(people.some((p) => p.gender === 'male')).toBe(true);
    expect(people.some((p) => p.gender === 'female')).toBe(true);
  });

  it('spans ages 0 to 95 with some 80 and over', () => {
    const ages = people.map((p) => ageOn(p.dateOfBirth, TODAY));
    expect(Math.min(...ages)).toBe(0);
    expect(Math.max(...ages)).toBeLessThanOrEqual(95);
    expect(Math.max(...ages)).toBeGreaterThanOrEqual(90);
    const elderly = ages.filter((a) => a >= 80).length / ages.length;
    expect(elderly).toBeGreaterThan(0.04);
    expect(elderly).toBeLessThan(0.15);
  });

  it('gives Singapore mobile numbers and HDB addresses with 6-digit postal codes', () => {
    for (const p of people) {
      expect(p.phone).toMatch(/^\+65 [89]\d{3} \d{4}$/);
      expect(p.address).toMatch(/^Blk \d{1,3} [A-Za-z0-9 ]+, #\d{2}-\d{2,3}, Singapore \d{6}$/);
      const block = /^Blk (\d+)/.exec(p.address)![1]!;
      expect(p.address.endsWith(block.padStart(3, '0'))).toBe(true);
    }
  });

  it('uses reserved example domains for email and none for young children', () => {
    for (const p of people) {
      if (p.email !== null) expect(p.email).toMatch(/^[a-z]+\.[a-z]+\d*@example\.(com|net|org)$/);
      if (ageOn(p.dateOfBirth, TODAY) < 13) expect(p.email).toBeNull();
    }
    expect(people.some((p) => p.email !== null)).toBe(true);
  });
});
