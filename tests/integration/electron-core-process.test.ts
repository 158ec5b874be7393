import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ApiError } from '../../src/shared/contract';
import type { CoreConfig } from '../../src/main/core-process/protocol';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { forkCore, type CoreChild } from '../support/core-child';
import { startTestCentral, testIdentityFile, waitFor, type TestCentral } from '../support/stations';

/*
 * The station core in its own process, spoken to over the port protocol exactly as the Electron
 * main process does, against a clone of the demo database.
 */
describe('the station core process', () => {
  let db: TestDatabase;
  const children: CoreChild[] = [];
  let centre: TestCentral;

  /** A new PC enrolled as reception station `stationCode`, and the init its host sends. */
  const config = async (stationCode = 'CORE-RECEPTION', overrides: Partial<CoreConfig> = {}): Promise<CoreConfig> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'core-process-'));
    return {
      dataDir,
      stationCode,
      role: 'reception',
      identityFile: await testIdentityFile({ central: centre, role: 'reception', code: stationCode }, dataDir),
      keyFile: inject('pg').keyFile,
      pollIntervalMs: 1000,
      ...overrides,
    };
  };
  const start = (c: CoreConfig | Record<string, unknown>) => {
    const core = forkCore(c);
    children.push(core);
    return core;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
  });

  afterAll(async () => {
    for (const { child, exited } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    await centre?.close();
    await db?.drop();
  });

  it('answers station.info, session.signIn and patients.search through the port, then stops cleanly', async () => {
    const core = start(await config());
    await core.client.started;

    const info = await core.client.handle('station.info', {});
    expect(info).toMatchObject({ stationCode: 'CORE-RECEPTION', role: 'reception', clinic: { code: 'GFC-BDK' } });

    const session = await core.client.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    expect(session).toMatchObject({ username: 'reception', role: 'receptionist' });

    const found = await waitFor(async () => {
      const { patients } = await core.client.handle('patients.search', { query: 'tan', limit: 5 });
      return patients.length ? patients : null;
    }, 'the first load to bring patients into the cache');
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThanOrEqual(5);
    for (const patient of found) expect(patient.nricMasked).toMatch(/^[STFGM]\*{4}\d{3}[A-Z]$/);

    await expect(core.client.stop()).resolves.toBe(true);
    await expect(core.exited).resolves.toEqual({ code: 0, signal: null });
    expect(core.received).toContainEqual({ type: 'stopped' });
  });

  it('forwards the core’s events, parsed against the contract', async () => {
    const core = start(await config('CORE-EVENTS'));
    const printers: unknown[] = [];
    const statuses: { online: boolean }[] = [];
    core.client.on('printer.status', (status) => printers.push(status));
    core.client.on('sync.status', (status) => statuses.push(status));
    await core.client.started;
    // The virtual printer reports itself while the core starts: events sent before `started` arrive too.
    expect(printers[0]).toMatchObject({ name: 'Virtual printer', state: 'ready' });
    await core.client.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await waitFor(() => statuses.some((s) => s.online), 'a sync.status event saying the station is online');
    await core.client.stop();
  });

  it('answers bad messages with a clear error and keeps serving', async () => {
    const core = start(await config('CORE-BAD-INPUT'));
    await core.client.started;
    const answerTo = (id: number) => waitFor(() => core.received.find((m) => (m as { id?: number }).id === id), `the answer to ${id}`);

    core.endpoint.send({ type: 'call', id: 901, method: 42, input: {} });
    expect(await answerTo(901)).toMatchObject({ type: 'result', ok: false, error: { code: 'validation', message: expect.stringMatching(/^The station core cannot read this message: method: Method /) } });

    core.endpoint.send({ type: 'call', id: 902, method: 'toString', input: {} });
    expect(await answerTo(902)).toMatchObject({ ok: false, error: { code: 'not_found', message: 'Unknown method toString' } });

    core.endpoint.send({ type: 'call', id: 903, method: 'patients.search', input: { query: 7 } });
    expect(await answerTo(903)).toMatchObject({ ok: false, error: { code: 'validation', message: 'The search is not the right kind of value.' } });

    core.endpoint.send('not a message at all');
    const rejected = await waitFor(() => core.received.find((m) => (m as { type?: string }).type === 'rejected'), 'the rejection');
    expect(rejected).toMatchObject({ error: { code: 'validation', message: expect.stringMatching(/cannot read this message/) } });

    await expect(core.client.handle('station.info', {})).resolves.toMatchObject({ stationCode: 'CORE-BAD-INPUT' });
    expect(core.child.exitCode).toBeNull();
    await core.client.stop();
  });

  it('reports a core killed with SIGKILL to the client: waiting and later calls fail as offline', async () => {
    const core = start(await config('CORE-KILLED'));
    await core.client.started;
    const closed = new Promise<string>((resolve) => core.client.onClose(resolve));

    const waiting = core.client.handle('patients.search', { query: 'lim' });
    core.child.kill('SIGKILL');

    await expect(closed).resolves.toBe('killed by SIGKILL');
    const error = await waiting.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'offline', message: 'The station service stopped unexpectedly. Try again in a moment.' });
    expect(core.client.closed).toBe('killed by SIGKILL');
    await expect(core.client.handle('station.info', {})).rejects.toMatchObject({ code: 'offline' });
  });

  it('says why it could not start, answers calls with that, and exits 1', async () => {
    const other = await config('CORE-OTHER');
    const core = start({ ...other, stationCode: 'CORE-COPIED' });
    await expect(core.client.started).rejects.toMatchObject({ message: expect.stringMatching(/belongs to reception station CORE-OTHER, not to reception station CORE-COPIED/) });
    await expect(core.exited).resolves.toMatchObject({ code: 1 });
    const unenrolled = start({ ...(await config('CORE-NEW')), identityFile: join(tmpdir(), 'no-such-identity.json') });
    await expect(unenrolled.client.started).rejects.toMatchObject({ message: expect.stringMatching(/not enrolled yet/) });
  });

  it('refuses an invalid init with the fields that are wrong, and exits 1', async () => {
    const { dataDir: _dataDir, ...withoutDataDir } = await config('CORE-BAD-INIT');
    const core = start({ ...withoutDataDir, role: 'pharmacy' });
    const failure = await core.client.started.then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ code: 'validation' });
    expect((failure as Error).message).toMatch(/init message is invalid: .*dataDir.*role|init message is invalid: .*role.*dataDir/);
    await expect(core.exited).resolves.toMatchObject({ code: 1 });
  });
});
