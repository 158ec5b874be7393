import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { describeIssues, stationRoleSchema } from '../../shared/contract';
import type { CoreConfig } from '../core-process/protocol';

/*
 * The stations this PC runs, one window and one core process each: `--stations FILE`, else
 * <userData>/stations.json. Relative paths in the file are relative to the file, so a folder with
 * the list, the key file and the station folders can be moved as a whole.
 *
 *   { "stations": [ { "code": "BDK-RECEPTION-1", "role": "reception", "clinicCode": "GFC-BDK",
 *                     "centralUrl": "…", "keyFile": "keys/local-key.json" } ] }
 */

const stationEntrySchema = z
  .object({
    // It names the station's folder, so it must be a plain name.
    code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'code must be letters, digits, - and _, e.g. BDK-RECEPTION-1'),
    role: stationRoleSchema,
    clinicCode: z.string().trim().min(1, 'clinicCode is required'),
    roomCode: z.string().trim().min(1).optional(),
    centralUrl: z.string().trim().min(1, 'centralUrl is required'),
    centralRole: z.string().min(1).nullable().optional(),
    keyFile: z.string().trim().min(1, 'keyFile is required'),
    /** Defaults to <userData>/stations/<code>. */
    dataDir: z.string().trim().min(1).optional(),
    /** The monitor the display goes on, counted from 1; display stations only. */
    displayMonitor: z.number().int().min(1).optional(),
    pollIntervalMs: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((entry, context) => {
    if (entry.role === 'consult' && !entry.roomCode) {
      context.addIssue({ code: 'custom', path: ['roomCode'], message: 'a consult station needs its room, e.g. "R1"' });
    }
    if (entry.role !== 'display' && entry.displayMonitor !== undefined) {
      context.addIssue({ code: 'custom', path: ['displayMonitor'], message: 'only a display station has a monitor of its own' });
    }
  });

export const stationsFileSchema = z
  .object({ stations: z.array(stationEntrySchema).min(1, 'list at least one station') })
  .strict()
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.stations.forEach((station, index) => {
      if (seen.has(station.code)) context.addIssue({ code: 'custom', path: ['stations', index, 'code'], message: `${station.code} is listed twice` });
      seen.add(station.code);
    });
  });
export type StationsFile = z.input<typeof stationsFileSchema>;

export interface StationPlan {
  core: CoreConfig;
  displayMonitor?: number;
}

export class StationsFileError extends Error {
  override readonly name = 'StationsFileError';
}

export const STATIONS_FILE_NAME = 'stations.json';

export function stationsFilePath(argvPath: string | undefined, userData: string): string {
  return argvPath ? resolve(argvPath) : join(userData, STATIONS_FILE_NAME);
}

export function readStationsFile(path: string, userData: string): StationPlan[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StationsFileError(
      missing
        ? `There is no station list at ${path}. Start the app with --stations FILE, or put the list of this PC's stations there.`
        : `The station list ${path} cannot be read: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StationsFileError(`The station list ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = stationsFileSchema.safeParse(json);
  if (!parsed.success) throw new StationsFileError(`The station list ${path} is not valid: ${describeIssues(parsed.error)}`);
  const base = dirname(path);
  const within = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return parsed.data.stations.map((station) => ({
    core: {
      dataDir: station.dataDir ? within(station.dataDir) : join(userData, 'stations', station.code),
      stationCode: station.code,
      role: station.role,
      clinicCode: station.clinicCode,
      ...(station.roomCode ? { roomCode: station.roomCode } : {}),
      centralUrl: station.centralUrl,
      ...(station.centralRole !== undefined ? { centralRole: station.centralRole } : {}),
      keyFile: within(station.keyFile),
      ...(station.pollIntervalMs ? { pollIntervalMs: station.pollIntervalMs } : {}),
    },
    ...(station.displayMonitor ? { displayMonitor: station.displayMonitor } : {}),
  }));
}
