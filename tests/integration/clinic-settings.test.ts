import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../src/main/station';
import { announcementPlan, defaultAnnouncementSettings } from '../../src/shared/announcement';
import { ApiError } from '../../src/shared/contract';
import { call, failure, signIn, stationClient } from '../support/central';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { DEMO_CLINIC, startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';

/*
 * The announcement languages and their order are a clinic setting (issue 5): the clinic manager
 * changes them at any station, through the outbox and clinic.set_setting, and every station of
 * the clinic (the waiting-room display above all) picks them up at its next sync.
 */

const SETTING = 'announcement.languages';

describe('clinic settings from stations', () => {
  let db: TestDatabase;
  let central: TestCentral;
  let reception: StationCore;
  let display: StationCore;
  let admin: pg.Client;
  let station: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    central = await startTestCentral(db.url);
    reception = await startStation({ central, role: 'reception', code: 'SET-RECEPTION-1' });
    display = await startStation({ central, role: 'display', code: 'SET-DISPLAY-1' });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    station = await stationClient(db.url);
  });

  afterAll(async () => {
    await Promise.all([reception, display].map((s) => s?.stop()));
    await central?.close();
    await station?.end();
    await admin?.end();
    await db?.drop();
  });

  const languagesAt = async (core: StationCore) => (await core.handle('announcements.settings', {})).languages.join(',');

  it('a station hears the chain default until the clinic sets its own', async () => {
    await waitFor(() => display.cache.getMeta('clinic_settings'), 'the display to fetch the clinic settings');
    const settings = await display.handle('announcements.settings', {});
    expect(settings.languages).toEqual(['en', 'zh', 'ms', 'ta']);
    expect(settings.languages).toEqual(defaultAnnouncementSettings.languages);
    expect(settings.canEditLanguages).toBe(false);
    expect(settings.problems).toEqual([]);
  });

  it('a receptionist is refused with a clear message, and nothing is sent', async () => {
    await reception.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    expect((await reception.handle('announcements.settings', {})).canEditLanguages).toBe(false);
    const error = await reception.handle('announcements.setSettings', { languages: ['ms', 'en'], speechFallback: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'forbidden', message: 'Only the clinic manager (admin) can change the announcement languages.' });
    expect(reception.cache.pendingCount()).toBe(0);
    expect(await languagesAt(reception)).toBe('en,zh,ms,ta');
    // The speech fallback stays this station's own: anyone at it may switch it.
    const saved = await reception.handle('announcements.setSettings', { languages: ['en', 'zh', 'ms', 'ta'], speechFallback: true });
    expect(saved).toEqual({ languages: ['en', 'zh', 'ms', 'ta'], speechFallback: true });
    expect((await reception.handle('announcements.settings', {})).speechFallback).toBe(true);
    expect((await display.handle('announcements.settings', {})).speechFallback).toBe(false);
  });

  it('the clinic manager sets Malay then English at reception, and the display announces in that order', async () => {
    await reception.handle('session.signIn', { username: 'admin', password: 'demo1234' });
    expect((await reception.handle('announcements.settings', {})).canEditLanguages).toBe(true);
    const saved = await reception.handle('announcements.setSettings', { languages: ['ms', 'en'], speechFallback: true });
    expect(saved.languages).toEqual(['ms', 'en']);
    expect(reception.cache.pendingCount()).toBe(0);

    const { rows } = await admin.query(
      `SELECT s.value FROM clinic.system_settings s JOIN clinic.clinics c ON c.id = s.clinic_id WHERE c.code = $1 AND s.key = $2`,
      [DEMO_CLINIC, SETTING],
    );
    expect(rows).toEqual([{ value: ['ms', 'en'] }]);

    // The display polls every second in tests: within one cycle it has the clinic's order.
    await waitFor(async () => (await languagesAt(display)) === 'ms,en', 'the display to pick up the new languages', 5000);
    const plan = announcementPlan({ ticketNumber: 'A012', roomName: 'Room 2' }, (await display.handle('announcements.settings', {})).languages);
    expect(plan.map((part) => part.language)).toEqual(['ms', 'en']);
    expect(plan.map((part) => part.text)).toEqual(['Nombor A012, sila ke Bilik 2', 'Number A012, please go to Room 2']);
    expect(plan[0]!.clips.slice(0, 2)).toEqual(['ms/number', 'ms/letter-a']);

    // Another clinic keeps the chain default.
    const other = await admin.query(`SELECT clinic.setting(id, $1) AS value FROM clinic.clinics WHERE code <> $2`, [SETTING, DEMO_CLINIC]);
    for (const row of other.rows) expect(row.value).toEqual(['en', 'zh', 'ms', 'ta']);
  });

  describe('clinic.set_setting and clinic.settings_for_station', () => {
    let adminToken: string;
    let receptionToken: string;
    let displayToken: string;

    beforeAll(async () => {
      adminToken = (await signIn(station, DEMO_CLINIC, 'admin', 'SET-PROC-1', 'reception')).token;
      receptionToken = (await signIn(station, DEMO_CLINIC, 'reception', 'SET-PROC-1', 'reception')).token;
      displayToken = (await signIn(station, DEMO_CLINIC, 'display', 'SET-PROC-DISPLAY', 'display')).token;
    });

    const set = (token: string, value: unknown, key: string = SETTING, requestKey?: string) => call(station, token, 'set_setting', { key, value }, requestKey);

    it('is idempotent by request key: a replay answers the same and changes nothing', async () => {
      const key = randomUUID();
      expect(await set(adminToken, ['zh', 'en'], SETTING, key)).toEqual({ key: SETTING, value: ['zh', 'en'] });
      const before = (await admin.query(`SELECT updated_at FROM clinic.system_settings WHERE key = $1`, [SETTING])).rows;
      await set(adminToken, ['en'], SETTING);
      expect(await set(adminToken, ['zh', 'en'], SETTING, key)).toEqual({ key: SETTING, value: ['zh', 'en'] });
      // The replay did not write again: the later change stands.
      const after = (await admin.query(`SELECT value, updated_at FROM clinic.system_settings WHERE key = $1`, [SETTING])).rows;
      expect(after).toHaveLength(1);
      expect(after[0].value).toEqual(['en']);
      expect(after[0].updated_at.getTime()).toBeGreaterThanOrEqual(before[0].updated_at.getTime());
      expect((await failure(set(adminToken, ['ms'], SETTING, key))).code).toBe('GC422');
    });

    it('rejects unknown, repeated or no languages, unknown keys and the wrong JSON type with GC400', async () => {
      const unknown = await failure(set(adminToken, ['en', 'fr']));
      expect(unknown.code).toBe('GC400');
      expect(unknown.message).toBe('Unknown announcement language: fr (use en, zh, ms, ta).');
      expect(unknown.column).toBe('value');
      expect((await failure(set(adminToken, []))).message).toMatch(/at least one language/);
      expect((await failure(set(adminToken, ['en', 'en']))).message).toMatch(/only once/);
      expect((await failure(set(adminToken, ['en', 1]))).code).toBe('GC400');
      expect((await failure(set(adminToken, 'en'))).message).toBe('Setting announcement.languages must be a JSON array.');
      expect((await failure(set(adminToken, null))).code).toBe('GC400');
      const noSuch = await failure(set(adminToken, 1, 'voice.volume'));
      expect([noSuch.code, noSuch.message]).toEqual(['GC400', 'There is no setting voice.volume.']);
      // Settings stations do not use (retention periods, say) are out of a station's reach.
      expect((await failure(set(adminToken, 1, 'retention.medical_records_years'))).code).toBe('GC403');
      expect((await admin.query(`SELECT value FROM clinic.system_settings WHERE key = $1`, [SETTING])).rows).toEqual([{ value: ['en'] }]);
    });

    it('only the clinic manager may set; every signed-in station, the display included, may read', async () => {
      const refused = await failure(set(receptionToken, ['ms']));
      expect([refused.code, refused.message]).toEqual(['GC403', 'Only the clinic manager (admin) can change clinic settings.']);
      expect((await failure(set(displayToken, ['ms']))).code).toBe('GC403');
      expect((await failure(set('', ['ms']))).code).toBe('GC401');

      const read = async (token: string) => {
        await station.query('BEGIN');
        try {
          await station.query("SELECT set_config('app.session_token', $1, true)", [token]);
          return (await station.query('SELECT clinic.settings_for_station() AS s')).rows[0].s;
        } finally {
          await station.query('ROLLBACK');
        }
      };
      // Every station setting, this clinic's value or else the chain default (the check-in window's 60 minutes).
      const expected = { [SETTING]: ['en'], 'queue.check_in_opens_minutes': 60 };
      expect(await read(displayToken)).toEqual(expected);
      expect(await read(receptionToken)).toEqual(expected);
      expect((await failure(read(''))).code).toBe('GC401');
    });
  });
});
