import pg from 'pg';
import { openLocalKeyFile, rotateLocalKeyFile, type FieldCrypto } from '../main/crypto/field-crypto';

/*
 * Step 2 of a key rotation (step 1: rotateLocalKeyFile, or the KMS's own rotation): every encrypted column at the
 * centre gets its data keys re-wrapped under the current KEK, in batches of one short transaction each, so stations
 * keep working throughout. Run as the database owner; the column is never granted to stations.
 */

export interface RewrapResult {
  scanned: number;
  rewrapped: number;
  keyId: string;
}

/** The encrypted columns: table, key columns, envelope column. */
const ENCRYPTED = [{ table: 'clinic.patients', column: 'nric_enc' }] as const;

export async function rewrapAll(client: pg.ClientBase, crypto: FieldCrypto, batchSize = 500): Promise<RewrapResult> {
  const keyId = crypto.currentKeyId;
  let scanned = 0;
  let rewrapped = 0;
  for (const { table, column } of ENCRYPTED) {
    for (;;) {
      await client.query('BEGIN');
      try {
        // The envelope is JSON text with the key id in "kid"; rows already current are skipped.
        const { rows } = await client.query<{ clinic_id: string; id: string; env: string }>(
          `SELECT clinic_id, id, ${column} AS env FROM ${table}
            WHERE ${column}::jsonb ->> 'kid' IS DISTINCT FROM $1
            LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [keyId, batchSize],
        );
        scanned += rows.length;
        if (rows.length === 0) {
          await client.query('COMMIT');
          break;
        }
        const updates = await Promise.all(rows.map(async (r) => ({ clinic_id: r.clinic_id, id: r.id, env: await crypto.rewrap(r.env) })));
        await client.query(
          `UPDATE ${table} t SET ${column} = u.env
             FROM jsonb_to_recordset($1::jsonb) AS u(clinic_id uuid, id uuid, env text)
            WHERE t.clinic_id = u.clinic_id AND t.id = u.id`,
          [JSON.stringify(updates)],
        );
        rewrapped += updates.length;
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  }
  return { scanned, rewrapped, keyId };
}

/** The `rotate-keys` command: rotate the local key file, then re-wrap every stored data key at the centre. */
export async function rotateKeysCommand(url: string, keyFile: string, log: (line: string) => void): Promise<void> {
  const { oldKeyId, newKeyId } = await rotateLocalKeyFile(keyFile);
  log(`Key file ${keyFile}: ${oldKeyId} retired, ${newKeyId} current.`);
  const client = new pg.Client({ connectionString: url, application_name: 'gabriel-rotate-keys' });
  await client.connect();
  try {
    const result = await rewrapAll(client, await openLocalKeyFile(keyFile));
    log(`Re-wrapped ${result.rewrapped} encrypted value(s) under ${result.keyId}. Copy the key file to every station.`);
  } finally {
    await client.end();
  }
}
