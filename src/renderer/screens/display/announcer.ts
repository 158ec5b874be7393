import {
  defaultAnnouncementSettings,
  speechLanguageTags,
  type AnnouncementLanguage,
  type AnnouncementPart,
  type AnnouncementSettings,
} from '../../../shared/announcement';
import type { DisplayCall } from '../../../shared/contract';
import { createSpeechQueue, type SpeechEngine, type SpeechQueueState } from './speech-queue';

/**
 * Waiting-room announcements: a two-tone chime, then the call in the clinic's languages, composed
 * from short clips (the shipped set, or the clinic's own recordings) and played back to back
 * through Web Audio; which call and language come next is speech-queue.ts's decision. Speech
 * synthesis stands in for a clip that cannot play, when the clinic allows it.
 */

export interface AnnouncerState extends SpeechQueueState {
  /** The browser refuses to play sound until someone touches the page (autoplay policy). */
  soundBlocked: boolean;
}

export interface VoiceSource {
  settings(): AnnouncementSettings & { overrides: readonly string[] };
  /** A clinic recording as a data: URL; only asked for clips listed in `overrides`. */
  recording(key: string): Promise<string>;
}

export interface Announcer {
  announce(call: DisplayCall): void;
  /** Prepares sound; the autoplay block only lifts when this runs inside a user gesture. */
  enableSound(): void;
  state(): AnnouncerState;
  subscribe(listener: () => void): () => void;
  dispose(): void;
}

const TONES = [
  { hz: 659.25, at: 0, length: 0.5 }, // E5
  { hz: 523.25, at: 0.45, length: 0.8 }, // C5
];
const CHIME_MS = 1300;
/** Without sound (autoplay blocked, no audio device) a language still takes a moment, so captions can be read. */
const SILENT_PART_MS = 900;
const GAP_S = 0.06;
/** Speech engines sometimes never fire `end`; an announcement must not hold up the queue past its spoken length. */
const speechLimitMs = (text: string) => 2000 + text.length * 100;

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

const defaultSource: VoiceSource = {
  settings: () => ({ ...defaultAnnouncementSettings, overrides: [] }),
  recording: () => Promise.reject(new Error('no recordings')),
};

function dataUrlBytes(url: string): ArrayBuffer {
  const match = /^data:[^;,]+;base64,(.*)$/.exec(url);
  if (!match) throw new Error('not a base64 data: URL');
  const binary = atob(match[1]!);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function createAnnouncer(source: VoiceSource = defaultSource): Announcer {
  const listeners = new Set<() => void>();
  let state: AnnouncerState = { announcing: false, speaking: null, soundBlocked: false };
  const clips = new Map<string, Promise<AudioBuffer>>();
  let audio: AudioContext | null = null;
  let disposed = false;

  function set(next: Partial<AnnouncerState>): void {
    const merged = { ...state, ...next };
    if (merged.announcing === state.announcing && merged.soundBlocked === state.soundBlocked && merged.speaking === state.speaking) return;
    state = merged;
    for (const listener of listeners) listener();
  }

  function context(): AudioContext | null {
    if (audio) return audio;
    if (typeof AudioContext === 'undefined') return null;
    audio = new AudioContext();
    audio.addEventListener('statechange', () => set({ soundBlocked: audio?.state === 'suspended' }));
    set({ soundBlocked: audio.state === 'suspended' });
    return audio;
  }

  async function chime(): Promise<void> {
    const ctx = context();
    if (ctx && ctx.state === 'suspended') await ctx.resume().catch(() => undefined);
    if (ctx && ctx.state === 'running') {
      const start = ctx.currentTime + 0.05;
      for (const tone of TONES) {
        const oscillator = ctx.createOscillator();
        const gain = ctx.createGain();
        oscillator.type = 'sine';
        oscillator.frequency.value = tone.hz;
        gain.gain.setValueAtTime(0.0001, start + tone.at);
        gain.gain.exponentialRampToValueAtTime(0.35, start + tone.at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + tone.at + tone.length);
        oscillator.connect(gain).connect(ctx.destination);
        oscillator.start(start + tone.at);
        oscillator.stop(start + tone.at + tone.length + 0.05);
      }
    }
    // The pause keeps the rhythm (and the flash) the same whether or not sound could play.
    await wait(CHIME_MS);
  }

  /** Decoded once per station: the clinic's recording when there is one, else the shipped clip. */
  function clip(ctx: AudioContext, key: string, overrides: readonly string[]): Promise<AudioBuffer> {
    const cacheKey = `${overrides.includes(key) ? 'clinic' : 'built-in'}:${key}`;
    let decoded = clips.get(cacheKey);
    if (!decoded) {
      const bytes = overrides.includes(key)
        ? source.recording(key).then(dataUrlBytes)
        : fetch(`voice/${key}.wav`).then((response) => {
            if (!response.ok) throw new Error(`voice/${key}.wav: ${response.status}`);
            return response.arrayBuffer();
          });
      decoded = bytes.then((data) => ctx.decodeAudioData(data));
      // A failure is not cached: the next call tries again (the file may have been fixed).
      decoded.catch(() => clips.delete(cacheKey));
      clips.set(cacheKey, decoded);
    }
    return decoded;
  }

  /** Plays one language's clips back to back; false when any clip is missing or sound is off. */
  async function playPart(part: AnnouncementPart, overrides: readonly string[]): Promise<boolean> {
    const ctx = context();
    if (!ctx || ctx.state !== 'running') return false;
    let buffers: AudioBuffer[];
    try {
      buffers = await Promise.all(part.clips.map((key) => clip(ctx, key, overrides)));
    } catch (error) {
      console.error(`Announcement clips for ${part.language} could not be loaded`, error);
      return false;
    }
    let at = ctx.currentTime + 0.05;
    for (const buffer of buffers) {
      const node = ctx.createBufferSource();
      node.buffer = buffer;
      node.connect(ctx.destination);
      node.start(at);
      at += buffer.duration + GAP_S;
    }
    await wait((at - ctx.currentTime) * 1000 + 250);
    return true;
  }

  function speak(text: string, language: AnnouncementLanguage): Promise<void> {
    if (typeof speechSynthesis === 'undefined' || typeof SpeechSynthesisUtterance === 'undefined') return Promise.resolve();
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = speechLanguageTags[language];
      utterance.rate = 0.9;
      const timer = window.setTimeout(finish, speechLimitMs(text));
      function finish() {
        window.clearTimeout(timer);
        resolve();
      }
      utterance.onend = finish;
      utterance.onerror = finish;
      speechSynthesis.speak(utterance);
    });
  }

  const engine: SpeechEngine = {
    chime,
    async say(part) {
      if (disposed) return;
      const settings = source.settings();
      const played = await playPart(part, settings.overrides);
      if (!played && settings.speechFallback && !disposed) await speak(part.text, part.language);
      else if (!played) await wait(SILENT_PART_MS);
    },
  };
  const queue = createSpeechQueue({
    engine,
    languages: () => source.settings().languages,
    onChange: () => set(queue.state()),
  });

  return {
    announce: (call) => queue.announce(call),
    enableSound() {
      const ctx = context();
      if (ctx && ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    },
    state: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      disposed = true;
      queue.dispose();
      listeners.clear();
      if (typeof speechSynthesis !== 'undefined') speechSynthesis.cancel();
      void audio?.close().catch(() => undefined);
      audio = null;
    },
  };
}
