import { z } from 'zod';
import { stationRoleSchema } from './contract';

/*
 * The list of stations one PC runs, as the Electron app reads it and the demo writes it:
 *
 *   { "stations": [ { "code": "BDK-RECEPTION-1", "role": "reception", "keyFile": "keys/local-key.json" } ] }
 *
 * Where the centre is, and which clinic and room, the station learnt at enrolment (its identity file); the list
 * holds no address and no credential.
 */

const stationEntrySchema = z
  .object({
    // It names the station's folder, so it must be a plain name.
    code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'code must be letters, digits, - and _, e.g. BDK-RECEPTION-1'),
    role: stationRoleSchema,
    keyFile: z.string().trim().min(1, 'keyFile is required'),
    /** The enrolment's identity file; defaults to <station folder>/identity.json. */
    identityFile: z.string().trim().min(1).optional(),
    /**
     * How the identity file is kept: `file`, plain JSON only its owner may read (the demo, the browser host); or
     * `safeStorage`, encrypted by the operating system for this user, as the app's first run keeps it.
     */
    identityProtection: z.enum(['file', 'safeStorage']).default('file'),
    /** Defaults to <userData>/stations/<code>. */
    dataDir: z.string().trim().min(1).optional(),
    /** The monitor the display goes on, counted from 1; display stations only. */
    displayMonitor: z.number().int().min(1).optional(),
    pollIntervalMs: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((entry, context) => {
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
