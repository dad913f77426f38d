import { z } from 'zod';
import {
  ContactError, decodeText, isIanaTimeZone, timeZoneProblem, toE164, ZvonarError, type DecodedText, type TextEncodingName,
} from '../core/index.js';
import type { NewPatient } from './patients.js';

const KNOWN = ['external_id', 'last_name', 'first_name', 'middle_name', 'birth_year', 'phone', 'time_zone', 'tags', 'priority'] as const;
const REQUIRED = ['last_name', 'first_name', 'phone'] as const;

/**
 * Longest line, and longest cell per column, in characters. Generous for real data (a full
 * Russian name with a double surname is under 60 characters, a formatted phone under 25), tight
 * enough that a runaway cell (a 10 MB blob pasted into Excel) is refused before it is parsed,
 * let alone stored. A column not listed here (tags, persona and other extras) gets DEFAULT.
 */
export const CONTACT_LIMITS = {
  line: 1000,
  cell: { external_id: 64, last_name: 200, first_name: 200, middle_name: 200, birth_year: 4, phone: 64, time_zone: 64, priority: 16 } as Record<string, number>,
  defaultCell: 200,
} as const;

// A line whose quote is still open may be a cell with a line break in it: look this many lines
// ahead for its closing quote, no further (see quotedLineBreak).
const QUOTED_LINES_LOOKAHEAD = 5;

const Row = z.strictObject({
  external_id: z.string().optional(),
  last_name: z.string().min(1, 'is blank'),
  first_name: z.string().min(1, 'is blank'),
  middle_name: z.string().optional(),
  birth_year: z
    .string()
    .optional()
    .refine((v) => !v || (/^\d{4}$/.test(v) && Number(v) >= 1900 && Number(v) <= 2100), 'must be a year such as 1961'),
  phone: z.string().min(1, 'is blank'),
  time_zone: z.string().refine(isIanaTimeZone, { error: (iss) => timeZoneProblem(String(iss.input), { quote: false }) }).optional(),
  tags: z.string().optional(),
  priority: z.string().optional().refine((v) => !v || (/^\d{1,4}$/.test(v) && Number(v) <= 1000), 'must be a whole number from 0 (called first) to 1000'),
});

export interface RejectedRow {
  /** 1-based line in the file (the header is line 1); for a cell spanning lines, its first */
  line: number;
  /** the column at fault; absent when the whole line is (too long, wrong number of cells) */
  column?: string;
  /** why, never quoting the cell: it is patient data */
  problem: string;
}

export type ParsedContact = NewPatient & {
  /** 1-based line in the file */
  line: number;
  /** the dialling order within a campaign, lower first (the column `priority`; absent: the campaign's default) */
  priority: number | null;
  /** the extra columns asked for (e.g. persona), stored as the campaign contact's attributes */
  extra: Record<string, string>;
};

export interface ParsedContacts {
  contacts: ParsedContact[];
  rejected: RejectedRow[];
  /** data rows read (blank lines are not rows) */
  rows: number;
  encoding: TextEncodingName;
  delimiter: ',' | ';' | '\t';
  /** lines whose time zone came from `defaultTimeZone` (no time_zone column, or a blank cell) */
  defaultZoneLines: number[];
}

/** "line 7, column phone: is blank" */
export function describeRejectedRow(r: RejectedRow): string {
  return `line ${r.line}${r.column ? `, column ${r.column}` : ''}: ${r.problem}`;
}

/**
 * Reads a contact list: CSV with a header row, as bytes (UTF-8 with or without BOM, UTF-16 with
 * BOM, or Windows-1251; see decodeText) or as text, separated by commas, semicolons (Excel's
 * default in a Russian locale) or tabs, whichever the header uses most. Good rows come back as
 * patients with E.164 phones; every bad row comes back in `rejected` naming its line, column and
 * problem, and the rows after it are still read, so nothing is dropped silently. The file is
 * refused whole (ContactError CONTACT_INVALID, line 1) when it cannot be decoded, or its header
 * lacks a required column, has an unknown one or names one twice. `extraColumns` are allowed in
 * the header and passed through as `extra` (e.g. the simulated callee's persona).
 */
export function parseContactsCsv(input: string | Uint8Array, file: string, opts: { extraColumns?: string[]; defaultTimeZone?: string } = {}): ParsedContacts {
  const reading = readContactsCsv(input, file, opts);
  for (const c of reading.contacts) reading.summary.contacts.push(c);
  return reading.summary;
}

/**
 * As parseContactsCsv(), one contact at a time, for lists too big to hold as objects all at once
 * (a million rows): the header is checked at once (throwing as parseContactsCsv does); `summary`
 * (rejected rows, rows read, lines given the default zone) fills as `contacts` is read, and its
 * own `contacts` stays empty.
 */
export function readContactsCsv(
  input: string | Uint8Array, file: string, opts: { extraColumns?: string[]; defaultTimeZone?: string } = {},
): { summary: ParsedContacts; contacts: Generator<ParsedContact> } {
  const { text, encoding } = typeof input === 'string' ? { text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' as const } : decode(input, file);
  const lines = text.split(/\r\n|\r|\n/);
  const headerLine = lines[0] ?? '';
  const delimiter = detectDelimiter(headerLine);
  const header = readHeader(headerLine, delimiter, file, new Set(opts.extraColumns ?? []), opts.defaultTimeZone);
  const summary: ParsedContacts = { contacts: [], rejected: [], rows: 0, encoding, delimiter, defaultZoneLines: [] };
  return { summary, contacts: contactRows(lines, header, delimiter, summary, opts) };
}

function* contactRows(
  lines: string[], header: { columns: string[]; extras: Set<string> }, delimiter: string, out: ParsedContacts, opts: { defaultTimeZone?: string },
): Generator<ParsedContact> {
  const seen = new Map<string, number>(); // external_id -> line
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    out.rows++;
    const reject = (problem: string, column?: string) => void out.rejected.push({ line, ...(column ? { column } : {}), problem });
    if (raw.length > CONTACT_LIMITS.line) {
      reject(`the line is ${raw.length.toLocaleString('en-US')} characters long; at most ${CONTACT_LIMITS.line} are read`);
      continue;
    }
    const split = splitRecord(raw, delimiter);
    if ('open' in split) {
      const span = quotedLineBreak(lines, i, delimiter, header.columns.length);
      if (span) {
        reject(`a cell has a line break in it (lines ${line}-${line + span.more}); names and phones fit on one line`, header.columns[span.cell]);
        i += span.more;
      } else {
        reject('a quote opens a cell and is never closed', header.columns[split.open]);
      }
      continue;
    }
    if ('stray' in split) {
      reject('a quote in the middle of a cell (quote the whole cell and double the quote: "")', header.columns[split.stray]);
      continue;
    }
    const cells = split.cells;
    if (cells.every((c) => c.trim() === '')) {
      out.rows--; // ";;;;;;": an empty row as Excel saves one, not a contact
      continue;
    }
    if (cells.length !== header.columns.length) {
      reject(`has ${cells.length} cells; the header has ${header.columns.length}`);
      continue;
    }
    // every problem of the row at once, so that one round of fixes in the spreadsheet does it
    const problems: { column: string; problem: string }[] = [];
    const bad = (column: string, problem: string): void => {
      if (!problems.some((p) => p.column === column)) problems.push({ column, problem });
    };
    const core: Record<string, string> = {};
    const extra: Record<string, string> = {};
    for (let c = 0; c < cells.length; c++) {
      const column = header.columns[c]!;
      const value = cells[c]!.trim();
      const problem = cellProblem(value, CONTACT_LIMITS.cell[column] ?? CONTACT_LIMITS.defaultCell);
      if (problem) bad(column, problem);
      else if (header.extras.has(column)) extra[column] = value;
      else if (value !== '') core[column] = value;
    }
    const r = Row.safeParse(core);
    if (!r.success) for (const issue of r.error.issues) bad(String(issue.path[0] ?? ''), issue.code === 'invalid_type' ? 'is blank' : issue.message);
    const ext = core.external_id;
    if (ext !== undefined && seen.has(ext)) bad('external_id', `the same person as line ${seen.get(ext)}`);
    let phone = '';
    if (core.phone !== undefined) {
      try {
        phone = toE164(core.phone);
      } catch {
        // toE164's own message quotes part of the number: keep patient data out of the report.
        bad('phone', 'is not a valid phone number (write it as +7XXXXXXXXXX or 8XXXXXXXXXX)');
      }
    }
    const timeZone = core.time_zone ?? opts.defaultTimeZone;
    if (!timeZone) bad('time_zone', 'is blank (the callee\'s IANA zone, e.g. Europe/Moscow: never guessed from the number)');
    if (!r.success || problems.length || !timeZone) {
      const [first, ...more] = problems;
      reject(first!.problem + more.map((p) => `; column ${p.column}: ${p.problem}`).join(''), first!.column);
      continue;
    }
    if (ext !== undefined) seen.set(ext, line);
    if (!r.data.time_zone) out.defaultZoneLines.push(line);
    yield {
      line,
      externalId: ext ?? null,
      lastName: r.data.last_name,
      firstName: r.data.first_name,
      middleName: r.data.middle_name ?? null,
      birthYear: r.data.birth_year ? Number(r.data.birth_year) : null,
      phone,
      timeZone,
      priority: r.data.priority ? Number(r.data.priority) : null,
      tags: r.data.tags ? r.data.tags.split(/[;,]/).map((t) => t.trim()).filter(Boolean) : [],
      extra,
    };
  }
}

function decode(bytes: Uint8Array, file: string): DecodedText {
  try {
    return decodeText(bytes, { file, code: 'CONTACT_INVALID' });
  } catch (err) {
    if (!(err instanceof ZvonarError)) throw err;
    throw new ContactError(err.code, err.message, err.where, { hint: err.hint, cause: err });
  }
}

/** The delimiter the header line uses most, outside quotes: ',' unless ';' or tab wins. */
function detectDelimiter(header: string): ParsedContacts['delimiter'] {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  return counts[';'] > counts[','] && counts[';'] >= counts['\t'] ? ';' : counts['\t'] > counts[','] ? '\t' : ',';
}

function readHeader(line: string, delimiter: string, file: string, extras: Set<string>, defaultTimeZone?: string): { columns: string[]; extras: Set<string> } {
  const refuse = (message: string, col?: number) => {
    throw new ContactError('CONTACT_INVALID', message, { file, line: 1, ...(col ? { col } : {}) }, {
      hint: `the first line names the columns: ${KNOWN.join(', ')}${extras.size ? `, and optionally ${[...extras].join(', ')}` : ''}`,
    });
  };
  if (line.length > CONTACT_LIMITS.line) refuse(`the header line is ${line.length.toLocaleString('en-US')} characters long`);
  const split = splitRecord(line, delimiter);
  if (!('cells' in split)) return refuse('the header line has an unbalanced quote');
  const columns = split.cells.map((h) => h.trim().toLowerCase());
  // Required columns first: a file without a header fails here, before its first row (patient
  // data) could be quoted back as an "unknown column".
  for (const col of REQUIRED) if (!columns.includes(col)) refuse(`missing column "${col}"`);
  if (!defaultTimeZone && !columns.includes('time_zone')) refuse('missing column "time_zone" (the callee\'s IANA zone, e.g. Europe/Moscow)');
  const first = new Map<string, number>();
  for (const [i, col] of columns.entries()) {
    if (col === '') refuse(`column ${i + 1} has no name`, i + 1);
    if (first.has(col)) refuse(`column "${col}" appears twice (columns ${first.get(col)! + 1} and ${i + 1}); which one holds the data is anyone's guess`, i + 1);
    first.set(col, i);
    if (!(KNOWN as readonly string[]).includes(col) && !extras.has(col)) refuse(`unknown column "${col.slice(0, 40)}"`, i + 1);
  }
  return { columns, extras };
}

type Split = { cells: string[] } | { open: number } | { stray: number };

/**
 * One record of RFC 4180 CSV: cells split by the delimiter, a quoted cell may hold delimiters,
 * line breaks and doubled quotes (""). `open`: a quote opened in cell N is not closed by the end
 * of the text; `stray`: cell N has a quote that does not open or close a quoted cell.
 */
function splitRecord(text: string, d: string): Split {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    const index = cells.length;
    let start = i;
    while (text[start] === ' ') start++;
    if (text[start] === '"') {
      let value = '';
      let j = start + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { open: index };
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      while (text[j] === ' ' || (text[j] === '\t' && d !== '\t')) j++;
      if (j < text.length && text[j] !== d) return { stray: index };
      cells.push(value);
      if (j >= text.length) return { cells };
      i = j + 1;
    } else {
      const end = text.indexOf(d, i);
      const value = end === -1 ? text.slice(i) : text.slice(i, end);
      if (value.includes('"')) return { stray: index };
      cells.push(value);
      if (end === -1) return { cells };
      i = end + 1;
    }
  }
}

/**
 * Line i ends inside a quoted cell: is that cell's closing quote on one of the next few lines,
 * making one whole row with a line break in a cell? Then `more` lines belong to it. Otherwise
 * (undefined) the quote is stray, and the next line is a row of its own: one stray quote cannot
 * swallow the rest of the file.
 */
function quotedLineBreak(lines: readonly string[], i: number, delimiter: string, width: number): { more: number; cell: number } | undefined {
  let joined = lines[i]!;
  for (let more = 1; more <= QUOTED_LINES_LOOKAHEAD && i + more < lines.length; more++) {
    joined += `\n${lines[i + more]!}`;
    if (joined.length > CONTACT_LIMITS.line) return undefined;
    const split = splitRecord(joined, delimiter);
    if ('open' in split) continue;
    if (!('cells' in split) || split.cells.length !== width) return undefined;
    return { more, cell: split.cells.findIndex((c) => c.includes('\n')) };
  }
  return undefined;
}

/** Why a cell's text cannot be stored, whatever the column; undefined when it can. */
function cellProblem(value: string, maxChars: number): string | undefined {
  if (value.length > maxChars) return `is ${value.length.toLocaleString('en-US')} characters long; at most ${maxChars} are allowed`;
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/.exec(value);
  if (!bad) return undefined;
  const ch = bad[0];
  if (ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029') return 'has a line break in it';
  if (ch === '\u0000') return 'has a NUL character in it (a binary file, or UTF-16 read as bytes?)';
  if (ch === '\ufffd') return 'has U+FFFD, the mark of a character lost before the file was saved';
  return `has a control character (U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}) in it`;
}
