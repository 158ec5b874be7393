import type { Searchable } from '../../src/shared/patient-search';

/*
 * What reception types and whom it must find, written once: the unit test checks the rule in TypeScript
 * (src/shared/patient-search.ts), the cache test checks the station's FTS5 index gives the same answers.
 */

export const SEARCH_PEOPLE: (Searchable & { key: string })[] = [
  { key: 'huiyi', fullName: 'Tan Hui Yi', nativeName: '陈慧怡', nricMasked: 'S****543J', phone: '+6596612840' },
  { key: 'weiming', fullName: 'Tan Wei Ming', nativeName: '陈伟明', nricMasked: 'S****567D', phone: '+6591234567' },
  { key: 'ouyang', fullName: 'Au Yong Hui Yi', nativeName: '欧阳慧怡', nricMasked: 'T****101Z', phone: null },
  { key: 'tanya', fullName: 'Tanya Fernandez', nativeName: null, nricMasked: 'T****334B', phone: '+6581204455' },
  { key: 'rajesh', fullName: 'Rajesh Kumar s/o Subramaniam', nativeName: null, nricMasked: 'S****321F', phone: '+60123456789' },
  { key: 'oneil', fullName: "Siobhan O'Neil-Lim", nativeName: null, nricMasked: 'G****210K', phone: '+6562351190' },
  { key: 'jose', fullName: 'José Ramos', nativeName: null, nricMasked: 'F****876N', phone: null },
  // A number stored before phones were normalised: still found by its digits.
  { key: 'legacy', fullName: 'Nurul Aisyah binte Rahman', nativeName: null, nricMasked: 'S****345J', phone: '9786 5512' },
];

/** Query → keys of SEARCH_PEOPLE it finds (in any order). */
export const SEARCH_CASES: [string, string[]][] = [
  ['Hui Yi Tan', ['huiyi']],
  ['Tan, Hui Yi', ['huiyi']],
  ['tan  hui   yi', ['huiyi']],
  ['  TAN HUI YI  ', ['huiyi']],
  ['hui yi', ['huiyi', 'ouyang']],
  ['tan', ['huiyi', 'weiming', 'tanya']],
  ['t', ['huiyi', 'weiming', 'tanya']],
  ['Tan W', ['weiming']],
  ['慧怡', ['huiyi', 'ouyang']],
  ['陈慧怡', ['huiyi']],
  ['陈', ['huiyi', 'weiming']],
  ['怡', ['huiyi', 'ouyang']],
  ['Tan 慧怡', ['huiyi']],
  ['oneil', ['oneil']],
  ["O'Neil", ['oneil']],
  ['neil lim', ['oneil']],
  ['kumar s/o', ['rajesh']],
  ['jose', ['jose']],
  ['JOSÉ', ['jose']],
  ['Ｔａｎ Ｈｕｉ', ['huiyi']],
  ['567D', ['weiming']],
  ['567d', ['weiming']],
  ['9123 4567', ['weiming']],
  ['+65 9123 4567', ['weiming']],
  ['65 9123-4567', ['weiming']],
  ['91234567', ['weiming']],
  ['4567', ['weiming']],
  ['9661', ['huiyi']],
  ['+60 12-345 6789', ['rajesh']],
  ['97865512', ['legacy']],
  ['5512', ['legacy']],
  ['Tan 4567', ['weiming']],
  ['Tan Xiao', []],
  ['ming wei tan lim', []],
  ['!!!', []],
];
