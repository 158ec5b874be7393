import { sql } from 'kysely';
import type { Cache } from '../cache/cache';
import type { StationSchema } from '../schema';

type PatientRow = StationSchema['patients'];

export interface SearchPage {
  limit: number;
  offset: number;
}

/** Each term as a quoted FTS5 prefix; terms side by side must all match, in any order and any position. */
function prefixQuery(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replace(/"/g, '""')}"*`).join(' ');
}

/**
 * One page of the clinic's patients that every term prefixes (see src/shared/patient-search.ts), in name order so
 * "Show more" continues the list a receptionist is reading, and how many there are in all.
 */
export function searchByTerms(cache: Cache, clinicId: string, terms: readonly string[], page: SearchPage): { rows: PatientRow[]; total: number } {
  // Driven from the index's hits, each joined by rowid: filtering the clinic's patients against the hits instead
  // reads every patient of the clinic, 30 ms at 100,000 even when one matches.
  const matching = cache.q
    .selectFrom(sql<{ rowid: number }>`patients_search`.as('hits'))
    .innerJoin('patients', (join) => join.onRef(sql.ref('patients.rowid'), '=', sql.ref('hits.rowid')))
    .where(sql<boolean>`hits.patients_search MATCH ${prefixQuery(terms)}`)
    .where('patients.clinic_id', '=', clinicId);
  const rows = cache.all(
    matching
      .selectAll('patients')
      .orderBy(sql`patients.full_name COLLATE NOCASE`)
      .orderBy('patients.id')
      .limit(page.limit)
      .offset(page.offset),
  );
  const total = cache.get(matching.select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
  return { rows, total: Number(total) };
}
