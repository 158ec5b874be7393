import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/contract';
import { CoreHost } from '../../src/main/electron/core-host';
import type { CoreConfig } from '../../src/main/core-process/protocol';
import { createFakeElectron, type FakeUtilityProcess } from '../support/fake-electron';
import { runScriptedCores, type ScriptedStation } from '../support/fake-core';

const CONFIG: CoreConfig = {
  dataDir: '/data/stations/H-RECEPTION',
  stationCode: 'H-RECEPTION',
  role: 'reception',
  identityFile: '/data/stations/H-RECEPTION/identity.json',
  keyFile: '/data/keys/local-key.json',
};

function setup(program?: (child: FakeUtilityProcess) => void, config: CoreConfig = CONFIG) {
  const fake = createFakeElectron();
  fake.makeReady();
  const cores = new Map<string, ScriptedStation>();
  runScriptedCores(fake.utilityProcess, cores);
  if (program) fake.utilityProcess.program = program;
  const logs: string[] = [];
  const host = new CoreHost(fake.electron, {
    entryPath: '/app/core-process.cjs',
    config,
    log: (line) => logs.push(line),
    restartDelaysMs: [10, 30],
    stopTimeoutMs: 50,
    killTimeoutMs: 50,
  });
  return { fake, cores, logs, host };
}

/*
 * The main process's side of a core in a utilityProcess: init and the port, calls and events,
 * and what happens when the process dies or will not stop.
 */
describe('a core host', () => {
  it('sends the config with a MessagePort, then relays calls over that port', async () => {
    const { fake, cores, host } = setup();
    await host.start();
    expect(fake.utilityProcesses).toHaveLength(1);
    expect(cores.get('H-RECEPTION')!.config).toEqual(CONFIG);
    await expect(host.handle('station.info', {})).resolves.toMatchObject({ stationCode: 'H-RECEPTION' });
    await host.stop();
  });

  it('fails calls in flight as offline when the process dies, and restarts it; listeners carry over', async () => {
    const { fake, cores, host, logs } = setup();
    await host.start();
    const events: unknown[] = [];
    host.on('queue.changed', (payload) => events.push(payload));
    const first = cores.get('H-RECEPTION')!;
    // A call the scripted core never answers, so it is still waiting when the process dies.
    let reached = false;
    first.handle = () => {
      reached = true;
      return new Promise(() => undefined);
    };
    const waiting = host.handle('queue.today', {});
    await until(() => reached);
    fake.utilityProcesses[0]!.exit(3);

    const error = await waiting.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'offline', message: 'The station service stopped unexpectedly. Try again in a moment.' });
    await until(() => logs.includes("[H-RECEPTION] The station core's process exited with code 3."));
    expect(logs.join('\n')).toMatch(/Restarting the station core in 10 ms/);

    await until(() => fake.utilityProcesses.length === 2 && cores.get('H-RECEPTION') !== first);
    await until(async () => (await host.handle('station.info', {}).catch(() => null)) !== null);
    cores.get('H-RECEPTION')!.emit('queue.changed', { at: '2026-03-02T09:00:00.000+08:00' });
    await until(() => events.length === 1);
    await host.stop();
  });

  it('paces restarts of a core that keeps dying', async () => {
    const { fake, host, logs } = setup((child) => child.exit(1));
    await expect(host.start()).rejects.toMatchObject({ code: 'offline' });
    await until(() => fake.utilityProcesses.length >= 4);
    const delays = logs.filter((l) => l.includes('Restarting')).map((l) => /in (\d+) ms/.exec(l)![1]);
    expect(delays.slice(0, 3)).toEqual(['10', '30', '30']);
    await host.stop();
    const count = fake.utilityProcesses.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.utilityProcesses.length).toBe(count);
  });

  it('ends a core that does not stop when asked', async () => {
    const { fake, host, logs } = setup(() => undefined);
    void host.start().catch(() => undefined);
    await until(() => fake.utilityProcesses.length === 1);
    await host.stop();
    expect(fake.utilityProcesses[0]!.killed).toBe(true);
    expect(logs.join('\n')).toMatch(/did not stop in time/);
  });

  it('does not wait forever for a core that ignores being ended', async () => {
    const { fake, host, logs } = setup((child) => {
      child.ignoresKill = true;
    });
    void host.start().catch(() => undefined);
    await until(() => fake.utilityProcesses.length === 1);
    await host.stop();
    expect(fake.utilityProcesses[0]!.exitCode).toBeNull();
    expect(logs.join('\n')).toMatch(/did not exit after being ended/);
  });

  it('logs why a core refused its init', async () => {
    const { host, logs } = setup(undefined, { ...CONFIG, role: 'pharmacy' as never });
    await expect(host.start()).rejects.toMatchObject({ code: 'offline' });
    await until(() => logs.some((l) => l.includes('refused its configuration')));
    expect(logs.find((l) => l.includes('refused its configuration'))).toMatch(/config\.role: Role must be one of: reception, consult, display\./);
    await host.stop();
  });
});

async function until(probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
