import { describeIssuesWithPaths } from '../../shared/issue-text';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  announcementLanguages,
  announcementSettingsSchema,
  clipNames,
  defaultAnnouncementSettings,
  type AnnouncementLanguage,
  type AnnouncementSettings,
} from '../../shared/announcement';
import { ApiError } from '../../shared/contract';
import { audioMimeOf, decodeWav } from '../../shared/wav';
import type { Cache } from '../cache/cache';
import { CLINIC_SETTINGS_META, SETTINGS_ROLES } from '../clinic/settings';

/** This station's own voice options (speech fallback); the languages are the clinic's. */
const ANNOUNCEMENT_META = 'announcements.settings';
const LANGUAGES_SETTING = 'announcement.languages';
const MAX_CLIP_BYTES = 1024 * 1024;

export interface VoiceDeps {
  dataDir: string;
  cache: Cache;
  /** Who is signed in here (null: nobody); clinic settings change through the outbox with this session. */
  session?: () => { token: string; role: string } | null;
  /** Sends what was just put in the outbox and waits briefly for the centre's answer; throws its refusal. */
  afterClinicWrite?: (requestKey: string) => Promise<void>;
}

/** The called number spoken in the clinic's languages, from its own recordings where it has them. */
export class VoiceService {
  constructor(private readonly deps: VoiceDeps) {}

  get voiceFolder(): string {
    return join(this.deps.dataDir, 'voice');
  }

  /** The clinic's languages (the defaults until the centre was first asked) and this station's speech fallback. */
  announcementSettings(): AnnouncementSettings & { problems: string[] } {
    const problems: string[] = [];
    let languages = defaultAnnouncementSettings.languages;
    const clinic = parseJson(this.deps.cache.getMeta(CLINIC_SETTINGS_META));
    if (clinic !== undefined) {
      const value = (clinic as Record<string, unknown> | null)?.[LANGUAGES_SETTING];
      const result = announcementSettingsSchema.shape.languages.safeParse(value);
      if (result.success) languages = result.data;
      else problems.push(`The clinic's announcement languages from the centre could not be read (${describeIssuesWithPaths(result.error)}); the defaults are in use.`);
    }
    let speechFallback = defaultAnnouncementSettings.speechFallback;
    const raw = this.deps.cache.getMeta(ANNOUNCEMENT_META);
    if (raw) {
      const parsed = parseJson(raw);
      const result = announcementSettingsSchema.pick({ speechFallback: true }).safeParse(parsed);
      if (result.success) speechFallback = result.data.speechFallback;
      else problems.push(`The saved voice settings could not be read (${parsed === undefined ? 'not JSON' : describeIssuesWithPaths(result.error)}); the defaults are in use until they are saved again.`);
    }
    return { languages, speechFallback, problems };
  }

  /** Whether the person signed in here may change the clinic's announcement languages. */
  canEditLanguages(): boolean {
    return SETTINGS_ROLES.includes(this.deps.session?.()?.role ?? '');
  }

  /**
   * The speech fallback is this station's; the languages are the clinic's, changed only by its
   * manager and sent to the centre through the outbox like every other write.
   */
  async setAnnouncementSettings(settings: AnnouncementSettings): Promise<AnnouncementSettings> {
    const current = this.announcementSettings().languages;
    const session = this.deps.session?.() ?? null;
    const changed = settings.languages.join() !== current.join();
    if (changed && !session) throw new ApiError('not_signed_in', 'Please sign in to change the announcement languages.');
    if (changed && !SETTINGS_ROLES.includes(session?.role ?? '')) {
      throw new ApiError('forbidden', 'Only the clinic manager (admin) can change the announcement languages.');
    }
    this.deps.cache.setMeta(ANNOUNCEMENT_META, JSON.stringify({ speechFallback: settings.speechFallback }));
    if (!changed || !session) return { languages: current, speechFallback: settings.speechFallback };
    const value = [...settings.languages];
    const { requestKey } = this.deps.cache.enqueue(
      // Shown here at once; the next fetch from the centre replaces it, also if the centre refuses it.
      () => this.deps.cache.setMeta(CLINIC_SETTINGS_META, JSON.stringify({ ...asObject(parseJson(this.deps.cache.getMeta(CLINIC_SETTINGS_META))), [LANGUAGES_SETTING]: value })),
      () => ({ procedure: 'set_setting', args: { key: LANGUAGES_SETTING, value }, sessionToken: session.token, undo: [] }),
    );
    await this.deps.afterClinicWrite?.(requestKey);
    return { languages: this.announcementSettings().languages, speechFallback: settings.speechFallback };
  }

  /**
   * The clinic's own recordings in <data dir>/voice/<language>/<clip>.wav|mp3|ogg. Each file is
   * checked before the display is told about it, so a bad file falls back to the generated clip.
   */
  voiceOverrides(): { overrides: Map<string, string>; problems: string[] } {
    const overrides = new Map<string, string>();
    const problems: string[] = [];
    if (!existsSync(this.voiceFolder)) return { overrides, problems };
    const known = new Set(clipNames());
    for (const language of readdirSync(this.voiceFolder)) {
      const dir = join(this.voiceFolder, language);
      if (!statSync(dir).isDirectory()) continue;
      if (!(announcementLanguages as readonly string[]).includes(language)) {
        problems.push(`voice/${language}: not a language folder (use ${announcementLanguages.join(', ')}).`);
        continue;
      }
      for (const file of readdirSync(dir)) {
        const clip = file.slice(0, -extname(file).length);
        const where = `voice/${language}/${file}`;
        if (!['.wav', '.mp3', '.ogg'].includes(extname(file).toLowerCase())) {
          problems.push(`${where}: only .wav, .mp3 and .ogg files are played.`);
          continue;
        }
        if (!known.has(clip)) {
          problems.push(`${where}: "${clip}" is not a clip name (number, please-go-to, room, digit-0…9, letter-a…z).`);
          continue;
        }
        const problem = checkClip(join(dir, file));
        if (problem) problems.push(`${where}: ${problem}`);
        else overrides.set(`${language}/${clip}`, join(dir, file));
      }
    }
    return { overrides, problems };
  }

  clipUrl(language: AnnouncementLanguage, clip: string): string {
    const file = this.voiceOverrides().overrides.get(`${language}/${clip}`);
    if (!file) throw new ApiError('not_found', `The clinic has no recording of ${language}/${clip}; the built-in clip plays.`);
    const bytes = readFileSync(file);
    return `data:${audioMimeOf(bytes)};base64,${bytes.toString('base64')}`;
  }
}

/** undefined when there is nothing, or nothing readable. */
function parseJson(raw: string | null): unknown {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function checkClip(file: string): string | null {
  const size = statSync(file).size;
  if (size > MAX_CLIP_BYTES) return `larger than ${MAX_CLIP_BYTES / 1024} KiB; a word should be a second or two.`;
  const bytes = readFileSync(file);
  const mime = audioMimeOf(bytes);
  if (!mime) return 'not a WAV, MP3 or Ogg recording.';
  if (mime === 'audio/wav') {
    try {
      const pcm = decodeWav(bytes);
      if (pcm.samples.length === 0) return 'the recording is empty.';
    } catch (error) {
      return `${(error as Error).message}.`;
    }
  }
  return null;
}
