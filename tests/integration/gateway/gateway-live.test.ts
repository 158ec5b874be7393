import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { signRequest } from '../../../src/sync/station-key';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { enrolStation, openLive, patientIds, ticketArgs, type StationClient } from '../../support/gateway';
import { ChildStation } from '../../support/station-child';
import { startStation, startTestCentral, testIdentityFile, waitFor, type TestCentral } from '../../support/stations';

/*
 * The live channel: each clinic's new feed rows pushed to that clinic's stations, and only theirs; many stations
 * held on one bounded pool; and station processes that never open a connection to the database.
 */

const LIVE_TABLES = ['queue_tickets', 'queue_calls'];

async function signedIn(centre: TestCentral, admin: pg.Client, clinic: string, code: string, username = 'reception'): Promise<{ station: StationClient; token: string }> {
  const station = await enrolStation({ admin, url: centre.gatewayUrl }, { clinic, role: 'reception', code });
  const answer = await station.api<{ token: string }>('/v1/session/sign-in', { username, password: 'demo1234' });
  expect(answer.status).toBe(200);
  return { station, token: answer.body.token };
}

/** Established TCP connections of a process to `port`, from /proc/<pid>/net/tcp{,6} and the process's own sockets. */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSafe(`/proc/${pid}/fd`)) {
    const link = readlinkSafe(`/proc/${pid}/fd/${fd}`);
    const match = /^socket:\[(\d+)\]$/.exec(link ?? '');
    if (match) inodes.add(match[1]!);
  }
  let count = 0;
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
      const established = fields[3] === '01';
      if (established && remotePort === port && inodes.has(fields[9]!)) count += 1;
    }
  }
  return count;
}

const readdirSafe = (path: string) => {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
};
const readlinkSafe = (path: string) => {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
};

describe('the live channel', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url, { gateway: { poolSize: 5 } });
    admin = new pg.Client(db.url);
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await centre?.close();
    await db?.drop();
  });

  it("pushes a clinic's new rows to that clinic's stations only, covering the feed from one message to the next", async () => {
    const a = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-A');
    const b = await signedIn(centre, admin, 'GFC-TPY', 'LIVE-B');
    const liveA = await openLive(a.station.key, centre.gatewayUrl, a.token, LIVE_TABLES);
    const liveB = await openLive(b.station.key, centre.gatewayUrl, b.token, LIVE_TABLES);

    const [patientA] = await patientIds(admin, 'GFC-BDK', 1);
    const args = ticketArgs(a.station.station.desk_letter!, 1, patientA!);
    const issued = await a.station.api('/v1/call', { procedure: 'issue_ticket', requestKey: crypto.randomUUID(), args }, a.token);
    expect(issued.status).toBe(200);

    const carrying = await waitFor(
      () => liveA.messages.find((m) => m.type === 'changes' && m.changes.some((c) => c.table === 'queue_tickets' && c.id === args.id)),
      "clinic A's new ticket on A's live channel",
    );
    if (carrying.type !== 'changes') throw new Error('unreachable');
    const row = carrying.changes.find((c) => c.id === args.id)!.row!;
    expect(row).toMatchObject({ ticket_number: `${a.station.station.desk_letter}001`, patient_id: patientA });
    // Consecutive messages join up: each starts where the one before ended, so a station can tell a gap.
    const changes = liveA.messages.filter((m) => m.type === 'changes');
    for (let i = 1; i < changes.length; i += 1) expect(changes[i]!.from).toEqual(changes[i - 1]!.to);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const leaked = liveB.messages.filter((m) => m.type === 'changes' && m.changes.some((c) => c.id === args.id || c.row?.clinic_id === row.clinic_id));
    expect(leaked).toEqual([]);
    liveA.socket.close();
    liveB.socket.close();
  });

  it('still delivers a row that an older open transaction held back for seconds, though its end notifies no one', async () => {
    const a = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-HELD');
    const live = await openLive(a.station.key, centre.gatewayUrl, a.token, LIVE_TABLES);
    // An older transaction with an xid, open across the commit (a long report, another clinic's work): pull holds
    // back what committed after it began, and its COMMIT sends no clinic_changes.
    const older = new pg.Client(db.url);
    await older.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()');
      const [, , , patient] = await patientIds(admin, 'GFC-BDK', 4);
      const args = ticketArgs(a.station.station.desk_letter!, 1, patient!);
      const issued = await a.station.api('/v1/call', { procedure: 'issue_ticket', requestKey: crypto.randomUUID(), args }, a.token);
      expect(issued.status).toBe(200);
      const delivered = () => live.messages.some((m) => m.type === 'changes' && m.changes.some((c) => c.id === args.id));
      // Longer than a first burst of quick looks lasts.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(delivered()).toBe(false);
      await older.query('COMMIT');
      await waitFor(delivered, 'the held-back ticket on the live channel', 5000);
    } finally {
      await older.end();
      live.socket.close();
    }
  });

  it('refuses an unsigned or session-less subscription before upgrading', async () => {
    const a = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-REFUSED');
    const path = '/v1/live?tables=queue_tickets';
    const statusOf = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(`${centre.gatewayUrl.replace(/^http/, 'ws')}${path}`, { headers });
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('error', () => undefined);
      });
    expect(await statusOf({ authorization: `Bearer ${a.token}` })).toBe(401);
    expect(await statusOf(signRequest(a.station.key, 'GET', path, ''))).toBe(401);
    expect(await statusOf({ authorization: `Bearer ${a.token}`, ...signRequest(a.station.key, 'GET', path, '') })).toBe(101);
  });

  it('closes a subscription whose session was ended (sign-out) with 4401 at the next change', async () => {
    const a = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-SIGNOUT');
    const live = await openLive(a.station.key, centre.gatewayUrl, a.token, LIVE_TABLES);
    expect((await a.station.api('/v1/session/sign-out', {}, a.token)).status).toBe(200);
    const [, patient] = await patientIds(admin, 'GFC-BDK', 2);
    const other = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-WRITER');
    const issued = await other.station.api('/v1/call', { procedure: 'issue_ticket', requestKey: crypto.randomUUID(), args: ticketArgs(other.station.station.desk_letter!, 1, patient!) }, other.token);
    expect(issued.status).toBe(200);
    expect(await live.closed).toBe(4401);
  });

  it('holds 200 live stations on at most the pool size of database connections', async () => {
    const stations: StationClient[] = [];
    // Waiting-room displays: a clinic has 26 reception desk letters at most, but screens without number.
    for (let i = 0; i < 200; i += 1) stations.push(await enrolStation({ admin, url: centre.gatewayUrl }, { clinic: 'GFC-BDK', role: 'display', code: `LIVE-MANY-${i}` }));
    // One at a time: 200 password checks at once would queue past the small pool's connection timeout.
    const tokens: string[] = [];
    for (const station of stations) tokens.push((await station.api<{ token: string }>('/v1/session/sign-in', { username: 'display', password: 'demo1234' })).body.token);
    const writer = await signedIn(centre, admin, 'GFC-BDK', 'LIVE-MANY-WRITER');
    const sockets = await Promise.all(stations.map((station, i) => openLive(station.key, centre.gatewayUrl, tokens[i]!, LIVE_TABLES)));
    const [, , patient] = await patientIds(admin, 'GFC-BDK', 3);
    const args = ticketArgs(writer.station.station.desk_letter!, 1, patient!);
    await Promise.all([
      writer.station.api('/v1/call', { procedure: 'issue_ticket', requestKey: crypto.randomUUID(), args }, writer.token),
      ...stations.slice(0, 60).map((station, i) => station.api('/v1/sync/pull', { cursor: { xid: '0', seq: '0' }, tables: ['queue_tickets'], limit: 10 }, tokens[i])),
    ]);
    await waitFor(() => sockets.every((s) => s.messages.some((m) => m.type === 'changes' && m.changes.some((c) => c.id === args.id))), 'every station to hear of the ticket');
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [centre.login.role]);
    // The pool (5) plus the one LISTEN connection, however many stations are connected.
    expect(rows[0]!.n).toBeLessThanOrEqual(5 + 1);
    expect(centre.gateway.live.stats()).toMatchObject({ sockets: 200, streams: 1 });
    for (const s of sockets) s.socket.close();
  }, 120_000);

  it("a station process holds connections to the gateway and none to the database", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'live-process-'));
    const station = new ChildStation({
      dataDir,
      stationCode: 'LIVE-PROCESS',
      role: 'reception',
      identityFile: await testIdentityFile({ central: centre, role: 'reception', code: 'LIVE-PROCESS' }, dataDir),
      keyFile: inject('pg').keyFile,
    });
    try {
      await station.started;
      await station.call('session.signIn', { username: 'reception', password: 'demo1234' });
      await waitFor(async () => (await station.call<{ online: boolean; lastSyncedAt: string | null }>('sync.status')).lastSyncedAt, 'the first sync');
      const gatewayPort = Number(new URL(centre.gatewayUrl).port);
      const databasePort = Number(new URL(db.url).port);
      await waitFor(() => connectionsTo(station.pid, gatewayPort) > 0, 'the station to hold its live channel to the gateway');
      expect(connectionsTo(station.pid, databasePort)).toBe(0);
    } finally {
      await station.stop();
    }
  });

  it('a station applies pushed rows: a ticket issued at one desk reaches another without waiting for its timed pull', async () => {
    const slow = { pollIntervalMs: 60_000 };
    const deskA = await startStation({ central: centre, role: 'reception', code: 'LIVE-DESK-A', ...slow });
    const deskB = await startStation({ central: centre, role: 'reception', code: 'LIVE-DESK-B', ...slow });
    try {
      await deskA.handle('session.signIn', { username: 'reception', password: 'demo1234' });
      await deskB.handle('session.signIn', { username: 'reception', password: 'demo1234' });
      await waitFor(() => deskB.cache.readCursor(), 'desk B to finish its first load');
      await waitFor(() => centre.gateway.live.stats().sockets >= 2, 'both desks on the live channel');
      const patient = deskA.cache.db.prepare('SELECT id FROM patients ORDER BY id LIMIT 1 OFFSET 10').pluck().get() as string;
      const ticket = await deskA.handle('queue.issueTicket', { patientId: patient, urgent: false });
      await waitFor(() => deskB.cache.readRow('queue_tickets', ticket.id), 'the ticket at desk B', 5000);
    } finally {
      await Promise.all([deskA.stop(), deskB.stop()]);
    }
  });
});
