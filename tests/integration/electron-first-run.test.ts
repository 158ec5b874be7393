import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localGatewayTls } from '../../dev/local-ca';
import { CALL_CHANNEL, FIRST_RUN_CHANNEL } from '../../src/shared/electron-ipc';
import { FIRST_RUN_URL, STATION_START_URL } from '../../src/main/electron/windows';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { coresReady, startTestApp, type TestApp } from '../support/electron-app';
import { startTestCentral, type TestCentral } from '../support/stations';

/*
 * A new PC's first start in the app, against a real gateway and Postgres: no station list, so the first-run screen;
 * the operator's one-time code enrols it; the identity is kept encrypted with safeStorage, never in clear; and from
 * then on the app starts the station directly, decrypting the identity for its core.
 */
describe('the app on a PC that is not enrolled yet', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;
  let codes = 0;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    admin = new pg.Client(db.url);
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  /** What the clinic manager's Stations screen makes: a one-time code for one station. */
  async function oneTimeCode(stationCode: string, role = 'reception'): Promise<string> {
    codes += 1;
    const code = `FIRSTRUN${String(codes).padStart(4, '0')}${stationCode.replace(/\W/g, '')}`.slice(0, 40);
    await admin.query('SELECT clinic.create_enrolment_code($1, $2, $3, $4, $5)', ['GFC-BDK', role, stationCode, code, null]);
    return code;
  }

  const freshPc = (options: Parameters<typeof startTestApp>[0] = {}) =>
    startTestApp({ stations: null, argv: [], userData: join(mkdtempSync(join(tmpdir(), 'first-run-')), 'user-data'), ...options });

  const enrol = (app: TestApp, input: unknown) => app.fake.ipcMain.invoke(app.fake.windows[0]!.webContents, FIRST_RUN_CHANNEL, [input]);

  const nothingWritten = (app: TestApp) => {
    const userData = app.fake.app.getPath('userData');
    expect(existsSync(join(userData, 'stations.json'))).toBe(false);
    expect(existsSync(join(userData, 'stations')) ? readdirSync(join(userData, 'stations')) : []).toEqual([]);
  };

  it('opens the first-run screen, and nothing else, instead of refusing to start', async () => {
    const app = await freshPc();
    expect(app.fake.errorBoxes).toEqual([]);
    expect(app.fake.windows.map((w) => w.loadedUrl)).toEqual([FIRST_RUN_URL]);
    expect(app.fake.utilityProcesses).toEqual([]);
    // The first-run window is no station: it cannot call one.
    const call = (await app.fake.ipcMain.invoke(app.fake.windows[0]!.webContents, CALL_CHANNEL, ['station.info', {}])) as { ok: boolean };
    expect(call.ok).toBe(false);
  });

  it('still refuses a station list named on the command line that is not there', async () => {
    const app = await freshPc({ argv: ['--stations', '/nowhere/stations.json'] });
    expect(app.fake.windows).toEqual([]);
    expect(app.fake.errorBoxes[0]?.content).toMatch(/There is no station list at \/nowhere\/stations\.json/);
  });

  it('says what is wrong with what was typed, and with a code the centre does not know, writing nothing', async () => {
    const app = await freshPc();
    const typed = (await enrol(app, { gatewayUrl: 'gateway.clinic', code: 'abc' })) as { ok: false; error: { code: string; message: string } };
    expect(typed.ok).toBe(false);
    expect(typed.error.code).toBe('validation');
    expect(typed.error.message).toMatch(/^The gateway address must look like https:\/\//);
    expect(typed.error.message).toMatch(/\. The enrolment code has 16 letters and digits/);

    const unknown = (await enrol(app, { gatewayUrl: centre.gatewayUrl, code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' })) as { ok: false; error: { message: string } };
    expect(unknown.ok).toBe(false);
    expect(unknown.error.message).toMatch(/This enrolment code is not valid/);

    const nowhere = (await enrol(app, { gatewayUrl: 'http://127.0.0.1:9', code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' })) as { ok: false; error: { code: string; message: string } };
    expect(nowhere.error.code).toBe('offline');
    expect(nowhere.error.message).toMatch(/Cannot reach the gateway at http:\/\/127\.0\.0\.1:9/);
    nothingWritten(app);
    expect(app.fake.windows).toHaveLength(1);
  });

  it('tells a gateway whose certificate it does not trust from one it cannot reach', async () => {
    const tls = await localGatewayTls(mkdtempSync(join(tmpdir(), 'first-run-tls-')));
    const secure = await startTestCentral(db.url, { gateway: { tls: { key: tls.keyPem, cert: tls.certPem } } });
    try {
      const app = await freshPc();
      const code = await oneTimeCode('FIRST-RUN-TLS');
      const untrusted = (await enrol(app, { gatewayUrl: secure.gatewayUrl, code })) as { ok: false; error: { message: string } };
      expect(untrusted.ok).toBe(false);
      expect(untrusted.error.message).toMatch(/certificate this PC does not trust/);
      nothingWritten(app);
      // The same code still enrols once the CA is pasted: a refused attempt does not use it up.
      const pinned = (await enrol(app, { gatewayUrl: secure.gatewayUrl, code, gatewayCaPem: tls.caPem })) as { ok: boolean };
      expect(pinned.ok).toBe(true);
    } finally {
      await secure.close();
    }
  });

  it('enrols with the code, keeps the identity only encrypted, and opens the station it became', async () => {
    const app = await freshPc();
    const code = await oneTimeCode('FIRST-RUN-1');
    // As typed from the manager's screen: lower case, with spaces.
    const answer = await enrol(app, { gatewayUrl: centre.gatewayUrl, code: ` ${code.toLowerCase().replace(/(.{4})/g, '$1 ')} `, gatewayCaPem: '' });
    expect(answer).toEqual({ ok: true, value: { stationCode: 'FIRST-RUN-1', role: 'reception', clinicName: expect.any(String) } });

    const { rows } = await admin.query<{ id: string; public_key: string }>(`SELECT id, public_key FROM clinic.stations WHERE code = 'FIRST-RUN-1'`);
    expect(rows).toHaveLength(1);
    const userData = app.fake.app.getPath('userData');
    const identityFile = join(userData, 'stations', 'FIRST-RUN-1', 'identity.safe');
    const stored = readFileSync(identityFile);
    expect(statSync(identityFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(userData, 'stations.json')).mode & 0o777).toBe(0o600);
    for (const clear of ['PRIVATE KEY', rows[0]!.id, centre.gatewayUrl]) expect(stored.includes(clear), clear).toBe(false);
    expect(JSON.parse(readFileSync(join(userData, 'stations.json'), 'utf8'))).toEqual({
      stations: [{ code: 'FIRST-RUN-1', role: 'reception', keyFile: 'keys/local-key.json', identityFile: join('stations', 'FIRST-RUN-1', 'identity.safe'), identityProtection: 'safeStorage' }],
    });

    await coresReady(app, 1);
    const core = app.cores.get('FIRST-RUN-1')!;
    expect(core.config).toMatchObject({ stationCode: 'FIRST-RUN-1', role: 'reception', identity: { stationId: rows[0]!.id, gatewayUrl: centre.gatewayUrl } });
    expect(core.config).not.toHaveProperty('identityFile');
    expect(app.fake.windows.map((w) => w.loadedUrl)).toEqual([FIRST_RUN_URL, STATION_START_URL]);
    await expect.poll(() => app.fake.windows[0]!.isDestroyed(), { timeout: 5000 }).toBe(true);
    expect(app.fake.app.quitRequested).toBe(0);

    // The next start goes straight to the station, the identity decrypted for its core.
    const again = await startTestApp({ stations: null, argv: [], userData });
    expect(again.fake.windows.map((w) => w.loadedUrl)).toEqual([STATION_START_URL]);
    await coresReady(again, 1);
    expect(again.cores.get('FIRST-RUN-1')!.config).toEqual(core.config);

    // Another OS user, or the folder copied to another PC, cannot open it.
    const stranger = await startTestApp({ stations: null, argv: [], userData, osUser: 'someone-else' });
    expect(stranger.fake.windows).toEqual([]);
    expect(stranger.fake.errorBoxes[0]?.content).toMatch(/cannot be decrypted by this Windows user or PC/);

    const twice = (await enrol(app, { gatewayUrl: centre.gatewayUrl, code })) as { ok: boolean };
    expect(twice.ok).toBe(false);
  });

  it('will not enrol where the operating system cannot protect the key, and leaves the code unused', async () => {
    const app = await freshPc({ encryptionAvailable: false });
    const code = await oneTimeCode('FIRST-RUN-2');
    const refused = (await enrol(app, { gatewayUrl: centre.gatewayUrl, code })) as { ok: false; error: { message: string } };
    expect(refused.error.message).toMatch(/cannot encrypt the station key/);
    nothingWritten(app);
    const { rows } = await admin.query(`SELECT used_at FROM clinic.enrolment_codes WHERE station_code = 'FIRST-RUN-2'`);
    expect(rows).toEqual([{ used_at: null }]);
  });
});
