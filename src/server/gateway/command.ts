import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { createGateway } from './gateway';
import type { TlsFiles } from './tls';

/*
 * `npm run cli -- gateway`: serves the central contract until Ctrl-C or SIGTERM. The database URL comes from the
 * caller (DATABASE_URL on a server; in the demo, the embedded cluster's superuser until enrolment and the
 * gateway's login role land in the demo too).
 */

export interface GatewayCommandOptions {
  port: number;
  host: string;
  poolSize?: number;
  /** PEM files: the gateway's certificate (with intermediates) and its private key. */
  tlsCert?: string;
  tlsKey?: string;
  /** PEM file of the CA that signed the database server's certificate. */
  databaseCa?: string;
}

export async function gatewayCommand(databaseUrl: string, options: GatewayCommandOptions, log: (line: string) => void): Promise<void> {
  const gateway = createGateway({
    databaseUrl,
    log,
    poolSize: options.poolSize,
    tls: await tlsFiles(options.tlsCert, options.tlsKey),
    databaseCa: options.databaseCa === undefined ? undefined : await readPem(options.databaseCa, '--db-ca'),
  });
  try {
    // Listening first: a host that may not serve plain HTTP is refused before anything touches the database.
    const { url } = await gateway.listen(options.port, options.host);
    await warnAboutRole(gateway.pool, log);
    log(`Central gateway listening on ${url} (pool of ${options.poolSize ?? 10} connections). Ctrl-C stops it.`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
  } finally {
    await gateway.close();
  }
}

async function tlsFiles(certFile: string | undefined, keyFile: string | undefined): Promise<TlsFiles | undefined> {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new Error('HTTPS needs both --tls-cert FILE and --tls-key FILE.');
  return { cert: await readPem(certFile, '--tls-cert'), key: await readPem(keyFile, '--tls-key') };
}

async function readPem(file: string, option: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${option} ${file}: cannot read it (${error.code ?? error.message}).`);
  });
  if (!text.includes('-----BEGIN ')) throw new Error(`${option} ${file}: not a PEM file.`);
  return text;
}

/**
 * The gateway must connect as a login role that is only a member of clinic_gateway (docs/gateway.md). It still
 * starts otherwise — the demo has no such role yet — but says so plainly, because RLS does not bind a superuser.
 */
async function warnAboutRole(pool: pg.Pool, log: (line: string) => void): Promise<void> {
  const { rows } = await pool.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean; gateway: boolean }>(
    `SELECT current_user AS role, rolsuper, rolbypassrls, pg_has_role(current_user, 'clinic_gateway', 'USAGE') AS gateway
       FROM pg_roles WHERE rolname = current_user`,
  );
  const me = rows[0]!;
  if (me.rolsuper || me.rolbypassrls) {
    log(
      `WARNING: the gateway connects as ${me.role}, a ${me.rolsuper ? 'superuser' : 'role that bypasses row-level security'}: ` +
        'row-level security does not bind it. The demo does this until enrolment and the gateway login role land; ' +
        'a real centre connects as a login role that is only a member of clinic_gateway (docs/gateway.md).',
    );
  } else if (!me.gateway) {
    log(`WARNING: the gateway's database role ${me.role} is not a member of clinic_gateway: enrolment, signature checks and sign-in will be refused.`);
  }
}
