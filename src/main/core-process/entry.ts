import { openLocalKeyFile } from '../crypto/field-crypto';
import type { StationRole } from '../../shared/contract';
import { IdentityFileError, readIdentityFile, type StationIdentity } from '../enrolment/identity';
import { StationCore } from '../station';
import { findParent, receiveInit } from './parent';
import { serveStation } from './server';

/*
 * A station core in its own process: started by the Electron main process as a utilityProcess
 * (bundled as dist/electron/core-process.cjs), or forked by a test with an IPC channel. It imports
 * nothing of Electron, so the same file runs under either.
 */

/** Leaves the event loop to drain (the last message still being written) before forcing the exit. */
const EXIT_GRACE_MS = 2000;
/** A core asked to stop by signal that is still stopping after this long is stuck: leave anyway. */
const SIGNAL_STOP_MS = 10_000;

async function main(): Promise<number> {
  const parent = findParent(process);
  if (!parent) {
    console.error('The station core must be started by the app (as a utilityProcess) or forked with an IPC channel.');
    return 2;
  }
  let init;
  try {
    init = await receiveInit(parent);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const { keyFile, identityFile, identity, stationCode, role, ...config } = init.config;
  const log = (line: string) => console.error(`[station core ${stationCode}] ${line}`);
  const served = serveStation(
    init.endpoint,
    async () =>
      new StationCore({
        ...config,
        identity: checkedIdentity(identity ?? readIdentityFile(identityFile!), identityFile ?? 'the identity the app gave', stationCode, role),
        crypto: await openLocalKeyFile(keyFile),
      }),
    log,
  );
  const stopBySignal = () => {
    void served.stop();
    setTimeout(() => process.exit(1), SIGNAL_STOP_MS).unref();
  };
  process.once('SIGTERM', stopBySignal);
  process.once('SIGINT', stopBySignal);
  return (await served.done) === 'failed' ? 1 : 0;
}

/** The identity must be the station the app was told to run: a copied file is refused, not obeyed. */
function checkedIdentity(identity: StationIdentity, file: string, stationCode: string, role: StationRole): StationIdentity {
  if (identity.station.code !== stationCode || identity.station.role !== role) {
    throw new IdentityFileError(
      `${file} belongs to ${identity.station.role} station ${identity.station.code}, not to ${role} station ${stationCode}. Enrol this station, or fix the station list.`,
    );
  }
  return identity;
}

main().then(
  (code) => exitSoon(code),
  (error: unknown) => {
    console.error('The station core crashed:', error);
    exitSoon(1);
  },
);

function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
