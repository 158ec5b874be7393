import type pg from 'pg';
import { createGateway } from './gateway';

/*
 * `npm run cli -- gateway`: serves the central contract until Ctrl-C or SIGTERM. The database URL comes from the
 * caller (DATABASE_URL on a server; in the demo, the embedded cluster's superuser until enrolment and the
 * gateway's login role land in the demo too).
 */

export interface GatewayCommandOptions {
  port: number;
  host: string;
  poolSize?: number;
}

export async function gatewayCommand(databaseUrl: string, options: GatewayCommandOptions, log: (line: string) => void): Promise<void> {
  const gateway = createGateway({ databaseUrl, log, poolSize: options.poolSize });
  try {
    await warnAboutRole(gateway.pool, log);
    const { url } = await gateway.listen(options.port, options.host);
    log(`Central gateway listening on ${url} (pool of ${options.poolSize ?? 10} connections). Ctrl-C stops it.`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
  } finally {
    await gateway.close();
  }
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
