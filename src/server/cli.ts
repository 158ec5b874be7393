import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openLocalKeyFile } from '../main/crypto/field-crypto';
import { enrolCommand, revokeStationCommand } from './enrol';
import { gatewayCommand } from './gateway/command';
import { dryRun, migrate, migrationStatus } from './migrate';
import { pdpaExportCommand, pdpaPurgeCommand } from './pdpa';
import { rotateKeysCommand } from './rotate-keys';
import { replayWebhookCommand, workerCommand } from './worker/worker';

/*
 * The central server's own commands. Each needs the central database's URL; where it comes from
 * (DATABASE_URL on a server, the embedded cluster in the demo) is the caller's business.
 */

export const serverCommands = ['migrate', 'status', 'dry-run', 'rotate-keys', 'worker', 'webhooks', 'pdpa', 'gateway', 'enrol', 'revoke-station'] as const;
export type ServerCommand = (typeof serverCommands)[number];

export const serverUsage = `  migrate      Apply pending central migrations.
  status       Show applied and pending migrations, with checksums.
  dry-run      Apply pending migrations inside a transaction and roll it back.
  rotate-keys  New encryption key in DIR/keys/local-key.json (the old one retired), then re-wrap every
               stored data key at the centre. Copy the key file to the stations afterwards.
  worker [--once] [--provider file|console]
      Background work: audit partition upkeep, metrics refresh, retention purge (jobs), webhook
      events, notification dispatch (to DIR/outbox/notifications.jsonl, or the console).
  webhooks replay <event-id>   A dead-lettered or failed webhook event back to pending.
  pdpa export <patient-id> --out DIR   Everything held on one patient, as JSON and HTML (audited).
  pdpa purge [--dry-run]       Retention purge by the per-category periods of the settings.
  gateway [--port 8443] [--host 127.0.0.1] [--pool-size 10] [--tls-cert FILE --tls-key FILE] [--db-ca FILE]
      The central gateway: the central contract over HTTPS with that certificate and key (PEM), or over
      plain HTTP on loopback only, on one bounded pool of database connections. A database off this machine
      is reached only with its certificate verified against --db-ca and its host name (verify-full).
  enrol --clinic GFC-BDK --role reception|consult|display [--station-code BDK-RECEPTION-2] [--room R1]
        [--code ABCD-…] [--expires-hours 24]
      A one-time code to type at a new station PC (made at random unless --code gives one). Without
      --station-code the next free one is chosen; --room places a consult station.
  revoke-station --clinic GFC-BDK --station-code BDK-RECEPTION-2 [--reason "PC stolen"]
      Ends a station and every session open at it, at once, on every gateway.`;

export function isServerCommand(command: string): command is ServerCommand {
  return (serverCommands as readonly string[]).includes(command);
}

export async function runServerCommand(command: ServerCommand, args: string[], databaseUrl: string, dataDir: string): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      once: { type: 'boolean', default: false },
      provider: { type: 'string' },
      out: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '127.0.0.1' },
      'pool-size': { type: 'string', default: '10' },
      clinic: { type: 'string' },
      role: { type: 'string' },
      'station-code': { type: 'string' },
      code: { type: 'string' },
      room: { type: 'string' },
      'expires-hours': { type: 'string', default: '24' },
      reason: { type: 'string', default: 'Revoked by the operator.' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'db-ca': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const log = (line: string) => console.log(line);
  const keyFile = join(dataDir, 'keys', 'local-key.json');
  switch (command) {
    case 'migrate':
    case 'status':
    case 'dry-run':
      return migrationCommand(command, databaseUrl);
    case 'rotate-keys':
      return rotateKeysCommand(databaseUrl, keyFile, log);
    case 'worker':
      return workerCommand(databaseUrl, { once: values.once ?? false, provider: values.provider, dataDir }, log);
    case 'webhooks':
      if (positionals[0] !== 'replay' || !positionals[1]) throw new Error('Usage: webhooks replay <event-id>');
      return replayWebhookCommand(databaseUrl, positionals[1], log);
    case 'pdpa':
      if (positionals[0] === 'export' && positionals[1] && values.out) {
        const crypto = existsSync(keyFile) ? await openLocalKeyFile(keyFile) : undefined;
        return pdpaExportCommand(databaseUrl, positionals[1], resolve(values.out), crypto, log);
      }
      if (positionals[0] === 'purge') return pdpaPurgeCommand(databaseUrl, values['dry-run'] ?? false, log);
      throw new Error('Usage: pdpa export <patient-id> --out DIR | pdpa purge [--dry-run]');
    case 'gateway':
      return gatewayCommand(
        databaseUrl,
        {
          port: whole(values.port, '--port'),
          host: values.host ?? '127.0.0.1',
          poolSize: whole(values['pool-size'], '--pool-size', 1),
          tlsCert: values['tls-cert'],
          tlsKey: values['tls-key'],
          databaseCa: values['db-ca'],
        },
        log,
      );
    case 'enrol':
      if (!values.clinic || !values.role) throw new Error('Usage: enrol --clinic GFC-BDK --role reception|consult|display [--station-code …] [--room R1] [--code …] [--expires-hours 24]');
      return enrolCommand(
        databaseUrl,
        { clinic: values.clinic, role: values.role, stationCode: values['station-code'], code: values.code, room: values.room, expiresHours: whole(values['expires-hours'], '--expires-hours', 1) },
        log,
      );
    case 'revoke-station':
      if (!values.clinic || !values['station-code']) throw new Error('Usage: revoke-station --clinic GFC-BDK --station-code BDK-RECEPTION-2 [--reason "PC stolen"]');
      return revokeStationCommand(databaseUrl, { clinic: values.clinic, stationCode: values['station-code'], reason: values.reason ?? 'Revoked by the operator.' }, log);
  }
}

function whole(value: string | undefined, option: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${option} must be a whole number of at least ${min}, not "${value}".`);
  return n;
}

async function migrationCommand(command: 'migrate' | 'status' | 'dry-run', url: string): Promise<void> {
  if (command === 'migrate') {
    const result = await migrate(url, { log: (line) => console.log(line) });
    console.log(result.applied.length ? `Applied ${result.applied.length} migration(s).` : 'Nothing to apply: the database is up to date.');
    return;
  }
  if (command === 'status') {
    const status = await migrationStatus(url);
    for (const m of status.applied) {
      console.log(`applied  ${String(m.version).padStart(3, '0')} ${m.name.padEnd(24)} ${m.recordedChecksum ?? ''}${m.changed ? '  CHANGED SINCE APPLIED' : ''}`);
    }
    for (const m of status.pending) console.log(`pending  ${String(m.version).padStart(3, '0')} ${m.name.padEnd(24)} ${m.checksum}`);
    return;
  }
  const result = await dryRun(url);
  console.log(JSON.stringify(result, null, 2));
}
