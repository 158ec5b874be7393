import type { StationCore } from '../../src/main/station';
import { startBenchCentre } from './stations';
import { notifyRoundTrips, type BenchContext } from './context';
import { emit, percentile } from './report';

/** Doctor presses Call next → the waiting-room display's station announces the number. */
export async function benchCallToDisplay(ctx: BenchContext, calls: number): Promise<void> {
  const url = await ctx.newDatabase('bench_queue', { patientsPerClinic: calls + 20 });
  const stations: StationCore[] = [];
  const centre = await startBenchCentre(ctx, url);
  const station = async (role: 'reception' | 'consult' | 'display', code: string, room?: string) => {
    const core = await centre.station(code, role, { room });
    stations.push(core);
    return core;
  };
  try {
    const reception = await station('reception', 'BENCH-RECEPTION');
    const consult = await station('consult', 'BENCH-CONSULT', 'R1');
    const display = await station('display', 'BENCH-DISPLAY');
    await Promise.all(stations.map((s) => s.start()));
    await reception.handle('session.signIn', { username: 'reception', password: 'demo1234' });
    await consult.handle('session.signIn', { username: 'dr.tan', password: 'demo1234' });
    await signInDisplay(display);

    const patients = reception.cache.db.prepare('SELECT id FROM patients ORDER BY full_name LIMIT ?').pluck().all(calls) as string[];
    for (const patientId of patients) await reception.handle('queue.issueTicket', { patientId, urgent: false });
    await consult.requestSync();

    // The display may hear of a call before callNext has returned to the doctor, so every sighting
    // is recorded as it happens and matched afterwards.
    const seenAt = new Map<string, number>();
    const waiting = new Map<string, (at: number) => void>();
    display.on('display.called', (call) => {
      const at = performance.now();
      seenAt.set(call.ticketNumber, at);
      waiting.get(call.ticketNumber)?.(at);
    });
    const shownAt = (ticketNumber: string) =>
      new Promise<number>((resolve) => {
        const at = seenAt.get(ticketNumber);
        if (at !== undefined) resolve(at);
        else waiting.set(ticketNumber, resolve);
      });

    const latencies: number[] = [];
    const callAlone: number[] = [];
    for (let i = 0; i < calls; i += 1) {
      const start = performance.now();
      const ticket = await consult.handle('queue.callNext', {});
      // The doctor's call answered: the procedure through the gateway, the floor for reaching the display.
      callAlone.push(performance.now() - start);
      if (!ticket) throw new Error(`The queue ran dry after ${i} calls`);
      latencies.push((await shownAt(ticket.ticketNumber)) - start);
      waiting.delete(ticket.ticketNumber);
      await consult.handle('queue.complete', { ticketId: ticket.id });
    }

    const baseline = await notifyRoundTrips(url, calls);
    for (const p of [50, 95]) {
      const value = percentile(latencies, p);
      const base = percentile(baseline, p);
      emit({ metric: `call_to_display_p${p}`, value, unit: 'ms', baseline: base, ratio: value / base, samples: calls, baseline_name: 'notify_listen_round_trip' });
      const alone = percentile(callAlone, p);
      emit({ metric: `call_to_display_via_gateway_p${p}`, value, unit: 'ms', baseline: alone, ratio: value / alone, samples: calls, baseline_name: 'call_next_through_gateway_alone' });
    }
  } finally {
    await Promise.all(stations.map((s) => s.stop().catch(() => undefined)));
    await centre.close();
  }
}

/** Row-level security shows the wall screen nothing until its device account is signed in. */
async function signInDisplay(display: StationCore): Promise<void> {
  await display.handle('session.signIn', { username: 'display', password: 'demo1234' });
}
