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
