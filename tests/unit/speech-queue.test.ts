import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnnouncementLanguage, AnnouncementPart } from '../../src/shared/announcement';
import type { DisplayCall } from '../../src/shared/contract';
import { createSpeechQueue, RESUME_WITHIN_MS, type SpeechQueue, type SpeechQueueState } from '../../src/renderer/screens/display/speech-queue';

/*
 * The waiting room's voice keeps in step with its screen (issue 11, item 8): newest call first, the first
 * language at once, the other languages only while no newer call waits, and a caption that always names the
 * call being said. The engine here is a clock: a chime takes CHIME_MS, each language SAY_MS.
 */

const CHIME_MS = 1300;
const SAY_MS = 5000;
const ALL: AnnouncementLanguage[] = ['en', 'zh', 'ms', 'ta'];

let n = 0;
function call(ticketNumber: string, roomName: string, kind: DisplayCall['kind'] = 'call'): DisplayCall {
  n += 1;
  // Stamped with the fake clock, as the centre stamps a call when it is made.
  return { callId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ticketNumber, roomName, kind, calledAt: new Date(Date.now()).toISOString() };
}

/** The ticket a sentence names, read from the words themselves rather than from the queue's state. */
const ticketIn = (text: string) => /[A-Z]\d{3}/.exec(text)?.[0] ?? '?';

interface Harness {
  queue: SpeechQueue;
  /** What the room heard, in order: "chime A004", "en A004", … */
  heard: string[];
  /** The caption at the moment each sentence started, beside the sentence itself. */
  captions: { part: AnnouncementPart; caption: SpeechQueueState['speaking'] }[];
  languages: AnnouncementLanguage[];
}

function harness(options: { languages?: AnnouncementLanguage[]; sayMs?: number; fail?: (what: string) => boolean } = {}): Harness {
  const h: Harness = { queue: null as unknown as SpeechQueue, heard: [], captions: [], languages: options.languages ?? ALL };
  const after = (ms: number, what: string) =>
    new Promise<void>((resolve, reject) => setTimeout(() => (options.fail?.(what) ? reject(new Error(`${what} failed`)) : resolve()), ms));
  h.queue = createSpeechQueue({
    engine: {
      chime: () => {
        const what = `chime ${h.queue.state().speaking?.call.ticketNumber ?? 'nothing'}`;
        h.heard.push(what);
        return after(CHIME_MS, what);
      },
      say: (part) => {
        const what = `${part.language} ${ticketIn(part.text)}`;
        h.heard.push(what);
        h.captions.push({ part, caption: h.queue.state().speaking });
        return after(options.sayMs ?? SAY_MS, what);
      },
    },
    languages: () => h.languages,
    onChange: () => undefined,
    now: () => Date.now(),
  });
  return h;
}

describe('the announcer’s speech queue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-03T10:15:00+08:00') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says a call made a second later before the rest of the first call’s languages', async () => {
    const h = harness();
    h.queue.announce(call('A004', 'Room 2'));
    await vi.advanceTimersByTimeAsync(1000);
    h.queue.announce(call('A009', 'Room 1'));
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A004', 'en A004', 'chime A009', 'en A009', 'zh A009', 'ms A009', 'ta A009', 'zh A004', 'ms A004', 'ta A004']);
  });

  it('shows as caption exactly the sentence being said, of the call being said', async () => {
    const h = harness();
    h.queue.announce(call('A004', 'Room 2'));
    await vi.advanceTimersByTimeAsync(1000);
    h.queue.announce(call('A009', 'Room 1'));
    await vi.advanceTimersByTimeAsync(CHIME_MS + 2000);
    // Mid-sentence of A004's English, with A009 waiting: the caption still names A004.
    expect(h.queue.state().speaking?.call.ticketNumber).toBe('A004');
    expect(h.queue.state().speaking?.text).toBe('Number A004, please go to Room 2');
    await vi.runAllTimersAsync();
    expect(h.captions).toHaveLength(8);
    for (const { part, caption } of h.captions) {
      expect(caption?.text).toBe(part.text);
      expect(caption?.language).toBe(part.language);
      expect(caption?.call.ticketNumber).toBe(ticketIn(part.text));
    }
    expect(h.queue.state()).toEqual({ announcing: false, speaking: null });
  });

  it('finishes the sentence under way and then lets the newer call in', async () => {
    const h = harness();
    h.queue.announce(call('A004', 'Room 2'));
    // Halfway through A004's Mandarin.
    await vi.advanceTimersByTimeAsync(CHIME_MS + SAY_MS + SAY_MS / 2);
    h.queue.announce(call('A009', 'Room 1'));
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A004', 'en A004', 'zh A004', 'chime A009', 'en A009', 'zh A009', 'ms A009', 'ta A009', 'ms A004', 'ta A004']);
  });

  it('says every unheard call in the first language, newest first, before anyone’s other languages', async () => {
    const h = harness({ languages: ['en', 'zh'] });
    h.queue.announce(call('A001', 'Room 1'));
    await vi.advanceTimersByTimeAsync(2000);
    h.queue.announce(call('A002', 'Room 2'));
    await vi.advanceTimersByTimeAsync(1000);
    h.queue.announce(call('A003', 'Room 3'));
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A001', 'en A001', 'chime A003', 'en A003', 'chime A002', 'en A002', 'zh A003', 'zh A002', 'zh A001']);
  });

  it('drops a call once its room has called again, and the rest of a call once its ticket is recalled', async () => {
    const h = harness({ languages: ['en', 'zh'] });
    h.queue.announce(call('A001', 'Room 1'));
    await vi.advanceTimersByTimeAsync(1000);
    h.queue.announce(call('A002', 'Room 2'));
    await vi.advanceTimersByTimeAsync(1000);
    // Room 2 moved on before A002 was heard at all.
    h.queue.announce(call('A005', 'Room 2'));
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A001', 'en A001', 'chime A005', 'en A005', 'zh A005', 'zh A001']);

    const r = harness({ languages: ['en', 'zh', 'ms'] });
    r.queue.announce(call('B007', 'Room 1'));
    await vi.advanceTimersByTimeAsync(CHIME_MS + 1000);
    r.queue.announce(call('B007', 'Room 1', 'recall'));
    await vi.runAllTimersAsync();
    expect(r.heard).toEqual(['chime B007', 'en B007', 'chime B007', 'en B007', 'zh B007', 'ms B007']);
  });

  it('says a call once however often its event arrives', async () => {
    const h = harness({ languages: ['en'] });
    const once = call('A004', 'Room 2');
    h.queue.announce(once);
    h.queue.announce({ ...once });
    await vi.advanceTimersByTimeAsync(3000);
    h.queue.announce(once);
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A004', 'en A004']);
  });

  it('leaves an interrupted call in its first language once it is no longer fresh', async () => {
    const slow = 20_000;
    const h = harness({ languages: ['en', 'zh'], sayMs: slow });
    h.queue.announce(call('A001', 'Room 1'));
    await vi.advanceTimersByTimeAsync(1000);
    h.queue.announce(call('A002', 'Room 2'));
    await vi.runAllTimersAsync();
    // A001's Mandarin would start 2 chimes and 3 sentences after it arrived: past the limit.
    expect(2 * CHIME_MS + 3 * slow).toBeGreaterThan(RESUME_WITHIN_MS);
    expect(h.heard).toEqual(['chime A001', 'en A001', 'chime A002', 'en A002', 'zh A002']);
  });

  it('reads the clinic’s languages after the chime, when the display has fetched them afresh', async () => {
    const h = harness({ languages: ['en', 'zh'] });
    h.queue.announce(call('A004', 'Room 2'));
    expect(h.queue.state().speaking?.language).toBe('en');
    h.languages = ['ms', 'en'];
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A004', 'ms A004', 'en A004']);
  });

  it('goes on with the next call when the sound fails', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const h = harness({ languages: ['en', 'zh'], fail: (what) => what === 'chime A004' || what === 'en A005' });
    h.queue.announce(call('A004', 'Room 2'));
    await vi.advanceTimersByTimeAsync(100);
    h.queue.announce(call('A005', 'Room 1'));
    await vi.runAllTimersAsync();
    expect(h.heard).toEqual(['chime A004', 'chime A005', 'en A005', 'zh A005']);
    expect(h.queue.state()).toEqual({ announcing: false, speaking: null });
  });

  it('is announcing from the call until its last language, and says nothing after dispose', async () => {
    const h = harness({ languages: ['en', 'zh'] });
    h.queue.announce(call('A004', 'Room 2'));
    expect(h.queue.state().announcing).toBe(true);
    await vi.advanceTimersByTimeAsync(CHIME_MS + SAY_MS + 100);
    expect(h.queue.state()).toMatchObject({ announcing: true, speaking: { language: 'zh' } });
    await vi.runAllTimersAsync();
    expect(h.queue.state().announcing).toBe(false);

    h.queue.announce(call('A005', 'Room 1'));
    h.queue.dispose();
    h.queue.announce(call('A006', 'Room 1'));
    await vi.runAllTimersAsync();
    expect(h.heard.slice(3)).toEqual(['chime A005']);
  });
});
