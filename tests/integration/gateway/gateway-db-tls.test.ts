import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from '../../../src/server/gateway/db';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../../dev/embedded-postgres';
import { createCertificateAuthority, issueServerCertificate, type CertificateAuthority } from '../../../dev/local-ca';

// The gateway's pool to Postgres with sslmode=verify-full semantics, against a cluster of its own that serves TLS
// with a certificate for `localhost` from a CA made here. Loopback needs no TLS, so requireVerifiedTls asks for it.

let root: string;
let server: EmbeddedPostgresHandle;
let ca: CertificateAuthority;

const urlFor = (host: string, query = '') => `postgres://${server.user}:${encodeURIComponent(server.password)}@${host}:${server.port}/postgres${query}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gabriel-pg-tls-'));
  // Running as root, Postgres runs as the postgres user: it must reach the folder and own its key (0600).
  await chmod(root, 0o755);
  ca = await createCertificateAuthority('Test database CA');
  const cert = await issueServerCertificate(ca, { dnsNames: ['localhost'] });
  const certs = join(root, 'certs');
  await mkdir(certs, { mode: 0o755 });
  await writeFile(join(certs, 'server.crt'), cert.certPem, { mode: 0o644 });
  await writeFile(join(certs, 'server.key'), cert.keyPem, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    await chown(join(certs, 'server.key'), uid, gid);
  }
  server = await startEmbeddedPostgres({
    dataDir: join(root, 'postgres'),
    disposable: true,
    settings: { ssl: 'on', ssl_cert_file: join(certs, 'server.crt'), ssl_key_file: join(certs, 'server.key') },
  });
});

afterAll(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function sslOf(pool: ReturnType<typeof createPool>): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0]!.ssl;
  } finally {
    await pool.end();
  }
}

describe('verify-full to Postgres', () => {
  test('with the right CA and the certificate’s host name, the connection is TLS', async () => {
    expect(await sslOf(createPool({ databaseUrl: urlFor('localhost'), databaseCa: ca.certPem, requireVerifiedTls: true }))).toBe(true);
    expect(await sslOf(createPool({ databaseUrl: urlFor('localhost', '?sslmode=verify-full'), databaseCa: ca.certPem, requireVerifiedTls: true }))).toBe(true);
  });

  test('a server whose certificate another CA signed is refused', async () => {
    const other = await createCertificateAuthority('Someone else');
    await expect(sslOf(createPool({ databaseUrl: urlFor('localhost'), databaseCa: other.certPem, requireVerifiedTls: true }))).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  test('the same server reached by a name its certificate does not carry is refused', async () => {
    await expect(sslOf(createPool({ databaseUrl: urlFor('127.0.0.1'), databaseCa: ca.certPem, requireVerifiedTls: true }))).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  test('weaker sslmodes, and a missing CA, are refused before any connection, in plain words', () => {
    for (const mode of ['disable', 'prefer', 'require', 'verify-ca']) {
      expect(() => createPool({ databaseUrl: urlFor('localhost', `?sslmode=${mode}`), databaseCa: ca.certPem, requireVerifiedTls: true })).toThrow(
        `only with sslmode=verify-full (its certificate checked against a CA and the host name), but the database URL says sslmode=${mode}`,
      );
    }
    expect(() => createPool({ databaseUrl: urlFor('localhost'), requireVerifiedTls: true })).toThrow(/give the CA that signed it with --db-ca FILE/);
  });

  test('a host off this machine needs verification without being asked', () => {
    expect(() => createPool({ databaseUrl: 'postgres://gw:secret@db.clinic-chain.example:5432/gabriel' })).toThrow(/--db-ca FILE/);
    expect(() => createPool({ databaseUrl: 'postgres://gw:secret@10.0.0.5/gabriel?sslmode=require', databaseCa: ca.certPem })).toThrow(/sslmode=require/);
    expect(() => createPool({ databaseUrl: 'postgres://gw:secret@db.clinic-chain.example/gabriel', databaseCa: ca.certPem }).end()).not.toThrow();
  });

  test('on loopback, without a CA, plain connections still work (the demo and the tests)', async () => {
    expect(await sslOf(createPool({ databaseUrl: urlFor('127.0.0.1', '?sslmode=disable') }))).toBe(false);
  });
});
