import { EventEmitter } from 'node:events';
import { ApiError, type EventName, type EventPayload, type MethodName, type StationInfo } from '../../src/shared/contract';
import { receiveInit } from '../../src/main/core-process/parent';
import type { CoreConfig } from '../../src/main/core-process/protocol';
import { serveStation, type HostedStation } from '../../src/main/core-process/server';
import type { FakeUtilityProcess } from './fake-electron';

/*
 * What runs inside a fake utilityProcess: the real core-process code (init on parentPort, the
 * contract on the transferred port, serveStation) in front of a scripted station instead of a
 * StationCore, so the glue's tests need no database.
 */

export class ScriptedStation implements HostedStation {
  readonly calls: { method: MethodName; input: unknown }[] = [];
  private readonly emitter = new EventEmitter();
  stopped = false;

  constructor(
    readonly config: CoreConfig,
    private readonly answers: Partial<Record<MethodName, (input: unknown) => unknown>> = {},
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  async handle(method: MethodName, input: unknown): Promise<unknown> {
    this.calls.push({ method, input });
    const answer = this.answers[method] ?? (method === 'station.info' ? () => infoFor(this.config) : null);
    if (!answer) throw new ApiError('not_found', `The scripted station has no answer for ${method}`);
    return answer(input);
  }
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit(event, payload);
  }
}

/** Installs the core program on a fake's utilityProcess; `stations` collects each started station by code. */
export function runScriptedCores(
  utilityProcess: { program: (child: FakeUtilityProcess) => void },
  stations: Map<string, ScriptedStation>,
  answers: Partial<Record<MethodName, (input: unknown) => unknown>> = {},
): void {
  utilityProcess.program = (child) => {
    receiveInit({ kind: 'utility', parentPort: child.parentPort }).then(
      ({ config, endpoint }) => {
        const station = new ScriptedStation(config, answers);
        stations.set(config.stationCode, station);
        void serveStation(endpoint, async () => station).done.then((outcome) => child.exit(outcome === 'failed' ? 1 : 0));
      },
      () => child.exit(1),
    );
  };
}

function infoFor(config: CoreConfig): StationInfo {
  return {
    stationId: '00000000-0000-4000-8000-00000000000a',
    stationCode: config.stationCode,
    role: config.role,
    clinic: { id: '00000000-0000-4000-8000-00000000000b', code: 'GFC-BDK', name: 'Scripted Clinic' },
    room: null,
    deskLetter: null,
  };
}
