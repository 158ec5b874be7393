import { isIP } from 'node:net';

/*
 * Where the gateway may speak without TLS: only on this machine. Off loopback, stations reach it over HTTPS with a
 * pinned CA, and it reaches Postgres with the server's certificate verified against a CA and the host name
 * (libpq's sslmode=verify-full).
 */

export interface TlsFiles {
  /** PEM private key. */
  key: string;
  /** PEM certificate, with any intermediates after it. */
  cert: string;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: names that never leave the machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

export interface DatabaseTlsOptions {
  /** PEM certificate(s) of the CA that signed the database server's certificate. */
  databaseCa?: string;
  /**
   * Connect only with the server's certificate verified against databaseCa and the URL's host name (libpq's
   * sslmode=verify-full). On by default for a host that is not loopback; tests turn it on for loopback.
   */
  requireVerifiedTls?: boolean;
}

const SSL_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslnegotiation', 'uselibpqcompat', 'ssl'];

/**
 * The connection string and pg `ssl` settings for the gateway's pool. pg lets the URL's ssl parameters override
 * the `ssl` object, and reads sslmode=require as "encrypt, trust anyone", so once verification is required they are
 * checked here and taken out of the URL. pg checks the certificate against the host it connects to (and sends it
 * as the SNI server name when it is a name, not an address).
 */
export function databaseConnection(databaseUrl: string, options: DatabaseTlsOptions): { connectionString: string; ssl?: { ca: string; rejectUnauthorized: true } } {
  const url = new URL(databaseUrl);
  const host = url.searchParams.get('host') ?? url.hostname;
  const local = host === '' || host.startsWith('/') || isLoopback(host);
  const verify = options.requireVerifiedTls ?? !local;
  if (!verify && !options.databaseCa) return { connectionString: databaseUrl };
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && sslmode !== 'verify-full') {
    throw new Error(
      `The gateway connects to the database at ${host} only with sslmode=verify-full (its certificate checked against a CA ` +
        `and the host name), but the database URL says sslmode=${sslmode}. Remove it or make it verify-full.`,
    );
  }
  if (!options.databaseCa) {
    throw new Error(
      `The database at ${host} is not on this machine, so the gateway checks its certificate: give the CA that signed ` +
        'it with --db-ca FILE (PEM).',
    );
  }
  for (const parameter of SSL_PARAMETERS) url.searchParams.delete(parameter);
  return { connectionString: url.toString(), ssl: { ca: options.databaseCa, rejectUnauthorized: true } };
}
