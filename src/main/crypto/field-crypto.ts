import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/*
 * Envelope encryption for sensitive fields (seed 001 §5.3, §7.4): every value gets its own AES-256-GCM data key
 * (DEK); only the DEK wrapped by a key-encryption key (KEK) is stored beside the ciphertext. The KEK stays with a
 * KeyProvider, so a local key file can later give way to an OS keychain or a cloud KMS without re-encrypting data:
 * rotating the KEK only re-wraps DEKs. Lookups (find a patient by NRIC) use a keyed HMAC, never the ciphertext, and
 * that HMAC key is separate from the KEK so one can be rotated or handed to a KMS without the other.
 */

export interface KeyProvider {
  /** Identifies the KEK that `wrapKey` uses now; stored in every envelope. */
  readonly keyId: string;
  wrapKey(dek: Buffer): Promise<string>;
  unwrapKey(wrapped: string, keyId: string): Promise<Buffer>;
  /** The HMAC-SHA256 key for lookup hashes. */
  lookupKey(): Promise<Buffer>;
}

export type LookupKind = 'nric' | 'phone';

interface Envelope {
  v: 1;
  kid: string;
  dek: string;
  iv: string;
  ct: string;
  tag: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function gcmEncrypt(key: Buffer, plain: Buffer, aad?: Buffer): { iv: Buffer; ct: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { iv, ct, tag: cipher.getAuthTag() };
}

/** Throws (from `final`) when the tag does not verify: altered data or another key. */
function gcmDecrypt(key: Buffer, iv: Buffer, ct: Buffer, tag: Buffer, aad?: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
}

interface KeyFile {
  v: 1;
  kid: string;
  kek: string;
  hmac: string;
  createdAt: string;
  /** KEKs replaced by rotation: kept to unwrap DEKs not yet re-wrapped, never used to wrap. */
  retired?: { kid: string; kek: string; retiredAt: string }[];
}

function decodeKey(b64: unknown, name: string, path: string): Buffer {
  const key = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) throw new Error(`Key file ${path} is damaged: ${name} is not a 256-bit key.`);
  return key;
}

/** A JSON key file on the station's disk, readable by its owner only. */
export class LocalKeyFileProvider implements KeyProvider {
  private constructor(
    readonly keyId: string,
    private readonly kek: Buffer,
    private readonly hmacKey: Buffer,
    private readonly retired: ReadonlyMap<string, Buffer> = new Map(),
  ) {}

  /** Opens the key file, creating it with fresh random keys when it does not exist yet. */
  static async open(path: string): Promise<LocalKeyFileProvider> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      text = await createKeyFile(path);
    }
    // Windows has no POSIX modes to check; there the file relies on the user profile's ACL.
    if (process.platform !== 'win32') {
      const mode = (await stat(path)).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new Error(`Key file ${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it.`);
      }
    }
    let parsed: Partial<KeyFile>;
    try {
      parsed = JSON.parse(text) as Partial<KeyFile>;
    } catch {
      throw new Error(`Key file ${path} is damaged: it is not valid JSON.`);
    }
    if (parsed.v !== 1 || typeof parsed.kid !== 'string' || parsed.kid === '') {
      throw new Error(`Key file ${path} is damaged: missing version or key id.`);
    }
    const retired = new Map((parsed.retired ?? []).map((r) => [r.kid, decodeKey(r.kek, `retired kek ${r.kid}`, path)] as const));
    return new LocalKeyFileProvider(parsed.kid, decodeKey(parsed.kek, 'kek', path), decodeKey(parsed.hmac, 'hmac', path), retired);
  }

  async wrapKey(dek: Buffer): Promise<string> {
    // The key id is authenticated data, so a wrapped DEK cannot be passed off as belonging to another key.
    const { iv, ct, tag } = gcmEncrypt(this.kek, dek, Buffer.from(this.keyId));
    return Buffer.concat([iv, tag, ct]).toString('base64');
  }

  async unwrapKey(wrapped: string, keyId: string): Promise<Buffer> {
    const kek = keyId === this.keyId ? this.kek : this.retired.get(keyId);
    if (!kek) {
      throw new Error(`This value was encrypted with key ${keyId}, but this station holds key ${this.keyId}.`);
    }
    const raw = Buffer.from(wrapped, 'base64');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error('The wrapped data key is truncated.');
    return gcmDecrypt(
      kek,
      raw.subarray(0, IV_BYTES),
      raw.subarray(IV_BYTES + TAG_BYTES),
      raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
      Buffer.from(keyId),
    );
  }

  async lookupKey(): Promise<Buffer> {
    return this.hmacKey;
  }
}

/**
 * Writes a temporary file and hard-links it into place: the key file appears complete or not at all, and when two
 * processes race the loser adopts the winner's keys instead of overwriting them.
 */
async function createKeyFile(path: string): Promise<string> {
  const content: KeyFile = {
    v: 1,
    kid: `local-${randomUUID()}`,
    kek: randomBytes(KEY_BYTES).toString('base64'),
    hmac: randomBytes(KEY_BYTES).toString('base64'),
    createdAt: new Date().toISOString(),
  };
  const text = `${JSON.stringify(content, null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx', flush: true });
  try {
    await link(tmp, path);
    return text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return await readFile(path, 'utf8');
  } finally {
    await unlink(tmp);
  }
}

/**
 * Key rotation, step 1: a new KEK becomes current and the old one is kept as retired, in one atomic replace of the
 * file. Step 2 (rotate-keys) re-wraps every stored DEK; values are never re-encrypted, so the NRIC plaintext is
 * never handled. The lookup (HMAC) key is not rotated here: that would need every value decrypted and re-hashed.
 */
export async function rotateLocalKeyFile(path: string): Promise<{ oldKeyId: string; newKeyId: string }> {
  await LocalKeyFileProvider.open(path); // validates the file and its mode first
  const current = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  const now = new Date().toISOString();
  const next: KeyFile = {
    ...current,
    kid: `local-${randomUUID()}`,
    kek: randomBytes(KEY_BYTES).toString('base64'),
    createdAt: now,
    retired: [...(current.retired ?? []), { kid: current.kid, kek: current.kek, retiredAt: now }],
  };
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, flag: 'wx', flush: true });
  await rename(tmp, path);
  return { oldKeyId: current.kid, newKeyId: next.kid };
}

const TAMPERED = 'Could not decrypt the value: it was altered, or it was encrypted with a different key.';

function parseEnvelope(text: string): Envelope {
  let e: Partial<Envelope>;
  try {
    e = JSON.parse(text) as Partial<Envelope>;
  } catch {
    throw new Error('Could not decrypt the value: it is not an encryption envelope.');
  }
  if (
    e.v !== 1 ||
    typeof e.kid !== 'string' ||
    typeof e.dek !== 'string' ||
    typeof e.iv !== 'string' ||
    typeof e.ct !== 'string' ||
    typeof e.tag !== 'string'
  ) {
    throw new Error('Could not decrypt the value: the envelope is incomplete or of an unknown version.');
  }
  return e as Envelope;
}

export class FieldCrypto {
  constructor(private readonly provider: KeyProvider) {}

  /** A JSON envelope {v, kid, dek, iv, ct, tag}; the same plaintext never encrypts to the same envelope twice. */
  async encrypt(plain: string): Promise<string> {
    const dek = randomBytes(KEY_BYTES);
    const { iv, ct, tag } = gcmEncrypt(dek, Buffer.from(plain, 'utf8'));
    const envelope: Envelope = {
      v: 1,
      kid: this.provider.keyId,
      dek: await this.provider.wrapKey(dek),
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
      tag: tag.toString('base64'),
    };
    return JSON.stringify(envelope);
  }

  async decrypt(envelopeText: string): Promise<string> {
    const e = parseEnvelope(envelopeText);
    let dek: Buffer;
    try {
      dek = await this.provider.unwrapKey(e.dek, e.kid);
    } catch (err) {
      // Under another key id the provider's own reason (e.g. "encrypted with key X") helps more than "altered".
      if (e.kid !== this.provider.keyId && err instanceof Error) {
        throw new Error(`Could not decrypt the value: ${err.message}`);
      }
      throw new Error(TAMPERED);
    }
    try {
      return gcmDecrypt(
        dek,
        Buffer.from(e.iv, 'base64'),
        Buffer.from(e.ct, 'base64'),
        Buffer.from(e.tag, 'base64'),
      ).toString('utf8');
    } catch {
      throw new Error(TAMPERED);
    }
  }

  /** The key id an envelope was wrapped with. */
  keyIdOf(envelopeText: string): string {
    return parseEnvelope(envelopeText).kid;
  }

  /** The same ciphertext with its DEK wrapped by the current KEK (key rotation); unchanged if already current. */
  async rewrap(envelopeText: string): Promise<string> {
    const e = parseEnvelope(envelopeText);
    if (e.kid === this.provider.keyId) return envelopeText;
    const dek = await this.provider.unwrapKey(e.dek, e.kid);
    const next: Envelope = { ...e, kid: this.provider.keyId, dek: await this.provider.wrapKey(dek) };
    return JSON.stringify(next);
  }

  get currentKeyId(): string {
    return this.provider.keyId;
  }

  /** Hex HMAC-SHA256 of `${kind}:${normalized}`; the kind keeps an NRIC and a phone number from ever colliding. */
  async lookupHash(kind: LookupKind, normalized: string): Promise<string> {
    return createHmac('sha256', await this.provider.lookupKey()).update(`${kind}:${normalized}`).digest('hex');
  }
}

export async function openLocalKeyFile(path: string): Promise<FieldCrypto> {
  return new FieldCrypto(await LocalKeyFileProvider.open(path));
}
