/**
 * Waiting-room announcements: a two-tone chime, then the call spoken when the browser can speak.
 * Announcements queue so two calls close together never talk over each other. Kept apart from
 * the display screen so the multilingual clip system can replace it without touching the layout.
 */

export interface Announcement {
  ticketNumber: string;
  roomName: string;
}

export interface AnnouncerState {
  announcing: boolean;
  /** The browser refuses to play sound until someone touches the page (autoplay policy). */
  soundBlocked: boolean;
}

export interface Announcer {
  announce(call: Announcement): void;
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
/** Speech engines sometimes never fire `end`; an announcement must not hold up the queue past its spoken length. */
const speechLimitMs = (text: string) => 2000 + text.length * 100;

export function announcementText(call: Announcement): string {
  return `Number ${call.ticketNumber}, please go to ${call.roomName}`;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

export function createAnnouncer(): Announcer {
  const listeners = new Set<() => void>();
  let state: AnnouncerState = { announcing: false, soundBlocked: false };
  let audio: AudioContext | null = null;
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  let disposed = false;

  function set(next: Partial<AnnouncerState>): void {
    const merged = { ...state, ...next };
    if (merged.announcing === state.announcing && merged.soundBlocked === state.soundBlocked) return;
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

  function speak(text: string): Promise<void> {
    if (typeof speechSynthesis === 'undefined' || typeof SpeechSynthesisUtterance === 'undefined') return Promise.resolve();
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = 'en-SG';
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

  return {
    announce(call) {
      if (disposed) return;
      queued++;
      set({ announcing: true });
      queue = queue
        .then(async () => {
          if (disposed) return;
          await chime();
          if (!disposed) await speak(announcementText(call));
        })
        .catch((error: unknown) => console.error('Announcement failed', error))
        .finally(() => {
          queued--;
          if (queued === 0) set({ announcing: false });
        });
    },
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
      listeners.clear();
      if (typeof speechSynthesis !== 'undefined') speechSynthesis.cancel();
      void audio?.close().catch(() => undefined);
      audio = null;
    },
  };
}
