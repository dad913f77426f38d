import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { addDays, ConfigError, ContactError, RU_CALENDAR, zonedInstant, type Campaign } from '../core/index.js';
import { loadCampaignFile } from '../config/index.js';
import { defaultRules } from '../dialer/index.js';
import { loadVersion, type DialogVersion } from '../dialog/index.js';
import { loadPronunciation } from '../speech/index.js';
import {
  addSlots, createCampaign, describeRejectedRow, IMPORT_STEP, importContacts, parseContactsCsv, scheduleSlots, type Db, type RejectedRow,
} from '../registry/index.js';
import { isPersonaName, type PersonaName } from '../sim/index.js';

/** A campaign file with its dialog script checked and its contact list read; nothing written yet. */
export interface CampaignSource {
  file: ReturnType<typeof loadCampaignFile>;
  /** the campaign file's path, for messages */
  path: string;
  dialog: DialogVersion;
  contacts: ReturnType<typeof parseContactsCsv>;
  /** persona per E.164 number, when the contact list names them (demo and test lists) */
  personas: Map<string, PersonaName>;
}

export interface LoadedCampaign extends CampaignSource {
  campaign: Campaign;
  /** contacts enrolled in the campaign */
  imported: number;
  /** of the contacts' patients: how many were new, and how many known ones had a field changed */
  patients: { created: number; updated: number };
  rejected: RejectedRow[];
  slots: number;
}

// 100,000 contacts take 7.5 MiB (bench/import.ts), so 256 MiB is over three million: a bigger
// file is not a contact list, and reading it would cost its size in memory before one row is checked.
const MAX_CONTACTS_BYTES = 256 * 1024 * 1024;

/** Contacts imported per progress report. */
export const PROGRESS_EVERY = IMPORT_STEP;

/**
 * Reads a campaign file, checks its dialog script and reads its contact list. Throws
 * ScriptError / ConfigError / ContactError naming the file and line; touches nothing.
 */
export function readCampaign(file: string): CampaignSource {
  const c = loadCampaignFile(file, existsSync);
  const dialog = loadVersion(c.dialogPath);
  const csv = readContactFile(c.contactsPath);
  const contacts = parseContactsCsv(csv, c.contactsPath, { extraColumns: ['persona'] });
  const personas = new Map<string, PersonaName>();
  for (const contact of contacts.contacts) {
    const persona = contact.extra.persona;
    if (persona && isPersonaName(persona)) personas.set(contact.phone, persona);
  }
  return { file: c, path: file, dialog, contacts, personas };
}

function endOfDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = addDays({ year: y, month: m, day: d }, 1);
  return zonedInstant(next.year, next.month, next.day, 0, 0, timeZone);
}

/** A contact list's bytes (parseContactsCsv detects the encoding); ContactError when too big, ConfigError when unreadable. */
export function readContactFile(path: string): Buffer {
  try {
    const size = statSync(path).size;
    if (size > MAX_CONTACTS_BYTES) {
      throw new ContactError('CONTACT_INVALID', `the contact list is ${Math.round(size / 2 ** 20)} MiB; at most ${MAX_CONTACTS_BYTES / 2 ** 20} MiB are read`, { file: path }, {
        hint: 'split it into several files',
      });
    }
    return readFileSync(path);
  } catch (err) {
    if (err instanceof ContactError) throw err;
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read the contact list: ${(err as NodeJS.ErrnoException).code}`, { file: path }, { cause: err });
  }
}

/**
 * Creates the campaign, imports its contacts and (for a demo or a test bench) creates its
 * schedule, all in one transaction: on any error nothing is written, so the same file can be
 * loaded again once fixed. Rejects with ContactError CONTACT_INVALID, writing nothing, when no
 * row of the contact list could be imported; with CAMPAIGN_EXISTS when the id is taken.
 * `onProgress` hears every PROGRESS_EVERY contacts.
 */
export async function createCampaignFrom(
  db: Db,
  src: CampaignSource,
  p: { now: Date; timeZone: string; idSuffix?: string; onProgress?: (done: number, total: number) => void },
): Promise<LoadedCampaign> {
  const c = src.file;
  const { contacts, rejected } = src.contacts;
  if (contacts.length === 0) throw noContacts(c.contactsPath, rejected);
  // recording is kept with the rules, so that `zvonar run` honours it; its folder is made absolute
  // here, where relative paths of the campaign file mean something
  const recording = c.recording?.enabled ? { recording: { ...c.recording, dir: resolve(c.recording.dir) } } : {};
  // the dictionary is checked now (file:line:col) and kept with the rules: `run` needs no file
  const dict = c.pronunciationPath ? loadPronunciation(c.pronunciationPath, readFileSync(c.pronunciationPath)) : null;
  const pronunciation = dict ? { pronunciation: { language: dict.language, words: { ...dict.words } } } : {};
  const { calendar, holidays, workdays, ends, retry, ...own } = c.rules;
  const base = defaultRules(c.kind);
  // the calendar is kept with the calling hours (as dates: `run` needs no file), the campaign's own days added
  const days = calendar === 'ru' ? RU_CALENDAR : { holidays: [], workdays: [] };
  const callingHours = {
    ...(own.callingHours ?? base.callingHours),
    calendar: { holidays: [...new Set([...days.holidays, ...holidays])].sort(), workdays: [...new Set([...days.workdays, ...workdays])].sort() },
  };
  // the last day ends at the next midnight on the clinic's clock
  const endsAt = ends ? { endsAt: endOfDay(ends, p.timeZone).toISOString() } : {};
  // retry rules in minutes, over the defaults of the campaign's kind
  const retries = Object.entries(retry ?? {});
  const retryDelaysMs = { ...base.retryDelaysMs, ...Object.fromEntries(retries.map(([d, r]) => [d, r.after.map((m) => m * 60_000)])) };
  const retryMax = Object.fromEntries(retries.flatMap(([d, r]) => (r.max === undefined ? [] : [[d, r.max]])));
  const rules = { ...base, ...own, retryDelaysMs, ...(Object.keys(retryMax).length ? { retryMax } : {}), callingHours, ...endsAt, ...recording, ...pronunciation };
  const slotsToAdd = c.slots ? scheduleSlots(c.slots, p.now, p.timeZone) : [];
  return db.tx(async (t) => {
    if (rules.reminders) {
      // a booking enrols its reminder there: a campaign that is not there would lose them all
      const { rows } = await t.query<{ kind: string }>(`select kind from campaign where id = $1`, [rules.reminders.campaignId]);
      if (rows[0]?.kind !== 'warm') {
        throw new ConfigError('CONFIG_INVALID', rows[0]
          ? `rules.reminders.campaignId: campaign "${rules.reminders.campaignId}" is ${rows[0].kind}; reminders go to a warm campaign`
          : `rules.reminders.campaignId: no campaign "${rules.reminders.campaignId}" in the registry`, { file: src.path }, {
          hint: 'load the reminder campaign (kind: warm) first',
        });
      }
    }
    const campaign = await createCampaign(t, {
      id: c.id + (p.idSuffix ?? ''), name: c.name, kind: c.kind, dialogId: src.dialog.script.id, dialogVersion: src.dialog.script.version, rules,
    });
    const r = await importContacts(t, { campaignId: campaign.id, at: p.now, contacts, onProgress: p.onProgress });
    const slots = await addSlots(t, slotsToAdd);
    return { ...src, campaign, imported: r.enrolled, patients: r.patients, rejected, slots: slots.length };
  });
}

// The CLI prints an error as one line (src/app/errors.ts): list the first few rows in it; runLoad
// prints every rejected row on stdout.
const LISTED_REJECTIONS = 10;

function noContacts(file: string, rejected: RejectedRow[]): ContactError {
  const listed = rejected.slice(0, LISTED_REJECTIONS).map(describeRejectedRow).join('; ');
  const more = rejected.length > LISTED_REJECTIONS ? `; and ${rejected.length - LISTED_REJECTIONS} more` : '';
  return new ContactError('CONTACT_INVALID', rejected.length
    ? `no contact could be imported: all ${rejected.length} rows were rejected (${listed}${more})`
    : 'no contact could be imported: the file has a header and no rows', { file }, {
    hint: 'nothing was written; fix the file and load it again',
  });
}
