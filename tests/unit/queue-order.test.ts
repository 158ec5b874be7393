import { describe, expect, it } from 'vitest';
import {
  compareForCall,
  orderQueue,
  pickNext,
  priorityFor,
  type QueueCandidate,
} from '../../src/shared/queue-order';

const ME = 'doctor-me';
const OTHER = 'doctor-other';
const now = new Date('2025-03-14T02:00:00Z'); // 10:00 in Singapore
const at = (hhmm: string) => `2025-03-14T${hhmm}:00+08:00`;

function ticket(ticketNumber: string, over: Partial<QueueCandidate> = {}): QueueCandidate {
  return { ticketNumber, priority: 0, status: 'waiting', doctorId: null, dueAt: null, queuedAt: at('09:00'), skipped: false, ...over };
}

const numbers = (list: QueueCandidate[]) => list.map((t) => t.ticketNumber);

describe('call-next order', () => {
  it('calls urgent before elderly before normal, whatever the arrival order', () => {
    const queue = [
      ticket('A001', { priority: 0, queuedAt: at('08:00') }),
      ticket('A002', { priority: 1, queuedAt: at('08:30') }),
      ticket('A003', { priority: 2, queuedAt: at('09:30') }),
    ];
    expect(numbers(orderQueue(queue, { doctorId: ME, now }))).toEqual(['A003', 'A002', 'A001']);
    expect(pickNext(queue, { doctorId: ME, now })?.ticketNumber).toBe('A003');
  });

  it('calls a due appointment before an earlier walk-in of the same priority', () => {
    const walkIn = ticket('A001', { queuedAt: at('08:00') });
    const appointment = ticket('B001', { dueAt: at('09:45'), queuedAt: at('09:40') });
    expect(pickNext([walkIn, appointment], { doctorId: ME, now })).toBe(appointment);
  });

  it('does not let a due appointment beat a higher priority', () => {
    const elderly = ticket('A001', { priority: 1, queuedAt: at('09:50') });
    const appointment = ticket('B001', { dueAt: at('09:00'), queuedAt: at('08:50') });
    expect(pickNext([appointment, elderly], { doctorId: ME, now })).toBe(elderly);
  });

  it('sends a skipped urgent or elderly patient behind everyone already waiting, and ahead of later arrivals', () => {
    const queue = [
      ticket('A002', { priority: 1, queuedAt: at('09:40'), skipped: true }),
      ticket('A001', { priority: 0, queuedAt: at('08:00') }),
      ticket('A003', { priority: 2, queuedAt: at('09:45'), skipped: true }),
      ticket('A004', { priority: 0, queuedAt: at('09:50') }),
    ];
    expect(numbers(orderQueue(queue, { doctorId: ME, now }))).toEqual(['A001', 'A002', 'A003', 'A004']);
  });

  it('does not let a skipped appointment keep its precedence when due', () => {
    const walkIn = ticket('A001', { queuedAt: at('09:00') });
    const skipped = ticket('B001', { dueAt: at('09:30'), queuedAt: at('09:35'), skipped: true });
    expect(pickNext([skipped, walkIn], { doctorId: ME, now })).toBe(walkIn);
  });

  it('orders due appointments by their start time, not their arrival', () => {
    const late = ticket('B002', { dueAt: at('09:45'), queuedAt: at('08:00') });
    const early = ticket('B001', { dueAt: at('09:30'), queuedAt: at('09:25') });
    expect(numbers(orderQueue([late, early], { doctorId: ME, now }))).toEqual(['B001', 'B002']);
  });

  it('treats an appointment due exactly now as due', () => {
    const walkIn = ticket('A001', { queuedAt: at('08:00') });
    const appointment = ticket('B001', { dueAt: at('10:00'), queuedAt: at('09:55') });
    expect(pickNext([walkIn, appointment], { doctorId: ME, now })).toBe(appointment);
  });

  it('lets a not-yet-due appointment wait its turn by arrival', () => {
    const early = ticket('A001', { queuedAt: at('09:00') });
    const appointment = ticket('B001', { dueAt: at('10:30'), queuedAt: at('09:10') });
    const later = ticket('A002', { queuedAt: at('09:20') });
    expect(numbers(orderQueue([later, appointment, early], { doctorId: ME, now }))).toEqual(['A001', 'B001', 'A002']);
  });

  it('breaks a tie of arrival time by ticket number', () => {
    const b = ticket('B001');
    const a = ticket('A002');
    expect(numbers(orderQueue([b, a], { doctorId: ME, now }))).toEqual(['A002', 'B001']);
  });

  it("leaves out another doctor's tickets but keeps tickets for any doctor", () => {
    const queue = [
      ticket('A001', { doctorId: OTHER, priority: 2, queuedAt: at('08:00') }),
      ticket('A002', { doctorId: null, queuedAt: at('08:30') }),
      ticket('A003', { doctorId: ME, queuedAt: at('08:45') }),
    ];
    expect(numbers(orderQueue(queue, { doctorId: ME, now }))).toEqual(['A002', 'A003']);
    expect(numbers(orderQueue(queue, { doctorId: OTHER, now }))).toEqual(['A001', 'A002']);
  });

  it('leaves out tickets that are not waiting', () => {
    const queue = [
      ticket('A001', { status: 'called', queuedAt: at('08:00') }),
      ticket('A002', { status: 'skipped', queuedAt: at('08:10') }),
      ticket('A003', { status: 'completed', queuedAt: at('08:20') }),
      ticket('A004', { status: 'no_show', queuedAt: at('08:30') }),
      ticket('A005', { status: 'cancelled', queuedAt: at('08:40') }),
      ticket('A006', { status: 'waiting', queuedAt: at('08:50') }),
    ];
    expect(numbers(orderQueue(queue, { doctorId: ME, now }))).toEqual(['A006']);
  });

  it('sends a skipped ticket that is re-queued to the back, because re-queueing resets queuedAt', () => {
    const skipped = ticket('A001', { status: 'skipped', queuedAt: at('08:00') });
    const others = [ticket('A002', { queuedAt: at('08:10') }), ticket('A003', { queuedAt: at('09:30') })];
    expect(pickNext([skipped, ...others], { doctorId: ME, now })?.ticketNumber).toBe('A002');

    const requeued = { ...skipped, status: 'waiting' as const, queuedAt: at('09:55') };
    expect(numbers(orderQueue([requeued, ...others], { doctorId: ME, now }))).toEqual(['A002', 'A003', 'A001']);
  });

  it('returns null when nobody is waiting for this doctor', () => {
    expect(pickNext([], { doctorId: ME, now })).toBeNull();
    expect(pickNext([ticket('A001', { doctorId: OTHER })], { doctorId: ME, now })).toBeNull();
  });

  it('returns the callers own objects so they keep their extra fields', () => {
    const queue = [{ ...ticket('A001'), id: 'row-1' }];
    expect(pickNext(queue, { doctorId: ME, now })?.id).toBe('row-1');
  });

  it('compares instants, not strings, when offsets differ', () => {
    // 09:30 in Singapore is 01:30Z; as strings "2025-03-14T01:30:00Z" < "...09:00:00+08:00" would say otherwise.
    const utcWritten = ticket('A002', { queuedAt: '2025-03-14T01:30:00Z' });
    const sgWritten = ticket('A001', { queuedAt: at('09:00') });
    expect(compareForCall(sgWritten, utcWritten, now.toISOString())).toBeLessThan(0);
    expect(compareForCall(utcWritten, sgWritten, now.toISOString())).toBeGreaterThan(0);
  });

  it('is a consistent comparator: antisymmetric, zero only for equal keys', () => {
    const queue = [
      ticket('A001', { priority: 1 }),
      ticket('A002', { dueAt: at('09:00') }),
      ticket('A003', { dueAt: at('11:00'), queuedAt: at('08:00') }),
      ticket('A004', { queuedAt: at('08:30') }),
      ticket('A005'),
    ];
    for (const a of queue) {
      for (const b of queue) {
        const ab = Math.sign(compareForCall(a, b, now.toISOString()));
        const ba = Math.sign(compareForCall(b, a, now.toISOString()));
        expect(ab).toBe(-ba || 0);
        expect(ab === 0).toBe(a === b);
      }
    }
  });

  it('rejects an unparseable time rather than ordering it arbitrarily', () => {
    expect(() => compareForCall(ticket('A001', { queuedAt: 'yesterday' }), ticket('A002'), now.toISOString())).toThrow(
      /queuedAt/,
    );
  });
});

describe('priorityFor', () => {
  it('gives urgent 2 regardless of age', () => {
    expect(priorityFor({ urgent: true, dateOfBirth: '1990-01-01', serviceDate: '2025-03-14' })).toBe(2);
    expect(priorityFor({ urgent: true, dateOfBirth: '1930-01-01', serviceDate: '2025-03-14' })).toBe(2);
  });

  it('gives 1 from the 80th birthday on the service date', () => {
    expect(priorityFor({ urgent: false, dateOfBirth: '1945-03-14', serviceDate: '2025-03-14' })).toBe(1);
    expect(priorityFor({ urgent: false, dateOfBirth: '1945-03-15', serviceDate: '2025-03-14' })).toBe(0);
    expect(priorityFor({ urgent: false, dateOfBirth: '1930-07-01', serviceDate: '2025-03-14' })).toBe(1);
  });

  it('gives 0 to everyone else', () => {
    expect(priorityFor({ urgent: false, dateOfBirth: '2020-05-05', serviceDate: '2025-03-14' })).toBe(0);
  });
});
