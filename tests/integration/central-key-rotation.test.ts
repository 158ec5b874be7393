import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import { rewrapAll } from '../../src/server/rotate-keys';
import { openLocalKeyFile, rotateLocalKeyFile } from '../../src/main/crypto/field-crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';

// Key rotation (issue 3 §4, seed 001 §5.3): a new KEK, every stored DEK re-wrapped, values and lookups unchanged.

let db: TestDatabase;
let admin: pg.Client;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase({ template: 'demo' });
  admin = new pg.Client(db.url);
  await admin.connect();
  dir = await mkdtemp(join(tmpdir(), 'rotate-'));
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('rotate-keys', () => {
  test('re-wraps every envelope under the new key; plaintext and lookup hashes stay the same', async () => {
    const keyFile = join(dir, 'key.json');
    await copyFile(inject('pg').keyFile, keyFile);
    const before = await openLocalKeyFile(keyFile);
    const sample = (await admin.query<{ id: string; nric_enc: string; nric_hash: string }>('SELECT id, nric_enc, nric_hash FROM clinic.patients ORDER BY id LIMIT 5')).rows;
    const plain = await Promise.all(sample.map((r) => before.decrypt(r.nric_enc)));

    const { oldKeyId, newKeyId } = await rotateLocalKeyFile(keyFile);
    expect(newKeyId).not.toBe(oldKeyId);
    const after = await openLocalKeyFile(keyFile);
    // Until re-wrapped, old envelopes still open with the retired key.
    expect(await after.decrypt(sample[0]!.nric_enc)).toBe(plain[0]);

    const result = await rewrapAll(admin, after, 300);
    expect(result.rewrapped).toBe(1000);
    expect((await rewrapAll(admin, after)).rewrapped).toBe(0);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM clinic.patients WHERE nric_enc::jsonb ->> 'kid' <> $1`, [newKeyId]);
    expect(rows[0].n).toBe(0);
    const now = (await admin.query<{ id: string; nric_enc: string; nric_hash: string }>('SELECT id, nric_enc, nric_hash FROM clinic.patients ORDER BY id LIMIT 5')).rows;
    for (const [i, r] of now.entries()) {
      expect(r.nric_enc).not.toBe(sample[i]!.nric_enc);
      expect(await after.decrypt(r.nric_enc)).toBe(plain[i]);
      expect(r.nric_hash).toBe(sample[i]!.nric_hash);
      expect(await after.lookupHash('nric', plain[i]!)).toBe(r.nric_hash);
    }
  });
});
