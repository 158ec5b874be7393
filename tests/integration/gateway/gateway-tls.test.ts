import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { protocolResponseSchema } from '../../../src/shared/central-contract';
import { createGateway } from '../../../src/server/gateway/gateway';
import { createCertificateAuthority, issueServerCertificate, localGatewayTls, type LocalTls } from '../../../dev/local-ca';
import { startGatewayFixture, type GatewayFixture } from '../../support/gateway';

// HTTPS to the gateway with the demo's local CA, checked by a client that trusts only that CA (as a station pins it).

let f: GatewayFixture;
let dataDir: string;
let tls: LocalTls;

beforeAll(async () => {
  f = await startGatewayFixture();
  dataDir = await mkdtemp(join(tmpdir(), 'gabriel-tls-'));
  tls = await localGatewayTls(dataDir);
});

afterAll(async () => {
  await f?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const pinned = (ca: string) => new Agent({ connect: { ca } });
const failure = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(() => null, (e: unknown) => e as { cause?: { code?: string } });
  expect(error).not.toBeNull();
  return String(error?.cause?.code);
};

describe('the gateway over HTTPS', () => {
  test('a client trusting only the local CA gets answers, by name and by address', async () => {
    const { url } = await f.start({ tls: { key: tls.keyPem, cert: tls.certPem } });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = pinned(tls.caPem);
    for (const base of [url, url.replace('127.0.0.1', 'localhost')]) {
      const response = await undiciFetch(`${base}/v1/protocol`, { dispatcher: agent });
      expect(response.status).toBe(200);
      expect(protocolResponseSchema.parse(await response.json()).protocol).toBeGreaterThanOrEqual(1);
    }
    await agent.close();
  });

  test('a client without the CA is refused with a certificate error, and so is one pinning another CA', async () => {
    const { url } = await f.start({ tls: { key: tls.keyPem, cert: tls.certPem } });
    expect(await failure(undiciFetch(`${url}/v1/protocol`, { dispatcher: new Agent() }))).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const other = await createCertificateAuthority('Someone else');
    expect(await failure(undiciFetch(`${url}/v1/protocol`, { dispatcher: pinned(other.certPem) }))).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  test('a certificate from the right CA for another name fails hostname verification', async () => {
    const ca = { certPem: tls.caPem, keyPem: await readFile(join(dataDir, 'tls', 'ca.key'), 'utf8') };
    const elsewhere = await issueServerCertificate(ca, { dnsNames: ['gateway.other-clinic.example'] });
    const { url } = await f.start({ tls: { key: elsewhere.keyPem, cert: elsewhere.certPem } });
    expect(await failure(undiciFetch(`${url}/v1/protocol`, { dispatcher: pinned(tls.caPem) }))).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('plain HTTP is refused off loopback, with the way out in the message', async () => {
    const gateway = createGateway({ databaseUrl: f.roleUrl, log: () => undefined });
    await expect(gateway.listen(0, '0.0.0.0')).rejects.toThrow(/will not serve plain HTTP on 0\.0\.0\.0.*--tls-cert FILE --tls-key FILE/);
    await gateway.close();
  });
});

describe('the local CA', () => {
  test('is a CA, signs a serverAuth certificate for localhost and both loopback addresses, for at most 825 days', () => {
    const ca = new X509Certificate(tls.caPem);
    const cert = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000;
    expect(days).toBeLessThanOrEqual(826);
  });

  test('keeps its private keys 0600 and is reused on the next run', async () => {
    for (const file of ['ca.key', 'gateway.key']) expect((await stat(join(dataDir, 'tls', file))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'tls'))).mode & 0o777).toBe(0o700);
    expect(await localGatewayTls(dataDir)).toEqual(tls);
  });

  test('a gateway certificate that is unreadable or about to expire is made again under the same CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gabriel-tls-'));
    try {
      const first = await localGatewayTls(dir);
      await writeFile(join(dir, 'tls', 'gateway.key'), 'not a key');
      const repaired = await localGatewayTls(dir);
      expect(repaired.caPem).toBe(first.caPem);
      expect(repaired.certPem).not.toBe(first.certPem);
      const later = new Date(Date.now() + 810 * 86_400_000);
      const renewed = await localGatewayTls(dir, later);
      expect(renewed.caPem).toBe(first.caPem);
      expect(new Date(new X509Certificate(renewed.certPem).validTo).getTime()).toBeGreaterThan(later.getTime() + 800 * 86_400_000);
      await writeFile(join(dir, 'tls', 'ca.crt'), 'garbage');
      const fresh = await localGatewayTls(dir);
      expect(fresh.caPem).not.toBe(first.caPem);
      expect(new X509Certificate(fresh.certPem).checkIssued(new X509Certificate(fresh.caPem))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
