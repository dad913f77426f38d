import { parse } from 'csv-parse/sync';
import { decodeText, zonedInstant, ZvonarError } from '../core/index.js';
import type { Config } from '../config/index.js';
import { getCampaign, importMisBookings, migrate, type MisBooking } from '../registry/index.js';
import { openRegistry } from './build-engine.js';
import { readContactFile } from './campaign-setup.js';

const COLUMNS = ['external_id', 'resource', 'specialty', 'starts_at', 'minutes', 'status'] as const;

/**
 * `zvonar bookings import FILE.csv --campaign REMINDERS`: visits booked in the clinic's MIS, each
 * enrolling its patient in the reminder campaign (src/registry/mis-bookings.ts). Columns:
 * external_id (the patient's, as in the contact list), resource, specialty, starts_at (the
 * clinic's local time "2026-12-10 09:00", or ISO 8601 with an offset), minutes (default 20), and
 * optionally status (booked, or cancelled: the visit is cancelled and its reminder withdrawn).
 * Every bad row is reported by line and column; the good ones are imported.
 */
export async function runBookingsImport(
  cfg: Config,
  file: string,
  p: { campaignId: string; beforeMinutes?: number; minLeadMinutes?: number; now?: Date },
): Promise<string[]> {
  for (const [name, v] of [['--before-minutes', p.beforeMinutes], ['--min-lead-minutes', p.minLeadMinutes]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 20_160)) throw new ZvonarError('USAGE', `${name} ${v}: a whole number of minutes up to two weeks`, {});
  }
  const { text } = decodeText(readContactFile(file), { file, code: 'CONTACT_INVALID' });
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (header.match(/;/g)?.length ?? 0) > (header.match(/,/g)?.length ?? 0) ? ';' : ',';
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { delimiter, relax_column_count: true, skip_empty_lines: false, trim: true }) as string[][];
  } catch (err) {
    throw new ZvonarError('CONTACT_INVALID', `not a CSV file: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  const columns = (records[0] ?? []).map((c) => c.toLowerCase());
  for (const need of ['external_id', 'resource', 'specialty', 'starts_at'] as const) {
    if (!columns.includes(need)) throw new ZvonarError('CONTACT_INVALID', `missing column "${need}"`, { file, line: 1 }, { hint: `columns: ${COLUMNS.join(', ')}` });
  }
  const rows: MisBooking[] = [];
  const rejected: { line: number; column?: string; problem: string }[] = [];
  for (const [i, cells] of records.slice(1).entries()) {
    const line = i + 2;
    if (cells.every((c) => c === '')) continue;
    const get = (c: (typeof COLUMNS)[number]) => cells[columns.indexOf(c)] ?? '';
    const bad = (column: string, problem: string) => void rejected.push({ line, column, problem });
    if (cells.length !== columns.length) {
      rejected.push({ line, problem: `has ${cells.length} cells; the header has ${columns.length}` });
      continue;
    }
    const startsAt = parseTime(get('starts_at'), cfg.clinic.timeZone);
    const minutes = get('minutes') === '' ? 20 : Number(get('minutes'));
    const status = get('status').toLowerCase() || 'booked';
    if (!get('external_id')) bad('external_id', 'is blank');
    else if (!get('resource')) bad('resource', 'is blank');
    else if (!get('specialty')) bad('specialty', 'is blank');
    else if (!startsAt) bad('starts_at', 'is not a time such as 2026-12-10 09:00 (the clinic\'s local time) or 2026-12-10T06:00:00Z');
    else if (!Number.isInteger(minutes) || minutes < 5 || minutes > 480) bad('minutes', 'must be a whole number of minutes from 5 to 480');
    else if (status !== 'booked' && status !== 'cancelled') bad('status', 'must be booked or cancelled');
    else {
      rows.push({
        line, externalId: get('external_id'), resource: get('resource'), specialty: get('specialty'),
        startsAt, endsAt: new Date(startsAt.getTime() + minutes * 60_000), cancelled: status === 'cancelled',
      });
    }
  }
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    const reminders = await getCampaign(db, p.campaignId);
    if (reminders.kind !== 'warm') {
      throw new ZvonarError('CONFIG_INVALID', `campaign "${reminders.id}" is ${reminders.kind}; reminders go to a warm campaign`, { campaignId: reminders.id });
    }
    const r = await importMisBookings(db, {
      rows, now: p.now ?? new Date(),
      rule: { campaignId: reminders.id, beforeMinutes: p.beforeMinutes ?? 1440, minLeadMinutes: p.minLeadMinutes ?? 180 },
    });
    const all = [...rejected, ...r.rejected].sort((a, b) => a.line - b.line);
    return [
      `imported ${r.booked + r.cancelled}, rejected ${all.length}`,
      `  ${r.booked} booked, ${r.cancelled} cancelled, ${r.already} already so; ${r.reminders} reminders enrolled in ${reminders.id}`,
      ...all.map((x) => `  line ${x.line}${x.column ? `, column ${x.column}` : ''}: ${x.problem} [CONTACT_INVALID]`),
    ];
  } finally {
    await db.close();
  }
}

/** "2026-12-10 09:00" on the clinic's clock, or ISO 8601 with Z or an offset; null otherwise. */
function parseTime(s: string, timeZone: string): Date | null {
  const local = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(s);
  if (local) {
    const [y, mo, d, h, mi] = local.slice(1).map(Number) as [number, number, number, number, number];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
    return zonedInstant(y, mo, d, h, mi, timeZone);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return null;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? null : t;
}
