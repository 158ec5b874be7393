import { ageOn, clinicDay } from '../src/shared/clinic-day';
import { nricCheckLetter, nricIdType, type NricPrefix } from '../src/shared/nric';

/*
 * Synthetic Singapore residents for demos and scale tests. Every value is invented: names are drawn from common
 * syllables, NRIC/FIN digits are random (with valid check letters so the app accepts them), emails use the
 * reserved example.* domains (RFC 2606) so no demo message can reach a real inbox.
 * The same (count, seed, today) always yields the same people.
 */

export type Ethnicity = 'chinese' | 'malay' | 'indian' | 'other';
export type Gender = 'male' | 'female';

export interface Person {
  nric: string;
  fullName: string;
  nativeName: string | null;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  gender: Gender;
  /** '+65 9123 4567' */
  phone: string;
  email: string | null;
  address: string;
  ethnicity: Ethnicity;
}

export interface GeneratePeopleOptions {
  /** Ages are counted to this day (Singapore date); defaults to now, so pass it when results must not drift. */
  today?: Date;
}

export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for synthetic data; not for anything secret. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(rng, 0, 9));
  return s;
}

// Resident population shares (Singapore census 2020, rounded).
const ETHNICITIES: readonly (readonly [Ethnicity, number])[] = [
  ['chinese', 74],
  ['malay', 13],
  ['indian', 9],
  ['other', 4],
];

// Clinics see more children and elderly than the census shows; 80+ matters for the elderly queue priority.
const AGE_BANDS: readonly (readonly [readonly [number, number], number])[] = [
  [[0, 17], 18],
  [[18, 39], 27],
  [[40, 64], 32],
  [[65, 79], 14],
  [[80, 95], 9],
];

/** Romanised (dialect) surname and its character; Tan/Chan and Ng/Wong are dialect spellings of one surname. */
const CHINESE_SURNAMES: readonly (readonly [readonly [string, string], number])[] = [
  [['Tan', '陈'], 10],
  [['Lim', '林'], 7],
  [['Lee', '李'], 6],
  [['Ng', '黄'], 5],
  [['Ong', '王'], 4],
  [['Wong', '黄'], 4],
  [['Goh', '吴'], 3],
  [['Chua', '蔡'], 3],
  [['Chan', '陈'], 3],
  [['Koh', '许'], 3],
  [['Teo', '张'], 3],
  [['Chong', '张'], 2],
  [['Ang', '洪'], 2],
  [['Yeo', '杨'], 2],
  [['Tay', '郑'], 2],
  [['Ho', '何'], 2],
  [['Low', '刘'], 2],
  [['Toh', '卓'], 1],
  [['Sim', '沈'], 1],
  [['Chia', '谢'], 1],
  [['Lau', '刘'], 1],
  [['Yap', '叶'], 1],
  [['Foo', '胡'], 1],
  [['Quek', '郭'], 1],
  [['Neo', '梁'], 1],
];

type Syllables = readonly (readonly [string, string])[];

// Younger Singaporeans' names are registered in Hanyu Pinyin; older ones in dialect spellings.
const PINYIN_MALE: Syllables = [
  ['Wei', '伟'], ['Jun', '俊'], ['Hao', '浩'], ['Zhi', '志'], ['Jie', '杰'], ['Kai', '凯'], ['Hong', '宏'],
  ['Yu', '宇'], ['Cheng', '诚'], ['Ming', '明'], ['Jian', '健'], ['Zheng', '正'], ['Rui', '睿'], ['Xuan', '轩'],
  ['Yang', '洋'], ['Guang', '光'], ['Long', '龙'],
];
const PINYIN_FEMALE: Syllables = [
  ['Hui', '慧'], ['Xin', '欣'], ['Yi', '怡'], ['Mei', '美'], ['Ling', '玲'], ['Li', '丽'], ['Ying', '颖'],
  ['Shu', '淑'], ['Fang', '芳'], ['Jing', '静'], ['Xiu', '秀'], ['Qian', '倩'], ['Ting', '婷'], ['Wen', '雯'],
  ['Yan', '燕'], ['Min', '敏'], ['Jia', '佳'], ['Xue', '雪'],
];
const DIALECT_MALE: Syllables = [
  ['Boon', '文'], ['Huat', '发'], ['Kim', '金'], ['Hock', '福'], ['Chye', '财'], ['Seng', '成'], ['Keng', '庆'],
  ['Soon', '顺'], ['Swee', '瑞'], ['Beng', '明'], ['Chin', '振'], ['Teck', '德'], ['Kiat', '杰'], ['Heng', '兴'],
  ['Leong', '良'], ['Meng', '铭'],
];
const DIALECT_FEMALE: Syllables = [
  ['Lian', '莲'], ['Geok', '玉'], ['Choo', '珠'], ['Eng', '英'], ['Hwa', '华'], ['Poh', '宝'], ['Bee', '美'],
  ['Siew', '秀'], ['Lay', '丽'], ['Hoon', '云'], ['Kheng', '卿'],
];

const MALAY_MALE_FIRST = ['Muhammad', 'Ahmad', 'Mohamed', 'Mohammad', ''] as const;
const MALAY_MALE = ['Hafiz', 'Faizal', 'Irfan', 'Rizal', 'Syafiq', 'Haikal', 'Danial', 'Aiman', 'Hakim', 'Iskandar',
  'Firdaus', 'Zulkifli', 'Azman', 'Khairul', 'Shahrul'] as const;
const MALAY_FEMALE_FIRST = ['Nur', 'Siti', 'Nurul', ''] as const;
const MALAY_FEMALE = ['Aisyah', 'Farhana', 'Amira', 'Syahirah', 'Hidayah', 'Nabilah', 'Zulaikha', 'Aqilah', 'Hanis',
  'Izzati', 'Sarah', 'Liyana', 'Aini', 'Zarina', 'Rohani'] as const;
const MALAY_FATHERS = ['Rahman', 'Ismail', 'Osman', 'Ahmad', 'Hassan', 'Ibrahim', 'Yusof', 'Abdullah', 'Salleh',
  'Jaafar', 'Hamid', 'Kassim', 'Omar', 'Ali', 'Mahmud', 'Rashid', 'Sulaiman', 'Zainal'] as const;

const INDIAN_MALE = ['Arjun', 'Ravi', 'Suresh', 'Karthik', 'Vijay', 'Ganesh', 'Rajesh', 'Prakash', 'Muthu', 'Senthil',
  'Kumar', 'Anand', 'Vikram', 'Dinesh', 'Hari'] as const;
const INDIAN_FEMALE = ['Priya', 'Kavitha', 'Lakshmi', 'Divya', 'Anitha', 'Meena', 'Revathi', 'Shalini', 'Deepa',
  'Sangeetha', 'Nirmala', 'Vasanthi', 'Janani', 'Shanthi', 'Malathi'] as const;
const INDIAN_FATHERS = ['Subramaniam', 'Krishnan', 'Rajoo', 'Ramasamy', 'Govindasamy', 'Muthusamy', 'Pillai', 'Nair',
  'Raman', 'Selvaraj', 'Palaniappan', 'Sivakumar', 'Chandran', 'Arumugam', 'Narayanan'] as const;

interface NamePool {
  male: readonly string[];
  female: readonly string[];
  surnames: readonly string[];
  /** Expatriates hold FINs; Eurasians are citizens. */
  foreign: boolean;
}

const OTHER_POOLS: readonly (readonly [NamePool, number])[] = [
  [{ foreign: false, male: ['Daniel', 'Adrian', 'Gerald', 'Brendan', 'Marcus', 'Shaun'],
    female: ['Sarah', 'Rachel', 'Melissa', 'Charmaine', 'Natalie', 'Andrea'],
    surnames: ['De Souza', 'Pereira', 'Rodrigues', 'Fernandez', 'Oliveiro', "D'Cruz", 'Monteiro', 'Westerhout', 'Scully'] }, 4],
  [{ foreign: true, male: ['James', 'Oliver', 'Liam', 'Mark'], female: ['Emma', 'Sophie', 'Chloe', 'Hannah'],
    surnames: ['Wilson', 'Thompson', 'Smith', 'Brown', 'Walker'] }, 2],
  [{ foreign: true, male: ['Lukas', 'Felix', 'Jonas'], female: ['Anna', 'Lena', 'Julia'],
    surnames: ['Müller', 'Schmidt', 'Schneider', 'Weber'] }, 1],
  [{ foreign: true, male: ['Hiroshi', 'Takumi', 'Kenji'], female: ['Yuki', 'Aiko', 'Haruka'],
    surnames: ['Tanaka', 'Sato', 'Suzuki', 'Watanabe'] }, 1],
  [{ foreign: true, male: ['Jose', 'Mark Anthony', 'Paolo'], female: ['Maria', 'Angelica', 'Kristine'],
    surnames: ['Santos', 'Reyes', 'Cruz', 'Bautista'] }, 2],
];

/** Share of each group holding a FIN rather than an NRIC (work pass, dependant pass, student pass). */
const FOREIGN_SHARE: Record<Exclude<Ethnicity, 'other'>, number> = { chinese: 0.08, malay: 0.06, indian: 0.2 };

/** HDB towns with their two-digit postal sector; an HDB postal code is sector + 0 + 3-digit block. */
const TOWNS: readonly { sector: string; streets: readonly string[] }[] = [
  { sector: '56', streets: ['Ang Mo Kio Avenue 1', 'Ang Mo Kio Avenue 3', 'Ang Mo Kio Avenue 10', 'Ang Mo Kio Street 21'] },
  { sector: '46', streets: ['Bedok North Street 1', 'Bedok North Avenue 3', 'Bedok Reservoir Road', 'Bedok South Avenue 2'] },
  { sector: '57', streets: ['Bishan Street 12', 'Bishan Street 22', 'Bishan Street 24'] },
  { sector: '65', streets: ['Bukit Batok West Avenue 6', 'Bukit Batok Street 21', 'Bukit Batok East Avenue 4'] },
  { sector: '15', streets: ['Jalan Bukit Merah', 'Bukit Merah View', 'Redhill Close'] },
  { sector: '68', streets: ['Choa Chu Kang Avenue 4', 'Choa Chu Kang Crescent', 'Choa Chu Kang Street 51'] },
  { sector: '12', streets: ['Clementi Avenue 2', 'Clementi West Street 1', 'Clementi Avenue 4'] },
  { sector: '53', streets: ['Hougang Avenue 8', 'Hougang Street 21', 'Hougang Avenue 3'] },
  { sector: '64', streets: ['Jurong West Street 41', 'Jurong West Street 52', 'Jurong West Avenue 1'] },
  { sector: '51', streets: ['Pasir Ris Street 11', 'Pasir Ris Drive 6'] },
  { sector: '82', streets: ['Punggol Field', 'Punggol Drive', 'Edgefield Plains'] },
  { sector: '54', streets: ['Compassvale Road', 'Rivervale Drive', 'Anchorvale Link', 'Fernvale Road'] },
  { sector: '52', streets: ['Tampines Street 21', 'Tampines Avenue 4', 'Tampines Street 81'] },
  { sector: '31', streets: ['Lorong 1 Toa Payoh', 'Lorong 4 Toa Payoh', 'Toa Payoh East'] },
  { sector: '73', streets: ['Woodlands Drive 16', 'Woodlands Street 13', 'Woodlands Avenue 6'] },
  { sector: '76', streets: ['Yishun Ring Road', 'Yishun Avenue 11', 'Yishun Street 22'] },
  { sector: '75', streets: ['Sembawang Drive', 'Canberra Road'] },
  { sector: '55', streets: ['Serangoon North Avenue 1', 'Serangoon Central'] },
  { sector: '33', streets: ['Whampoa Drive', 'Geylang Bahru'] },
  { sector: '14', streets: ['Commonwealth Drive', 'Mei Ling Street', 'Dawson Road'] },
];

const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A date of birth for someone `age` on `today` (±1 only when today is 29 February). */
function dateOfBirth(rng: Rng, age: number, today: readonly [number, number, number]): string {
  const [y, m, d] = today;
  const first = Date.UTC(y - age - 1, m - 1, d) + DAY_MS;
  const last = Date.UTC(y - age, m - 1, d);
  return isoDay(first + int(rng, 0, Math.round((last - first) / DAY_MS)) * DAY_MS);
}

/**
 * NRIC series follow birth year: S before 2000, T from 2000, with the birth year's last two digits leading for
 * those born from 1968; older citizens got S0/S1 numbers at registration. FIN series follow the year of issue
 * (F before 2000, G 2000-2021, M from 2022), which cannot precede birth.
 */
function idPrefixAndDigits(rng: Rng, foreign: boolean, birthYear: number, thisYear: number): [NricPrefix, string] {
  if (!foreign) {
    const prefix: NricPrefix = birthYear < 2000 ? 'S' : 'T';
    if (birthYear >= 1968) return [prefix, String(birthYear % 100).padStart(2, '0') + digits(rng, 5)];
    return [prefix, String(int(rng, 0, 1)) + digits(rng, 6)];
  }
  const series: (readonly [NricPrefix, number])[] = [];
  if (birthYear <= 1999) series.push(['F', 2]);
  if (birthYear <= 2021 && thisYear >= 2000) series.push(['G', 5]);
  if (thisYear >= 2022) series.push(['M', 3]);
  return [weighted(rng, series), digits(rng, 7)];
}

function asciiWord(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
}

interface Name {
  fullName: string;
  nativeName: string | null;
  /** Given name and family name, for the email address. */
  emailParts: [string, string];
  foreign: boolean;
}

function chineseName(rng: Rng, gender: Gender, birthYear: number): Omit<Name, 'foreign'> {
  const [surname, surnameChar] = weighted(rng, CHINESE_SURNAMES);
  const pool =
    birthYear >= 1980
      ? gender === 'male' ? PINYIN_MALE : PINYIN_FEMALE
      : gender === 'male' ? DIALECT_MALE : DIALECT_FEMALE;
  const first = pick(rng, pool);
  let second = pick(rng, pool);
  while (second === first) second = pick(rng, pool);
  return {
    fullName: `${surname} ${first[0]} ${second[0]}`,
    nativeName: surnameChar + first[1] + second[1],
    emailParts: [first[0] + second[0], surname],
  };
}

function nameFor(rng: Rng, ethnicity: Ethnicity, gender: Gender, birthYear: number): Name {
  const male = gender === 'male';
  switch (ethnicity) {
    case 'chinese':
      return { ...chineseName(rng, gender, birthYear), foreign: rng() < FOREIGN_SHARE.chinese };
    case 'malay': {
      const first = pick(rng, male ? MALAY_MALE_FIRST : MALAY_FEMALE_FIRST);
      const given = pick(rng, male ? MALAY_MALE : MALAY_FEMALE);
      const father = pick(rng, MALAY_FATHERS);
      return {
        fullName: `${first ? `${first} ` : ''}${given} ${male ? 'bin' : 'binte'} ${father}`,
        nativeName: null,
        emailParts: [given, father],
        foreign: rng() < FOREIGN_SHARE.malay,
      };
    }
    case 'indian': {
      const given = pick(rng, male ? INDIAN_MALE : INDIAN_FEMALE);
      const father = pick(rng, INDIAN_FATHERS);
      return {
        fullName: `${given} ${male ? 's/o' : 'd/o'} ${father}`,
        nativeName: null,
        emailParts: [given, father],
        foreign: rng() < FOREIGN_SHARE.indian,
      };
    }
    case 'other': {
      const pool = weighted(rng, OTHER_POOLS);
      const given = pick(rng, male ? pool.male : pool.female);
      const surname = pick(rng, pool.surnames);
      return { fullName: `${given} ${surname}`, nativeName: null, emailParts: [given, surname], foreign: pool.foreign };
    }
  }
}

function phone(rng: Rng): string {
  return `+65 ${rng() < 0.65 ? '9' : '8'}${digits(rng, 3)} ${digits(rng, 4)}`;
}

function email(rng: Rng, age: number, [given, family]: [string, string]): string | null {
  if (age < 13 || rng() < 0.3) return null;
  const suffix = rng() < 0.5 ? String(int(rng, 1, 99)) : '';
  return `${asciiWord(given)}.${asciiWord(family)}${suffix}@${pick(rng, ['example.com', 'example.net', 'example.org'])}`;
}

function address(rng: Rng): string {
  const town = pick(rng, TOWNS);
  const block = int(rng, 1, 899);
  const floor = String(int(rng, 2, 25)).padStart(2, '0');
  const unit = String(int(rng, 1, 450)).padStart(2, '0');
  const postal = `${town.sector}0${String(block).padStart(3, '0')}`;
  return `Blk ${block} ${pick(rng, town.streets)}, #${floor}-${unit}, Singapore ${postal}`;
}

export function generatePeople(count: number, seed: number, opts: GeneratePeopleOptions = {}): Person[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number of 0 or more, got ${count}`);
  const rng = mulberry32(seed);
  const todayIso = clinicDay(opts.today ?? new Date());
  const today = todayIso.split('-').map(Number) as [number, number, number];
  const used = new Set<string>();
  const people: Person[] = [];

  for (let i = 0; i < count; i++) {
    const ethnicity = weighted(rng, ETHNICITIES);
    const gender: Gender = rng() < 0.5 ? 'male' : 'female';
    const [minAge, maxAge] = weighted(rng, AGE_BANDS);
    const dob = dateOfBirth(rng, int(rng, minAge, maxAge), today);
    const birthYear = Number(dob.slice(0, 4));
    const name = nameFor(rng, ethnicity, gender, birthYear);

    let nric: string;
    let attempts = 0;
    do {
      // Each birth year has 100,000 S/T numbers; only an absurd count can run out.
      if (++attempts > 1000) throw new RangeError(`Ran out of unused NRIC/FIN numbers after ${people.length} people`);
      const [prefix, idDigits] = idPrefixAndDigits(rng, name.foreign, birthYear, today[0]);
      nric = prefix + idDigits + nricCheckLetter(prefix, idDigits);
    } while (used.has(nric));
    used.add(nric);

    const age = ageOn(dob, todayIso);
    people.push({
      nric,
      fullName: name.fullName,
      nativeName: name.nativeName,
      dateOfBirth: dob,
      gender,
      phone: phone(rng),
      email: email(rng, age, name.emailParts),
      address: address(rng),
      ethnicity,
    });
  }
  return people;
}

/** CHAS tier as a clinic would see it: Pioneer/Merdeka by birth year for citizens, income tiers for the rest. */
export function chasCard(rng: Rng, person: Person): string | null {
  if (nricIdType(person.nric) === 'FIN') return null;
  const born = Number(person.dateOfBirth.slice(0, 4));
  if (born <= 1949) return 'pioneer_generation';
  if (born <= 1959) return 'merdeka_generation';
  const r = rng();
  if (r < 0.2) return 'blue';
  if (r < 0.35) return 'orange';
  if (r < 0.45) return 'green';
  return null;
}
