import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  announcementLanguages,
  announcementPlan,
  announcementSettingsSchema,
  clipNames,
  roomNumberOf,
} from '../../src/shared/announcement';
import { audioMimeOf, decodeWav, encodeWav } from '../../src/shared/wav';

const call = { ticketNumber: 'A012', roomName: 'Room 2' };

describe('announcement sequencing', () => {
  it('speaks the languages in the clinic’s order, each with its own word order', () => {
    const plan = announcementPlan(call, ['en', 'zh', 'ms', 'ta']);
    expect(plan.map((p) => p.language)).toEqual(['en', 'zh', 'ms', 'ta']);
    expect(plan[0]!.clips).toEqual(['en/number', 'en/letter-a', 'en/digit-0', 'en/digit-1', 'en/digit-2', 'en/please-go-to', 'en/room', 'en/digit-2']);
    expect(plan[0]!.text).toBe('Number A012, please go to Room 2');
    // 号码 A012，请到 2 号诊室: the room number comes before 号诊室.
    expect(plan[1]!.clips).toEqual(['zh/number', 'zh/letter-a', 'zh/digit-0', 'zh/digit-1', 'zh/digit-2', 'zh/please-go-to', 'zh/digit-2', 'zh/room']);
    expect(plan[1]!.text).toBe('号码A012，请到2号诊室');
    expect(plan[2]!.text).toBe('Nombor A012, sila ke Bilik 2');
    // Tamil puts the verb last: எண் A012, அறை 2 க்குச் செல்லவும்.
    expect(plan[3]!.clips.slice(-3)).toEqual(['ta/room', 'ta/digit-2', 'ta/please-go-to']);
  });

  it('follows a shorter or reordered setting exactly', () => {
    expect(announcementPlan(call, ['ms', 'en']).map((p) => p.clips[0])).toEqual(['ms/number', 'en/number']);
    expect(announcementPlan(call, ['ta'])).toHaveLength(1);
  });

  it('spells other numbers and rooms, and says no room number when the room has none', () => {
    expect(announcementPlan({ ticketNumber: 'B907', roomName: 'R12' }, ['en'])[0]!.clips).toEqual([
      'en/number', 'en/letter-b', 'en/digit-9', 'en/digit-0', 'en/digit-7', 'en/please-go-to', 'en/room', 'en/digit-1', 'en/digit-2',
    ]);
    expect(roomNumberOf('the consultation room')).toBe('');
    expect(announcementPlan({ ticketNumber: 'A001', roomName: 'the consultation room' }, ['en'])[0]!.clips.at(-1)).toBe('en/room');
  });

  it('refuses settings with no language, an unknown one, or a repeat', () => {
    expect(announcementSettingsSchema.safeParse({ languages: [], speechFallback: false }).success).toBe(false);
    expect(announcementSettingsSchema.safeParse({ languages: ['fr'], speechFallback: false }).success).toBe(false);
    expect(announcementSettingsSchema.safeParse({ languages: ['en', 'zh', 'en'], speechFallback: true }).success).toBe(false);
  });
});

describe('the shipped clip set', () => {
  const dir = join(process.cwd(), 'src', 'renderer', 'public', 'voice');

  it('has every clip every plan can ask for, as playable 16-bit WAV', () => {
    for (const language of announcementLanguages) {
      for (const clip of clipNames()) {
        const file = join(dir, language, `${clip}.wav`);
        expect(existsSync(file), file).toBe(true);
        const pcm = decodeWav(readFileSync(file));
        expect(pcm.samples.length / pcm.sampleRate, file).toBeGreaterThan(0.1);
        expect(pcm.samples.length / pcm.sampleRate, file).toBeLessThan(3);
      }
    }
  });

  it('stays small: under 3 MB in all', () => {
    const total = announcementLanguages.flatMap((l) => readdirSync(join(dir, l)).map((f) => statSync(join(dir, l, f)).size)).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(3 * 1024 * 1024);
  });

  it('WAV round-trips, and anything else is named for what it is', () => {
    const wav = encodeWav(Int16Array.of(0, 1000, -1000), 11025);
    expect(decodeWav(wav).samples).toEqual(Int16Array.of(0, 1000, -1000));
    expect(audioMimeOf(wav)).toBe('audio/wav');
    expect(audioMimeOf(new TextEncoder().encode('OggS....'))).toBe('audio/ogg');
    expect(audioMimeOf(new TextEncoder().encode('hello'))).toBeNull();
    expect(() => decodeWav(new TextEncoder().encode('RIFF\0\0\0\0WAVEdata'))).toThrow(/no data chunk|before fmt/);
  });
});
