import { describe, expect, it } from 'vitest';
import { ApiError, parseInput } from '../../src/shared/contract';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.message;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('what a person reads when the station refuses input', () => {
  it('names the field in words and says the limit, not zod’s wording or the field’s code name', () => {
    const text = refusal(() => parseInput('devices.addBoard', { name: 'x'.repeat(61), driver: 'alpha-sign', transport: 'tcp', address: '10.0.0.5:3001' }));
    expect(text).toBe('Name is too long: use at most 60 characters.');
  });

  it('keeps the schema’s own messages as sentences, without a field prefix', () => {
    const text = refusal(() => parseInput('devices.addBoard', { name: ' ', driver: 'alpha-sign', transport: 'tcp', address: '' }));
    expect(text).toBe('Give the board a name. Enter the serial port or host:port.');
  });

  it('says what is missing or malformed in words', () => {
    expect(refusal(() => parseInput('queue.cancel', { reason: 'Left' }))).toBe('The ticket is missing.');
    expect(refusal(() => parseInput('queue.cancel', { ticketId: 'A004', reason: 'Left' }))).toBe('The ticket is not in the expected format.');
    expect(refusal(() => parseInput('queue.setPriority', { ticketId: '00000000-0000-4000-8000-000000000001', priority: 5 }))).toBe('Priority is not one of the allowed values.');
  });

  it('never shows zod’s “Too big / Too small / Invalid” phrasing', () => {
    const texts = [
      refusal(() => parseInput('sync.dismiss', { id: -1 })),
      refusal(() => parseInput('queue.assign', { ticketId: '00000000-0000-4000-8000-000000000001', doctorId: 7 })),
      refusal(() => parseInput('session.signIn', {})),
    ];
    for (const text of texts) expect(text).not.toMatch(/Too (big|small)|Invalid|expected (string|number)/);
    expect(texts[0]).toBe('Id must be more than 0.');
  });
});
