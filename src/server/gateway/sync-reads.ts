import type pg from 'pg';
import type { TableWindow } from '../../shared/central-contract';
import { sessionClinic } from './db';

/*
 * The station's sync reads (src/sync/pull.ts), answered at the centre. Names arrive already checked as plain
 * lower-case identifiers by the contract and are double-quoted here; which tables and columns a station may read is
 * the database's decision (clinic_station's grants and row-level security), not a list kept here as well. The
 * clinic is always the verified session's.
 */

interface Scope {
  where: string;
  params: unknown[];
}

function scope(table: string, clinicId: string, window: TableWindow | null): Scope {
  const params: unknown[] = [clinicId];
  let where = table === 'clinics' ? 'id = $1' : 'clinic_id = $1';
  if (window) {
    params.push(window.since);
    where += ` AND "${window.column}" >= $${params.length}::${window.kind === 'date' ? 'date' : 'timestamptz'}`;
  }
  return { where, params };
}

const columnList = (columns: string[]) => columns.map((c) => `"${c}"`).join(', ');

/** Takes the horizon first: every change committed after it is replayed from the feed afterwards. */
export async function planInitialLoad(
  client: pg.PoolClient,
  tables: { table: string; window: TableWindow | null }[],
): Promise<{ horizon: string; tables: { table: string; total: number }[] }> {
  const clinicId = await sessionClinic(client);
  const horizon = await client.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
  const totals: { table: string; total: number }[] = [];
  for (const { table, window } of tables) {
    const { where, params } = scope(table, clinicId, window);
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinic."${table}" WHERE ${where}`, params);
    totals.push({ table, total: rows[0]!.n });
  }
  return { horizon: horizon.rows[0]!.xmin, tables: totals };
}

export async function readPage(
  client: pg.PoolClient,
  request: { table: string; window: TableWindow | null; columns: string[]; afterId: string | null; limit: number },
): Promise<Record<string, unknown>[]> {
  const { where, params } = scope(request.table, await sessionClinic(client), request.window);
  let after = '';
  if (request.afterId) {
    params.push(request.afterId);
    after = ` AND id > $${params.length}::uuid`;
  }
  params.push(request.limit);
  const { rows } = await client.query(
    `SELECT ${columnList(request.columns)} FROM clinic."${request.table}" WHERE ${where}${after} ORDER BY id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function pullFeed(
  client: pg.PoolClient,
  request: { cursor: { xid: string; seq: string }; tables: string[]; limit: number },
): Promise<unknown> {
  const clinicId = await sessionClinic(client);
  const { rows } = await client.query<{ result: unknown }>('SELECT sync.pull($1::uuid, $2::xid8, $3::bigint, $4::text[], $5::int) AS result', [
    clinicId,
    request.cursor.xid,
    request.cursor.seq,
    request.tables,
    request.limit,
  ]);
  return rows[0]!.result;
}

/** The same digest SQL as src/sync/pull.ts, so a station compares like with like. */
export async function digests(
  client: pg.PoolClient,
  tables: { table: string; window: TableWindow | null }[],
): Promise<{ table: string; partitions: { partition: string; count: number; sum: string; mix: string }[] }[]> {
  const clinicId = await sessionClinic(client);
  const answers = [];
  for (const { table, window } of tables) {
    const { where, params } = scope(table, clinicId, window);
    const { rows } = await client.query<{ partition: string; count: number; sum: string; mix: string }>(
      `SELECT left(id::text, 1) AS partition, count(*)::int AS count,
              coalesce(sum(sync_seq), 0)::text AS sum,
              coalesce(sum((sync_seq % 1000003) * (sync_seq % 999983)), 0)::text AS mix
         FROM clinic."${table}" WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    answers.push({ table, partitions: rows });
  }
  return answers;
}

export async function readPartition(
  client: pg.PoolClient,
  request: { table: string; window: TableWindow | null; columns: string[]; partition: string },
): Promise<Record<string, unknown>[]> {
  const { where, params } = scope(request.table, await sessionClinic(client), request.window);
  params.push(request.partition);
  const { rows } = await client.query(
    `SELECT ${columnList(request.columns)} FROM clinic."${request.table}" WHERE ${where} AND left(id::text, 1) = $${params.length} ORDER BY id`,
    params,
  );
  return rows;
}
