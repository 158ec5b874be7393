import { StationCore } from '../../src/main/station';
import type { PatientRegistrationInput } from '../../src/shared/patient';
import { openLocalKeyFile } from '../../src/main/crypto/field-crypto';
import { readIdentityFile } from '../../src/main/enrolment/identity';
import type { ChildStationConfig } from './station-child';

/*
 * One station as its own OS process, so fault tests can kill -9 it for real. Configured by
 * STATION_CONFIG (JSON); driven by IPC messages {id, method, input} answered with {id, ok, value|error};
 * forwards sync.status events as {event: 'sync.status', payload}.
 */
interface Request {
  id: number;
  method: string;
  input: unknown;
}

const config = JSON.parse(process.env.STATION_CONFIG ?? '{}') as ChildStationConfig;
const send = (message: unknown) => process.send?.(message);

const core = new StationCore({
  dataDir: config.dataDir,
  identity: config.identity ?? readIdentityFile(config.identityFile!),
  crypto: await openLocalKeyFile(config.keyFile),
  pollIntervalMs: 500,
  initialPageSize: config.initialPageSize,
});
core.on('sync.status', (payload) => send({ event: 'sync.status', payload }));

process.on('message', (raw) => {
  const request = raw as Request;
  const run = async () => {
    if (request.method === 'requestSync') return core.requestSync();
    if (request.method === 'registerMany') {
      const people = request.input as PatientRegistrationInput[];
      for (const person of people) await core.handle('patients.register', person);
      return people.length;
    }
    return core.handle(request.method as never, request.input);
  };
  run().then(
    (value) => send({ id: request.id, ok: true, value }),
    (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

core.start().then(
  () => send({ event: 'started' }),
  (error: unknown) => {
    send({ event: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
