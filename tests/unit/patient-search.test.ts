import { describe, expect, it } from 'vitest';
import { matchesTerms, parsePatientQuery, patientSearchTerms } from '../../src/shared/patient-search';
import { SEARCH_CASES, SEARCH_PEOPLE } from '../support/patient-search-cases';

function find(query: string): string[] {
  const parsed = parsePatientQuery(query);
  if (parsed.kind !== 'terms') return [];
  return SEARCH_PEOPLE.filter((p) => matchesTerms(patientSearchTerms(p), parsed.terms)).map((p) => p.key);
}

describe('patient search: what a query finds', () => {
  it.each(SEARCH_CASES)('%s finds %j', (query, keys) => {
    expect(find(query).sort()).toEqual([...keys].sort());
  });
});

describe('parsePatientQuery', () => {
  it('looks a whole valid NRIC/FIN up exactly, however it is typed', () => {
    expect(parsePatientQuery(' s 1234567 d ')).toEqual({ kind: 'nric', nric: 'S1234567D' });
  });

  it('reads name words in any case, without punctuation or extra spaces', () => {
    expect(parsePatientQuery('Tan,  Hui-Yi')).toEqual({ kind: 'terms', terms: ['tan', 'hui', 'yi'] });
  });

  it('reads a phone number as one number, however it is grouped', () => {
    expect(parsePatientQuery('+65 (9123) 45-67')).toEqual({ kind: 'terms', terms: ['6591234567'] });
  });

  it('asks for nothing when nothing searchable was typed', () => {
    expect(parsePatientQuery('   ')).toEqual({ kind: 'none' });
    expect(parsePatientQuery(', - .')).toEqual({ kind: 'none' });
  });
});

describe('patientSearchTerms', () => {
  it('indexes a Chinese name from each character on, so the given name finds it', () => {
    const terms = patientSearchTerms({ fullName: 'Tan Hui Yi', nativeName: '陈慧怡', nricMasked: 'S****543J', phone: null });
    expect(terms).toEqual(['tan', 'hui', 'yi', '陈慧怡', '慧怡', '怡', '543j']);
  });

  it('indexes the NRIC tail only, and a phone as full number, Singapore number and last four digits', () => {
    const terms = patientSearchTerms({ fullName: 'Ali', nativeName: null, nricMasked: 'S****567D', phone: '+6591234567' });
    expect(terms).toEqual(['ali', '567d', '6591234567', '4567', '91234567']);
    expect(terms).not.toContain('s');
  });
});
