import { announcementPlan, type AnnouncementLanguage, type AnnouncementPart } from '../../../shared/announcement';
import type { DisplayCall } from '../../../shared/contract';

/*
 * In what order the waiting room hears calls. One call in four languages takes about 25 s, and two
 * rooms may call a second apart, so saying every call in full, first come first served, leaves
 * the voice describing a call the screen has long replaced. Instead:
 *
 * - a call that has not been heard yet comes first, newest first: a chime and the clinic's first
 *   language, at once;
 * - the other languages follow only while no unheard call waits, newest call first, so a newer
 *   call pre-empts the rest of an older one at the next language boundary (never mid-sentence);
 * - a call whose room or ticket has been called again since is dropped, heard or not: the room has
 *   moved on, or a recall repeats the ticket;
 * - an interrupted call's other languages are said only while the call is fresh, so a busy spell
 *   leaves old numbers in the first language rather than a backlog.
 *
 * The sound itself is the engine's business, so these rules run and are tested under Node.
 */

export interface SpeechEngine {
  /** The attention tone before a call's first language. */
  chime(): Promise<void>;
  /** Resolves once the part has been said, or has had as long on screen as saying it would take. */
  say(part: AnnouncementPart): Promise<void>;
}

/** What the caption shows: the call and the sentence being said now. */
export interface Speaking {
  call: DisplayCall;
  language: AnnouncementLanguage;
  text: string;
}

export interface SpeechQueueState {
  announcing: boolean;
  speaking: Speaking | null;
}

export interface SpeechQueueOptions {
  engine: SpeechEngine;
  /** The clinic's languages, its first language first; read after each chime, so a change applies from the next call. */
  languages(): readonly AnnouncementLanguage[];
  onChange(): void;
  now?: () => number;
}

export interface SpeechQueue {
  announce(call: DisplayCall): void;
  state(): SpeechQueueState;
  dispose(): void;
}

/** Long enough for one call in four languages after a newer one; past it the screen has usually moved on. */
export const RESUME_WITHIN_MS = 60_000;
/** Events repeat (reconnects, replays); a call is announced once. */
const REMEMBERED_CALLS = 50;

interface Entry {
  call: DisplayCall;
  arrivedAt: number;
  /** Breaks ties between calls stamped the same instant: the later arrival is the newer. */
  seq: number;
  started: boolean;
  /** The languages still to say, once the chime has played. */
  remaining: AnnouncementPart[];
}

const newestFirst = (a: Entry, b: Entry) => b.call.calledAt.localeCompare(a.call.calledAt) || b.seq - a.seq;

export function createSpeechQueue(options: SpeechQueueOptions): SpeechQueue {
  const now = options.now ?? Date.now;
  let entries: Entry[] = [];
  let remembered: string[] = [];
  let arrivals = 0;
  const latestForRoom = new Map<string, string>();
  const latestForTicket = new Map<string, string>();
  let state: SpeechQueueState = { announcing: false, speaking: null };
  let running = false;
  let disposed = false;

  function set(next: SpeechQueueState): void {
    if (next.announcing === state.announcing && next.speaking === state.speaking) return;
    state = next;
    options.onChange();
  }

  function show(call: DisplayCall, part: AnnouncementPart | undefined): void {
    set({ announcing: true, speaking: part ? { call, language: part.language, text: part.text } : null });
  }

  const laterThan = (latest: Map<string, string>, key: string, calledAt: string) => (latest.get(key) ?? '') > calledAt;

  function superseded({ call }: Entry): boolean {
    return laterThan(latestForRoom, call.roomName, call.calledAt) || laterThan(latestForTicket, call.ticketNumber, call.calledAt);
  }

  function next(): Entry | undefined {
    const at = now();
    entries = entries
      .filter((e) => !superseded(e))
      .filter((e) => !e.started || (e.remaining.length > 0 && at - e.arrivedAt <= RESUME_WITHIN_MS))
      .sort(newestFirst);
    return entries.find((e) => !e.started) ?? entries[0];
  }

  async function speakNext(entry: Entry): Promise<void> {
    if (!entry.started) {
      entry.started = true;
      show(entry.call, announcementPlan(entry.call, options.languages())[0]);
      await options.engine.chime();
      if (disposed) return;
      // Read again after the chime: the display refetches the clinic's languages when the call arrives.
      entry.remaining = announcementPlan(entry.call, options.languages());
    }
    const part = entry.remaining.shift();
    if (!part) return;
    show(entry.call, part);
    await options.engine.say(part);
  }

  async function run(): Promise<void> {
    running = true;
    for (let entry = next(); entry && !disposed; entry = next()) {
      try {
        await speakNext(entry);
      } catch (error) {
        console.error(`Announcement of ${entry.call.ticketNumber} failed`, error);
      }
    }
    running = false;
    if (!disposed) set({ announcing: false, speaking: null });
  }

  return {
    announce(call) {
      if (disposed || remembered.includes(call.callId)) return;
      remembered = [call.callId, ...remembered].slice(0, REMEMBERED_CALLS);
      for (const [latest, key] of [
        [latestForRoom, call.roomName],
        [latestForTicket, call.ticketNumber],
      ] as const) {
        if (!laterThan(latest, key, call.calledAt)) latest.set(key, call.calledAt);
      }
      entries.push({ call, arrivedAt: now(), seq: ++arrivals, started: false, remaining: [] });
      if (!running) void run();
    },
    state: () => state,
    dispose() {
      disposed = true;
      entries = [];
    },
  };
}
