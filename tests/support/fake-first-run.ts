import { ApiError } from '../../src/shared/contract';
import { firstRunInputSchema, type FirstRunApi } from '../../src/shared/first-run-contract';

/** The first-run window's enrolment, in memory, for screenshots: one code it knows, and a gateway it cannot trust. */
export const FAKE_ENROLMENT_CODE = 'K7QF2MPX9TDRW4HN';

export function createFakeFirstRun(): FirstRunApi {
  return {
    async enrol(raw) {
      const input = firstRunInputSchema.parse(raw);
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (input.gatewayUrl.includes('untrusted') && !input.gatewayCaPem) {
        throw new ApiError('validation', `The gateway at ${input.gatewayUrl} has a certificate this PC does not trust. Paste your chain's CA certificate (ask the clinic manager), then try again.`).toBody();
      }
      if (input.code !== FAKE_ENROLMENT_CODE) throw new ApiError('validation', 'This enrolment code is not valid: it is unknown, already used or expired. Ask for a new one.').toBody();
      return { stationCode: 'BDK-RECEPTION-2', role: 'reception', clinicName: 'Gabriel Family Clinic · Bedok' };
    },
  };
}
