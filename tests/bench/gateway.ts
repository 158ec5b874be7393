import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { liveMessageSchema } from '../../src/shared/central-contract';
import { clinicDay } from '../../src/shared/clinic-day';
import { Central } from '../../src/sync/central';
import { stationKeyOf, type StationIdentity } from '../../src/main/enrolment/identity';
import { signRequest } from '../../src/sync/station-key';
import type { BenchContext } from './context';
import { emit, percentile } from './report';
import { startBenchCentre, type BenchCentre } from './stations';

/*
 * The gateway's numbers (issue 9): live fan-out to 200 connected stations against one, and the database connections
 * 200 busy stations hold against one.
 */
const STATIONS = Number(process.env.BENCH_LIVE_STATIONS ?? 200);
const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 30);

interface LiveStation {
  identity: StationIdentity;
  central: Central;
  token: string;
  socket: WebSocket | null;
}

async function connect(centre: BenchCentre, station: LiveStation, onTicket: (id: string) => void): Promise<void> {
  const path = '/v1/live?tables=queue_tickets,queue_calls';
  const socket = new WebSocket(`${centre.gatewayUrl.replace(/^http/, 'ws')}${path}`, {
    headers: { authorization: `Bearer ${station.token}`, ...signRequest(stationKeyOf(station.identity), 'GET', path, '') },
  });
  socket.on('message', (data) => {
    const message = liveMessageSchema.parse(JSON.parse(data.toString()));
    if (message.type === 'changes') for (const change of message.changes) if (change.table === 'queue_tickets') onTicket(change.id);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  station.socket = socket;
}

async function enrolDisplays(centre: BenchCentre, count: number, prefix: string): Promise<LiveStation[]> {
  const stations: LiveStation[] = [];
  for (let i = 0; i < count; i += 1) {
    const identity = await centre.enrol(`${prefix}-${i}`, 'display');
    const key = stationKeyOf(identity);
    const central = new Central({ gatewayUrl: centre.gatewayUrl, key: () => key });
    const { token } = await central.signIn({ username: 'display', password: 'demo1234' });
    stations.push({ identity, central, token, socket: null });
  }
  return stations;
}

/** Issues a ticket per round and times how long until every connected station has heard of it. */
async function fanOut(centre: BenchCentre, stations: LiveStation[], writer: { central: Central; token: string; letter: string }, patients: string[], from: number): Promise<number[]> {
  const heard = new Map<string, { at: Map<number, number>; done: () => void }>();
  await Promise.all(
    stations.map((station, index) =>
      connect(centre, station, (id) => {
        const waiting = heard.get(id);
        if (!waiting || waiting.at.has(index)) return;
        waiting.at.set(index, performance.now());
        if (waiting.at.size === stations.length) waiting.done();
      }),
    ),
  );
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const id = randomUUID();
    const seq = from + round;
    const everyone = new Promise<void>((resolve) => heard.set(id, { at: new Map(), done: resolve }));
    const start = performance.now();
    await writer.central.callProcedure('issue_ticket', randomUUID(), {
      id,
      service_date: clinicDay(new Date()),
      ticket_number: `${writer.letter}${String(seq).padStart(3, '0')}`,
      desk_letter: writer.letter,
      desk_seq: seq,
      patient_id: patients[seq]!,
      urgent: false,
      issued_at: new Date().toISOString(),
    }, writer.token);
    await everyone;
    for (const at of heard.get(id)!.at.values()) samples.push(at - start);
    heard.delete(id);
  }
  for (const station of stations) station.socket?.close();
  return samples;
}

export async function benchGateway(ctx: BenchContext): Promise<void> {
  const url = await ctx.newDatabase('bench_gateway', { patientsPerClinic: ROUNDS * 2 + 10 });
  const centre = await startBenchCentre(ctx, url, { ownProcess: true });
  const admin = new pg.Client(url);
  await admin.connect();
  try {
    const patients = (await admin.query<{ id: string }>("SELECT p.id FROM clinic.patients p JOIN clinic.clinics c ON c.id = p.clinic_id WHERE c.code = 'GFC-BDK' ORDER BY p.id")).rows.map((r) => r.id);
    const desk = await centre.enrol('BENCH-GW-DESK', 'reception');
    const deskKey = stationKeyOf(desk);
    const deskCentral = new Central({ gatewayUrl: centre.gatewayUrl, key: () => deskKey });
    const writer = { central: deskCentral, token: (await deskCentral.signIn({ username: 'reception', password: 'demo1234' })).token, letter: desk.station.deskLetter! };

    const one = await enrolDisplays(centre, 1, 'BENCH-GW-ONE');
    const alone = await fanOut(centre, one, writer, patients, 1);
    const connections = async () =>
      (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [centre.login.role])).rows[0]!.n;
    const busy = async (stations: LiveStation[]) => {
      let peak = 0;
      const sampler = setInterval(() => void connections().then((n) => (peak = Math.max(peak, n))), 5);
      await Promise.all(stations.map((s) => s.central.pull({ xid: '0', seq: '0' }, ['queue_tickets', 'queue_calls'], 500, s.token)));
      clearInterval(sampler);
      return Math.max(peak, await connections());
    };
    // Before the 200 sign in: their password checks would leave the pool warm at its limit for the baseline.
    const withOne = await busy(one);
    const many = await enrolDisplays(centre, STATIONS, 'BENCH-GW-MANY');
    const all = await fanOut(centre, many, writer, patients, ROUNDS + 1);
    const p95 = percentile(all, 95);
    const base = percentile(alone, 95);
    emit({ metric: 'live_fan_out_p95', value: p95, unit: 'ms', baseline: base, ratio: p95 / base, stations: STATIONS, rounds: ROUNDS, baseline_name: 'same_commit_to_one_connected_station' });

    const withMany = await busy(many);
    emit({ metric: 'db_connections_at_200_stations', value: withMany, unit: 'connections', baseline: withOne, ratio: withMany / withOne, stations: STATIONS, baseline_name: 'one_station_pulling' });
    await Promise.all([...one, ...many].map((s) => s.central.close()));
    await deskCentral.close();
  } finally {
    await admin.end();
    await centre.close();
  }
}
