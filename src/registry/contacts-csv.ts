import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ContactError, toE164, ZvonarError } from '../core/index.js';
import type { NewPatient } from './patients.js';

const KNOWN = ['external_id', 'last_name', 'first_name', 'middle_name', 'birth_year', 'phone', 'time_zone', 'tags'] as const;

const Row = z.strictObject({
  external_id: z.string().optional(),
  last_name: z.string().min(1, 'is empty'),
  first_name: z.string().min(1, 'is empty'),
  middle_name: z.string().optional(),
  birth_year: z
    .string()
    .optional()
    .refine((v) => !v || (/^\d{4}$/.test(v) && Number(v) >= 1900 && Number(v) <= 2100), 'must be a year such as 1961'),
  phone: z.string().min(1, 'is empty'),
  time_zone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Moscow'),
  tags: z.string().optional(),
});

export interface RejectedRow {
  /** 1-based line in the file */
  line: number;
  column: string;
  problem: string;
}

export interface ParsedContacts {
  contacts: (NewPatient & { extra: Record<string, string> })[];
  rejected: RejectedRow[];
}

/**
 * Reads a contact list (UTF-8 CSV with a header row). Good rows come back as patients with E.164
 * phones; every bad row comes back in `rejected` naming its line, column and problem, so nothing
 * is dropped silently. A file that is not CSV at all, or lacks a required column, is rejected whole.
 * `extraColumns` are passed through untouched (e.g. the simulated callee's persona).
 */
export function parseContactsCsv(text: string, file: string, opts: { extraColumns?: string[] } = {}): ParsedContacts {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
    }) as never;
  } catch (err) {
    // csv-parse's message quotes cell values (patient data): keep only its code and line.
    const e = err as { lines?: number; code?: string };
    throw new ContactError('CONTACT_INVALID', `not a readable CSV (${e.code ?? 'parse error'})`, { file, line: e.lines }, {
      hint: 'check quotes and the number of columns on that line',
    });
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]!.split(',').map((h) => h.trim().toLowerCase());
  const extras = new Set(opts.extraColumns ?? []);
  for (const col of ['last_name', 'first_name', 'phone', 'time_zone']) {
    if (!header.includes(col)) throw new ContactError('CONTACT_INVALID', `missing column "${col}"`, { file, line: 1 }, { hint: `columns: ${KNOWN.join(', ')}` });
  }
  const unknown = header.filter((h) => !(KNOWN as readonly string[]).includes(h) && !extras.has(h));
  if (unknown.length) throw new ContactError('CONTACT_INVALID', `unknown column "${unknown[0]}"`, { file, line: 1 }, { hint: `columns: ${KNOWN.join(', ')}` });

  const out: ParsedContacts = { contacts: [], rejected: [] };
  const seen = new Map<string, number>(); // external_id -> line
  for (const { record, info } of records) {
    const line = info.lines;
    const extra: Record<string, string> = {};
    const core: Record<string, string> = {};
    for (const [k, v] of Object.entries(record)) {
      if (extras.has(k)) extra[k] = v;
      else if (v !== '') core[k] = v;
    }
    const r = Row.safeParse(core);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      out.rejected.push({ line, column: String(issue.path[0] ?? '?'), problem: issue.message });
      continue;
    }
    const ext = r.data.external_id;
    if (ext !== undefined && seen.has(ext)) {
      out.rejected.push({ line, column: 'external_id', problem: `the same person as line ${seen.get(ext)}` });
      continue;
    }
    let phone: string;
    try {
      phone = toE164(r.data.phone);
    } catch (err) {
      out.rejected.push({ line, column: 'phone', problem: err instanceof ZvonarError ? err.message : String(err) });
      continue;
    }
    if (ext !== undefined) seen.set(ext, line);
    out.contacts.push({
      externalId: r.data.external_id ?? null,
      lastName: r.data.last_name,
      firstName: r.data.first_name,
      middleName: r.data.middle_name ?? null,
      birthYear: r.data.birth_year ? Number(r.data.birth_year) : null,
      phone,
      timeZone: r.data.time_zone,
      tags: r.data.tags ? r.data.tags.split(';').map((t) => t.trim()).filter(Boolean) : [],
      extra,
    });
  }
  return out;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz.includes('/') || tz === 'UTC';
  } catch {
    return false;
  }
}
