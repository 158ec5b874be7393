import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announcementLanguages, clipNames, voiceScript, type AnnouncementLanguage } from '../../src/shared/announcement';
import { decodeWav, encodeWav } from '../../src/shared/wav';

/*
 * Generates the offline clip set the display plays: one short WAV per word per language, spoken
 * by Debian's espeak-ng (apt-get install espeak-ng), trimmed of silence and stored at 11 kHz mono
 * so the whole set stays near 1 MB. Run: npx tsx build/voice/generate.ts [outDir]
 * The clips are committed; a clinic's own recordings override them at run time (see README).
 */

const outDir = process.argv[2] ?? join(process.cwd(), 'src', 'renderer', 'public', 'voice');
const ESPEAK = process.env.ESPEAK ?? 'espeak-ng';
const voices: Record<AnnouncementLanguage, string> = { en: 'en-gb', zh: 'cmn', ms: 'ms', ta: 'ta' };
const TARGET_RATE = 11_025;
/** Samples quieter than this (of 32767) count as silence at the clip's ends. */
const SILENCE = 300;
/** Keeps consonants at the edges from being clipped. */
const PAD_SECONDS = 0.03;

function textOf(language: AnnouncementLanguage, clip: string): { text: string; ssml: boolean } {
  const script = voiceScript[language];
  if (clip.startsWith('digit-')) return { text: script.digits[Number(clip.slice(6))]!, ssml: false };
  // Singaporeans say ticket letters the English way in every language; espeak's letter names per voice do that.
  if (clip.startsWith('letter-')) return { text: `<speak><say-as interpret-as="characters">${clip.slice(7).toUpperCase()}</say-as></speak>`, ssml: true };
  return { text: script.phrases[clip as keyof typeof script.phrases], ssml: false };
}

function speak(language: AnnouncementLanguage, clip: string, scratch: string): Buffer {
  const { text, ssml } = textOf(language, clip);
  const file = join(scratch, 'clip.wav');
  execFileSync(ESPEAK, ['-v', voices[language], '-s', '150', ...(ssml ? ['-m'] : []), '-w', file, text]);
  return readFileSync(file);
}

/** Trims silence and halves the rate by averaging pairs, a crude low-pass that is enough for speech. */
function shrink(wav: Uint8Array): Uint8Array {
  const { sampleRate, samples } = decodeWav(wav);
  let first = samples.findIndex((s) => Math.abs(s) > SILENCE);
  let last = samples.length - 1;
  while (last > 0 && Math.abs(samples[last]!) <= SILENCE) last -= 1;
  if (first < 0) throw new Error('espeak-ng produced only silence');
  const pad = Math.round(PAD_SECONDS * sampleRate);
  first = Math.max(0, first - pad);
  last = Math.min(samples.length - 1, last + pad);
  const trimmed = samples.subarray(first, last + 1);
  const factor = Math.max(1, Math.round(sampleRate / TARGET_RATE));
  const out = new Int16Array(Math.floor(trimmed.length / factor));
  for (let i = 0; i < out.length; i += 1) {
    let sum = 0;
    for (let j = 0; j < factor; j += 1) sum += trimmed[i * factor + j]!;
    out[i] = Math.round(sum / factor);
  }
  return encodeWav(out, Math.round(sampleRate / factor));
}

function main(): void {
  const scratch = join(tmpdir(), `voice-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  let total = 0;
  try {
    for (const language of announcementLanguages) {
      const dir = join(outDir, language);
      mkdirSync(dir, { recursive: true });
      for (const clip of clipNames()) {
        const wav = shrink(speak(language, clip, scratch));
        writeFileSync(join(dir, `${clip}.wav`), wav);
        total += wav.length;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`Wrote ${announcementLanguages.length * clipNames().length} clips, ${(total / 1024).toFixed(0)} KiB, to ${outDir}`);
}

main();
