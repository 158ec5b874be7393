import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldCrypto, LocalKeyFileProvider, openLocalKeyFile } from '../../src/main/crypto/field-crypto';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'field-crypto-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tamper(envelope: string, field: 'ct' | 'tag' | 'iv' | 'dek'): string {
  const e = JSON.parse(envelope) as Record<string, string>;
  const bytes = Buffer.from(e[field]!, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  e[field] = bytes.toString('base64');
  return JSON.stringify(e);
}

describe('FieldCrypto', () => {
  it('round-trips text, including Chinese characters and the empty string', async () => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    for (const plain of ['S1234567D', '陈伟明', '']) {
      expect(await crypto.decrypt(await crypto.encrypt(plain))).toBe(plain);
    }
  });

  it('writes a versioned envelope that carries the key id and never the plaintext', async () => {
    const provider = await LocalKeyFileProvider.open(join(dir, 'keys.json'));
    const envelope = await new FieldCrypto(provider).encrypt('S1234567D');
    const parsed = JSON.parse(envelope) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['ct', 'dek', 'iv', 'kid', 'tag', 'v']);
    expect(parsed.v).toBe(1);
    expect(parsed.kid).toBe(provider.keyId);
    expect(envelope).not.toContain('S1234567D');
    expect(envelope).not.toContain('1234567');
  });

  it('gives two different envelopes, with different data keys, for the same value', async () => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    const a = JSON.parse(await crypto.encrypt('S1234567D')) as Record<string, string>;
    const b = JSON.parse(await crypto.encrypt('S1234567D')) as Record<string, string>;
    expect(a.ct).not.toBe(b.ct);
    expect(a.iv).not.toBe(b.iv);
    expect(a.dek).not.toBe(b.dek);
  });

  it.each(['ct', 'tag', 'iv', 'dek'] as const)('detects a changed %s', async (field) => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    const envelope = await crypto.encrypt('S1234567D');
    await expect(crypto.decrypt(tamper(envelope, field))).rejects.toThrow(/altered/);
  });

  it('detects swapped data keys between two envelopes', async () => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    const a = JSON.parse(await crypto.encrypt('S1234567D')) as Record<string, string>;
    const b = JSON.parse(await crypto.encrypt('T1234567J')) as Record<string, string>;
    await expect(crypto.decrypt(JSON.stringify({ ...a, dek: b.dek }))).rejects.toThrow(/altered/);
  });

  it('explains which key is missing when the value came from another key file', async () => {
    const mine = await openLocalKeyFile(join(dir, 'mine.json'));
    const theirs = await LocalKeyFileProvider.open(join(dir, 'theirs.json'));
    const envelope = await new FieldCrypto(theirs).encrypt('S1234567D');
    await expect(mine.decrypt(envelope)).rejects.toThrow(`encrypted with key ${theirs.keyId}`);
  });

  it('rejects what is not an envelope', async () => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    await expect(crypto.decrypt('S1234567D')).rejects.toThrow(/not an encryption envelope/);
    await expect(crypto.decrypt('{"v":2}')).rejects.toThrow(/unknown version/);
  });

  it('hashes for lookup stably, as hex HMAC-SHA256, separated by kind', async () => {
    const crypto = await openLocalKeyFile(join(dir, 'keys.json'));
    const h = await crypto.lookupHash('nric', 'S1234567D');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await crypto.lookupHash('nric', 'S1234567D')).toBe(h);
    expect(await crypto.lookupHash('nric', 'T1234567J')).not.toBe(h);
    expect(await crypto.lookupHash('phone', 'S1234567D')).not.toBe(h);
  });

  it('keys the lookup hash: another key file gives another hash, the same key file the same one', async () => {
    const path = join(dir, 'keys.json');
    const first = await (await openLocalKeyFile(path)).lookupHash('nric', 'S1234567D');
    const reopened = await (await openLocalKeyFile(path)).lookupHash('nric', 'S1234567D');
    const other = await (await openLocalKeyFile(join(dir, 'other.json'))).lookupHash('nric', 'S1234567D');
    expect(reopened).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('LocalKeyFileProvider', () => {
  // File modes are a Unix notion; on Windows the key file is protected by the profile folder's ACL.
  it.runIf(process.platform !== 'win32')('creates a missing key file readable by its owner only', async () => {
    const path = join(dir, 'nested', 'keys.json');
    await LocalKeyFileProvider.open(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    expect(Buffer.from(file.kek!, 'base64')).toHaveLength(32);
    expect(Buffer.from(file.hmac!, 'base64')).toHaveLength(32);
    expect(file.kek).not.toBe(file.hmac);
    expect(await readdir(join(dir, 'nested'))).toEqual(['keys.json']);
  });

  it('reuses an existing key file: same key id, and old envelopes still decrypt', async () => {
    const path = join(dir, 'keys.json');
    const first = await LocalKeyFileProvider.open(path);
    const before = await readFile(path, 'utf8');
    const envelope = await new FieldCrypto(first).encrypt('M1234567K');

    const again = await LocalKeyFileProvider.open(path);
    expect(again.keyId).toBe(first.keyId);
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await new FieldCrypto(again).decrypt(envelope)).toBe('M1234567K');
  });

  it('gives every new key file its own key id', async () => {
    const a = await LocalKeyFileProvider.open(join(dir, 'a.json'));
    const b = await LocalKeyFileProvider.open(join(dir, 'b.json'));
    expect(a.keyId).not.toBe(b.keyId);
  });

  it('agrees on one set of keys when two openers race to create the file', async () => {
    const path = join(dir, 'keys.json');
    const [a, b] = await Promise.all([LocalKeyFileProvider.open(path), LocalKeyFileProvider.open(path)]);
    expect(a.keyId).toBe(b.keyId);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it.runIf(process.platform !== 'win32')('refuses a key file other users can read', async () => {
    const path = join(dir, 'keys.json');
    await LocalKeyFileProvider.open(path);
    await chmod(path, 0o644);
    await expect(LocalKeyFileProvider.open(path)).rejects.toThrow(/readable by other users/);
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    const path = join(dir, 'keys.json');
    await writeFile(path, '{"v":1,"kid":"k","kek":"c2hvcnQ=","hmac":"c2hvcnQ="}', { mode: 0o600 });
    await expect(LocalKeyFileProvider.open(path)).rejects.toThrow(/damaged: kek/);
    await writeFile(path, 'not json', { mode: 0o600 });
    await expect(LocalKeyFileProvider.open(path)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(path, 'utf8')).toBe('not json');
  });
});
