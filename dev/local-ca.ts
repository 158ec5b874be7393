import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// First: @peculiar/x509's dependency injection (tsyringe) will not load without the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/*
 * The demo's own certificate authority: the gateway serves HTTPS with a certificate it signs, and the demo's
 * stations pin its certificate (never the system's trust store), as a real chain's stations pin the chain's CA.
 * A real centre brings its own certificate (docs/gateway.md); nothing here is for production.
 */

x509.cryptoProvider.set(webcrypto as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The most a TLS server certificate may live for clients that follow the CA/Browser Forum (Apple: 825 days). */
const SERVER_DAYS = 825;
const CA_DAYS = 3650;
/** Certificates closer than this to their end are replaced, so a running demo never crosses an expiry. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

/** What a gateway serves (certPem, keyPem) and what its stations pin (caPem). */
export interface LocalTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface ServerNames {
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** RFC 5280: a positive serial of at most 20 octets, unpredictable so no two certificates share one. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

function keyPem(pkcs8: ArrayBuffer): string {
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function createCertificateAuthority(commonName = 'Gabriel Clinic demo CA', now = new Date()): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      // pathLength 0: it signs server certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** A TLS server certificate for exactly these names, signed by `ca`. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  names: ServerNames = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] },
  now = new Date(),
  days = SERVER_DAYS,
): Promise<ServerCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const der = createPrivateKey(ca.keyPem).export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
  const keys = await newKeys();
  const dnsNames = names.dnsNames ?? [];
  const ipAddresses = names.ipAddresses ?? [];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${dnsNames[0] ?? ipAddresses[0] ?? 'gateway'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + Math.min(days, SERVER_DAYS) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'gateway.crt', key: 'gateway.key' } as const;

async function readPair(dir: string, certFile: string, keyFile: string): Promise<{ certPem: string; keyPem: string } | null> {
  try {
    return { certPem: await readFile(join(dir, certFile), 'utf8'), keyPem: await readFile(join(dir, keyFile), 'utf8') };
  } catch {
    return null;
  }
}

/** Usable for a while yet, the key is the certificate's own, and (when given) `issuer` signed it. */
function stillGood(pair: { certPem: string; keyPem: string }, now: Date, issuer?: X509Certificate): boolean {
  try {
    const cert = new X509Certificate(pair.certPem);
    if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
    if (new Date(cert.validFrom).getTime() > now.getTime()) return false;
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return false;
    return issuer ? cert.checkIssued(issuer) && cert.verify(issuer.publicKey) : true;
  } catch {
    return false;
  }
}

/** Written beside, then renamed over: a run stopped half-way never leaves a certificate without its key. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

async function writePair(dir: string, certFile: string, keyFile: string, pair: { certPem: string; keyPem: string }): Promise<void> {
  await writeAtomically(join(dir, keyFile), pair.keyPem, 0o600);
  await writeAtomically(join(dir, certFile), pair.certPem, 0o644);
}

/**
 * The demo CA and the gateway's certificate (localhost, 127.0.0.1, ::1), kept in `<dataDir>/tls` with the keys
 * 0600. Made on first use and reused after; a certificate that is missing, unreadable, about to expire or not
 * matching its key is made again. A new gateway certificate keeps the CA, so stations that pinned it keep trusting
 * the gateway; only a broken CA is replaced (and then stations must pin the new one).
 */
export async function localGatewayTls(dataDir: string, now = new Date()): Promise<LocalTls> {
  const dir = join(dataDir, 'tls');
  // Only the tls folder is 0700: the data folder around it must stay reachable for the postgres user.
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  let ca = await readPair(dir, FILES.caCert, FILES.caKey);
  let renewedCa = false;
  if (!ca || !stillGood(ca, now)) {
    ca = await createCertificateAuthority(undefined, now);
    await writePair(dir, FILES.caCert, FILES.caKey, ca);
    renewedCa = true;
  }
  let server = await readPair(dir, FILES.cert, FILES.key);
  if (renewedCa || !server || !stillGood(server, now, new X509Certificate(ca.certPem))) {
    server = await issueServerCertificate(ca, undefined, now);
    await writePair(dir, FILES.cert, FILES.key, server);
  }
  return { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
}
