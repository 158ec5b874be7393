import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { StationRole } from '../../shared/contract';
import { describeIssuesWithPaths } from '../../shared/issue-text';
import { stationsFileSchema } from '../../shared/station-list';
import type { CoreConfig } from '../core-process/protocol';
import { readProtectedIdentity, type SecretBox } from '../enrolment/first-run';

/*
 * The stations this PC runs, one window and one core process each: `--stations FILE`, else
 * <userData>/stations.json (its format: src/shared/station-list.ts). Relative paths in the file
 * are relative to the file, so a folder with the list, the key file and the station folders can
 * be moved as a whole.
 */

export interface StationPlan {
  code: string;
  role: StationRole;
  core: CoreConfig;
  displayMonitor?: number;
}

export class StationsFileError extends Error {
  override readonly name = 'StationsFileError';
  constructor(
    message: string,
    /** There is no list at all: a PC that was never enrolled, for the first-run screen. */
    readonly missing = false,
  ) {
    super(message);
  }
}

export const STATIONS_FILE_NAME = 'stations.json';

export function stationsFilePath(argvPath: string | undefined, userData: string): string {
  return argvPath ? resolve(argvPath) : join(userData, STATIONS_FILE_NAME);
}

/** `box` opens identities kept with safeStorage; the main process decrypts them, since a core process cannot. */
export function readStationsFile(path: string, userData: string, box?: SecretBox): StationPlan[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StationsFileError(
      missing
        ? `There is no station list at ${path}. Start the app with --stations FILE, or put the list of this PC's stations there.`
        : `The station list ${path} cannot be read: ${(error as Error).message}`,
      missing,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StationsFileError(`The station list ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = stationsFileSchema.safeParse(json);
  if (!parsed.success) throw new StationsFileError(`The station list ${path} is not valid: ${describeIssuesWithPaths(parsed.error)}`);
  const base = dirname(path);
  const within = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return parsed.data.stations.map((station) => {
    const dataDir = station.dataDir ? within(station.dataDir) : join(userData, 'stations', station.code);
    const identityFile = station.identityFile ? within(station.identityFile) : join(dataDir, 'identity.json');
    return {
      code: station.code,
      role: station.role,
      core: {
        dataDir,
        stationCode: station.code,
        role: station.role,
        ...(station.identityProtection === 'safeStorage' ? { identity: openProtected(identityFile, box) } : { identityFile }),
        keyFile: within(station.keyFile),
        ...(station.pollIntervalMs ? { pollIntervalMs: station.pollIntervalMs } : {}),
      },
      ...(station.displayMonitor ? { displayMonitor: station.displayMonitor } : {}),
    };
  });
}

function openProtected(file: string, box: SecretBox | undefined) {
  if (!box) throw new StationsFileError(`The identity ${file} is kept with the operating system's protected storage, which only the app can open.`);
  try {
    return readProtectedIdentity(file, box);
  } catch (error) {
    throw new StationsFileError(error instanceof Error ? error.message : String(error));
  }
}
