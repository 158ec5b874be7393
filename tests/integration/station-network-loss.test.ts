import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../src/main/station';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { startStation, startTestCentral, waitFor, type TestCentral } from '../support/stations';

/*
 * A network that goes silent (a cable pulled between the desk and the centre: nothing closes, nothing answers), as
 * opposed to a gateway that refuses: the desk must say it is offline within seconds, keep working from its cache
 * without making anyone wait on the network, and send what it did once the network is back.
 */
describe('a desk whose network goes silent', () => {
  let db: TestDatabase;
  let centre: TestCentral;
  let proxy: TcpProxy;
  let desk: StationCore;

  beforeAll(async () => {
    db = await createTestDatabase({ template: 'demo' });
    centre = await startTestCentral(db.url);
    const target = new URL(centre.gatewayUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    desk = await startStation({ central: centre, gatewayUrl: `http://127.0.0.1:${await proxy.listen()}`, role: 'reception', code: 'SILENT-DESK', pollIntervalMs: 60_000 });
    await desk.handle('session.signIn', { username: 'reception', password: 'demo1234' });
  });

  afterAll(async () => {
    await desk?.stop();
    await proxy?.close();
    await centre?.close();
    await db?.drop();
  });

  it('says offline within seconds, issues tickets without waiting, and sends them when the network returns', async () => {
    await waitFor(async () => (await desk.handle('sync.status', {})).online, 'the desk online');
    await waitFor(() => centre.gateway.live.stats().sockets >= 1, 'the desk on the live channel');
    const { patients } = await desk.handle('patients.search', { query: 'tan', limit: 3 });

    proxy.stall();
    const cutAt = Date.now();
    // The timed pull is a minute away here: only the live channel's heartbeat can tell.
    await waitFor(async () => !(await desk.handle('sync.status', {})).online, 'the desk to notice the silence', 9000);
    expect(Date.now() - cutAt).toBeLessThan(9000);
    expect((await desk.handle('sync.status', {})).lastError).toMatch(/connection to the centre was lost/);

    const started = Date.now();
    const ticket = await desk.handle('queue.issueTicket', { patientId: patients[0]!.id });
    // Not the 3 s the desk gives an online centre to refuse, nor a request timeout.
    expect(Date.now() - started).toBeLessThan(1500);
    expect(ticket.pending).toBe(true);

    proxy.restore();
    await waitFor(async () => {
      const status = await desk.handle('sync.status', {});
      return status.online && status.pending === 0;
    }, 'the ticket sent once the network is back', 30_000);
    const admin = new pg.Client(db.url);
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT ticket_number FROM clinic.queue_tickets WHERE id = $1', [ticket.id]);
      expect(rows).toEqual([{ ticket_number: ticket.ticketNumber }]);
    } finally {
      await admin.end();
    }
  });
});
