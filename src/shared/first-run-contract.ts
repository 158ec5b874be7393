import { z } from 'zod';
import { stationRoleSchema } from './contract';

/*
 * The first-run screen of a PC that is not enrolled yet: what it asks for (the gateway's address, the CA a private
 * chain's certificate is signed by, and the one-time code the clinic manager made) and what it learns back.
 */

export const firstRunInputSchema = z.object({
  gatewayUrl: z
    .string()
    .trim()
    .min(1, 'Enter the gateway address your clinic manager gave you')
    .pipe(z.url({ protocol: /^https?$/, error: 'The gateway address must look like https://gateway.example.sg' })),
  /** Empty: the gateway's certificate is from a public CA the PC already trusts. */
  gatewayCaPem: z
    .string()
    .trim()
    .transform((text) => (text === '' ? null : text))
    .pipe(z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'The CA certificate must be PEM text starting with -----BEGIN CERTIFICATE-----' }).nullable())
    .default(null),
  code: z
    .string()
    .transform((text) => text.replace(/[\s-]/g, '').toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9]{10,64}$/, 'The enrolment code has 16 letters and digits, e.g. K7QF-2MPX-9TDR-W4HN')),
});
export type FirstRunInput = z.input<typeof firstRunInputSchema>;

export const firstRunResultSchema = z.object({
  stationCode: z.string(),
  role: stationRoleSchema,
  clinicName: z.string(),
});
export type FirstRunResult = z.infer<typeof firstRunResultSchema>;

/** `window.clinicFirstRun` in the first-run window; rejects with an ApiError body saying what is wrong. */
export interface FirstRunApi {
  enrol(input: FirstRunInput): Promise<FirstRunResult>;
}
