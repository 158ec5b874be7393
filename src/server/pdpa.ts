import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { FieldCrypto } from '../main/crypto/field-crypto';

/*
 * PDPA (issue 3 §7): the access-request export of everything held on one patient, and the retention purge.
 * Both run as the database owner (the CLI's DATABASE_URL); the export decrypts the NRIC here, in Node, where the
 * key is, and is recorded in clinic.data_protection_log (audited) by the same transaction that reads the data.
 */

export interface PatientExport {
  format: string;
  exported_at: string;
  clinic_id: string;
  patient: Record<string, unknown>;
  nric?: string;
  tables: Record<string, Record<string, unknown>[]>;
  row_counts: Record<string, number>;
  audit: Record<string, unknown>[];
}

export async function exportPatient(
  client: pg.ClientBase,
  patientId: string,
  requestedBy: string,
  crypto?: FieldCrypto,
): Promise<PatientExport> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ r: PatientExport & { nric_enc: string | null } }>('SELECT clinic.pdpa_export($1, $2) AS r', [
      patientId,
      requestedBy,
    ]);
    await client.query('COMMIT');
    const { nric_enc: envelope, ...rest } = rows[0]!.r;
    const out: PatientExport = { ...rest };
    if (crypto && envelope) out.nric = await crypto.decrypt(envelope);
    // The patient's own row appears once, at the top; the table copies carry no key material.
    for (const list of Object.values(out.tables)) for (const row of list) delete row.nric_enc;
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const cell = (v: unknown) => escapeHtml(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The human-readable copy: one table per kind of record, in plain HTML that prints on one A4 stack. */
export function exportToHtml(data: PatientExport): string {
  const p = data.patient;
  const sections = Object.entries(data.tables)
    .filter(([, rows]) => rows.length > 0)
    .map(([name, rows]) => {
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !['clinic_id', 'sync_seq'].includes(c));
      return `<h2>${escapeHtml(name.replace(/^clinic\./, '').replace(/_/g, ' '))} (${rows.length})</h2>
<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Personal data held on ${cell(p.full_name)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em;font-size:12px}
td,th{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}</style></head>
<body><h1>Personal data held on ${cell(p.full_name)}</h1>
<p>Exported ${cell(data.exported_at)} under the Personal Data Protection Act (access request).</p>
<dl><dt>Name</dt><dd>${cell(p.full_name)}</dd><dt>NRIC/FIN</dt><dd>${cell(data.nric ?? p.nric_masked)}</dd>
<dt>Date of birth</dt><dd>${cell(p.date_of_birth)}</dd><dt>Phone</dt><dd>${cell(p.phone)}</dd>
<dt>Email</dt><dd>${cell(p.email)}</dd><dt>Address</dt><dd>${cell(p.address)}</dd></dl>
${sections}
<h2>Record of changes (${data.audit.length})</h2>
<table><thead><tr><th>when</th><th>record</th><th>change</th><th>by role</th></tr></thead><tbody>
${data.audit.map((a) => `<tr><td>${cell(a.logged_at)}</td><td>${cell(a.table)}</td><td>${cell(a.op)} ${cell(a.changed_columns)}</td><td>${cell(a.actor_role)}</td></tr>`).join('\n')}
</tbody></table></body></html>
`;
}

export async function pdpaExportCommand(url: string, patientId: string, outDir: string, crypto: FieldCrypto | undefined, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const data = await exportPatient(client, patientId, `cli:${userInfo().username}`, crypto);
    await mkdir(outDir, { recursive: true });
    const base = join(outDir, `patient-${patientId}`);
    await writeFile(`${base}.json`, `${JSON.stringify(data, null, 2)}\n`);
    await writeFile(`${base}.html`, exportToHtml(data));
    const total = Object.values(data.row_counts).reduce((a, b) => a + b, 0);
    log(`Exported ${total + 1} rows from ${Object.values(data.row_counts).filter((n) => n > 0).length + 1} tables and ${data.audit.length} audit entries:`);
    log(`  ${base}.json\n  ${base}.html`);
  } finally {
    await client.end();
  }
}

export type PurgeReport = Record<string, Record<string, number> | number>;

export async function retentionPurge(client: pg.ClientBase, dryRun: boolean, requestedBy: string): Promise<PurgeReport> {
  const { rows } = await client.query<{ r: PurgeReport }>('SELECT ops.retention_purge($1, $2) AS r', [dryRun, requestedBy]);
  return rows[0]!.r;
}

export async function pdpaPurgeCommand(url: string, dryRun: boolean, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const report = await retentionPurge(client, dryRun, `cli:${userInfo().username}`);
    log(dryRun ? 'Dry run: nothing deleted. The purge would remove:' : 'Retention purge removed:');
    for (const [scope, counts] of Object.entries(report)) {
      if (typeof counts === 'number') log(`  ${scope.padEnd(10)} ${counts} finished jobs`);
      else log(`  ${scope.padEnd(10)} ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  } finally {
    await client.end();
  }
}
