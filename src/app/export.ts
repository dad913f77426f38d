import { writeFileSync } from 'node:fs';
import { ConfigError } from '../core/index.js';
import type { Config } from '../config/index.js';
import { exportAttempts, exportBookings, exportCallbacks, getCampaign, migrate, type Db } from '../registry/index.js';
import { openRegistry } from './build-engine.js';

export const EXPORTS = {
  attempts: exportAttempts,
  bookings: exportBookings,
  callbacks: exportCallbacks,
} as const;
export type ExportWhat = keyof typeof EXPORTS;
export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * A campaign's attempts, bookings or call-back list as CSV (header row, RFC 4180, UTF-8 with a
 * BOM so that Excel reads Cyrillic right) or a JSON array. Rejects with CAMPAIGN_NOT_FOUND.
 * The text carries patient names and phones: it is for the clinic's files, never for logs.
 */
export async function exportCampaign(db: Db, p: { campaignId: string; what: ExportWhat; format: ExportFormat }): Promise<{ text: string; rows: number }> {
  await getCampaign(db, p.campaignId); // CAMPAIGN_NOT_FOUND rather than an empty file for a mistyped id
  const rows = (await EXPORTS[p.what](db, { campaignId: p.campaignId })) as unknown as Record<string, unknown>[];
  if (p.format === 'json') return { text: `${JSON.stringify(rows, null, 2)}\n`, rows: rows.length };
  return { text: toCsv(COLUMNS[p.what], rows), rows: rows.length };
}

// The header of an empty export is still the header: columns are named here, not read off row 0.
const COLUMNS: Record<ExportWhat, string[]> = {
  attempts: ['call_id', 'contact_id', 'patient_external_id', 'phone', 'started_at', 'answered_at', 'ended_at', 'disposition', 'sip_status', 'counted', 'error', 'slot_id', 'dialog_id', 'dialog_version', 'dialog_hash'],
  bookings: ['booking_id', 'patient_external_id', 'last_name', 'first_name', 'middle_name', 'phone', 'resource', 'specialty', 'starts_at', 'status', 'call_id'],
  callbacks: ['callback_id', 'contact_id', 'patient_external_id', 'last_name', 'first_name', 'middle_name', 'phone', 'reason', 'due_at', 'status', 'created_at', 'call_id'],
};

/** RFC 4180: CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const field = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map(field).join(','), ...rows.map((r) => columns.map((c) => field(r[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/**
 * `zvonar campaign export`: to stdout, or to a file readable by its owner only (patient data),
 * after which a line on stdout says how many rows went there.
 */
export async function runExport(
  cfg: Config,
  p: { campaignId: string; what: ExportWhat; format: ExportFormat; outFile?: string; write: (text: string) => void },
): Promise<void> {
  const db = await openRegistry(cfg);
  try {
    await migrate(db); // an older registry lacks the newer tables; every other command migrates too
    const r = await exportCampaign(db, p);
    if (!p.outFile) return p.write(r.text);
    try {
      writeFileSync(p.outFile, r.text, { mode: 0o600 });
    } catch (err) {
      throw new ConfigError('CONFIG_INVALID', `--out: cannot write "${p.outFile}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { path: '--out' }, { cause: err });
    }
    p.write(`${r.rows} ${p.what} of campaign ${p.campaignId} written to ${p.outFile}\n`);
  } finally {
    await db.close();
  }
}
