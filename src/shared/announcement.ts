import { z } from 'zod';

/**
 * Waiting-room voice calls, composed from short clips so they work offline and a clinic can
 * replace any clip with its own recording. Which languages are spoken, and in what order, is a
 * clinic setting; this module decides which clips play, in which order, for one call.
 */

export const announcementLanguages = ['en', 'zh', 'ms', 'ta'] as const;
export const announcementLanguageSchema = z.enum(announcementLanguages);
export type AnnouncementLanguage = z.infer<typeof announcementLanguageSchema>;

export const languageNames: Record<AnnouncementLanguage, string> = {
  en: 'English',
  zh: 'Mandarin (华语)',
  ms: 'Malay (Bahasa Melayu)',
  ta: 'Tamil (தமிழ்)',
};

export const announcementSettingsSchema = z.object({
  languages: z
    .array(announcementLanguageSchema)
    .min(1, 'Choose at least one language')
    .max(announcementLanguages.length)
    .refine((list) => new Set(list).size === list.length, 'Each language may appear only once'),
  /** Speak with the browser's speech synthesis when a clip is missing or cannot play. */
  speechFallback: z.boolean(),
});
export type AnnouncementSettings = z.infer<typeof announcementSettingsSchema>;

export const defaultAnnouncementSettings: AnnouncementSettings = { languages: ['en', 'zh', 'ms', 'ta'], speechFallback: false };

/** Phrase clips every language has; digits and letters come on top. */
export const phraseClips = ['number', 'please-go-to', 'room'] as const;
type Phrase = (typeof phraseClips)[number];
type Part = Phrase | 'ticket' | 'room-number';

/**
 * Word order per language. Mandarin says the room number before 号诊室 ("room"), Tamil puts the
 * verb last ("அறை 2 க்குச் செல்லவும்").
 */
const templates: Record<AnnouncementLanguage, readonly Part[]> = {
  en: ['number', 'ticket', 'please-go-to', 'room', 'room-number'],
  ms: ['number', 'ticket', 'please-go-to', 'room', 'room-number'],
  zh: ['number', 'ticket', 'please-go-to', 'room-number', 'room'],
  ta: ['number', 'ticket', 'room', 'room-number', 'please-go-to'],
};

/** What each phrase clip says; the generator speaks these and people read them in the settings. */
export const voiceScript: Record<AnnouncementLanguage, { phrases: Record<Phrase, string>; digits: readonly string[] }> = {
  en: {
    phrases: { number: 'Number', 'please-go-to': 'please go to', room: 'Room' },
    digits: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
  },
  zh: {
    phrases: { number: '号码', 'please-go-to': '请到', room: '号诊室' },
    digits: ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'],
  },
  ms: {
    phrases: { number: 'Nombor', 'please-go-to': 'sila ke', room: 'Bilik' },
    digits: ['kosong', 'satu', 'dua', 'tiga', 'empat', 'lima', 'enam', 'tujuh', 'lapan', 'sembilan'],
  },
  ta: {
    phrases: { number: 'எண்', 'please-go-to': 'க்குச் செல்லவும்', room: 'அறை' },
    digits: ['பூஜ்ஜியம்', 'ஒன்று', 'இரண்டு', 'மூன்று', 'நான்கு', 'ஐந்து', 'ஆறு', 'ஏழு', 'எட்டு', 'ஒன்பது'],
  },
};

export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Every clip name a language needs: the generator makes exactly these, a clinic may override any. */
export function clipNames(): string[] {
  return [...phraseClips, ...[...'0123456789'].map((d) => `digit-${d}`), ...[...LETTERS].map((l) => `letter-${l.toLowerCase()}`)];
}

const CLIP_NAME = /^(number|please-go-to|room|digit-[0-9]|letter-[a-z])$/;
export const clipNameSchema = z.string().regex(CLIP_NAME, 'Not a clip name (number, please-go-to, room, digit-0…9, letter-a…z)');

/** One language's part of a call: the clips to play in order and the sentence they make. */
export interface AnnouncementPart {
  language: AnnouncementLanguage;
  /** `<language>/<clip>`, e.g. `zh/digit-1`. */
  clips: string[];
  /** The same sentence for speech synthesis and for people to read. */
  text: string;
}

/** Spoken character by character: "A012" is "A, zero, one, two" in every language. */
function spell(value: string): string[] {
  return [...value.toUpperCase()].flatMap((ch) => {
    if (/[0-9]/.test(ch)) return [`digit-${ch}`];
    if (/[A-Z]/.test(ch)) return [`letter-${ch.toLowerCase()}`];
    return [];
  });
}

/** The room's number as spoken: "Room 2" and "R2" both say 2. */
export function roomNumberOf(roomName: string): string {
  return /(\d+)/.exec(roomName)?.[1] ?? '';
}

export function announcementPlan(call: { ticketNumber: string; roomName: string }, languages: readonly AnnouncementLanguage[]): AnnouncementPart[] {
  const ticketNumber = call.ticketNumber.toUpperCase();
  const roomNumber = roomNumberOf(call.roomName);
  return languages.map((language) => {
    const script = voiceScript[language];
    const clips: string[] = [];
    const words: string[] = [];
    for (const part of templates[language]) {
      if (part === 'ticket') {
        clips.push(...spell(ticketNumber));
        words.push(`${ticketNumber}${language === 'zh' ? '，' : ','}`);
      } else if (part === 'room-number') {
        clips.push(...spell(roomNumber));
        if (roomNumber) words.push(roomNumber);
      } else {
        clips.push(part);
        words.push(script.phrases[part]);
      }
    }
    const text = language === 'zh' ? words.join('') : words.join(' ');
    return { language, clips: clips.map((clip) => `${language}/${clip}`), text };
  });
}

export const speechLanguageTags: Record<AnnouncementLanguage, string> = { en: 'en-SG', zh: 'zh-CN', ms: 'ms-MY', ta: 'ta-IN' };
