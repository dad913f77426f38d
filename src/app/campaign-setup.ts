import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, type Campaign, type Slot } from '../core/index.js';
import { loadCampaignFile, type CampaignFile } from '../config/index.js';
import { defaultRules } from '../dialer/index.js';
import { compileScript, loadScript, type Script } from '../dialog/index.js';
import {
  addSlots, createCampaign, enrolPatients, parseContactsCsv, upsertPatients, type Db, type RejectedRow,
} from '../registry/index.js';
import { isPersonaName, type PersonaName } from '../sim/index.js';

/** A campaign file with its dialog script checked and its contact list read; nothing written yet. */
export interface CampaignSource {
  file: CampaignFile;
  script: Script;
  machine: ReturnType<typeof compileScript>;
  contacts: ReturnType<typeof parseContactsCsv>;
  /** persona per E.164 number, when the contact list names them (demo and test lists) */
  personas: Map<string, PersonaName>;
}

export interface LoadedCampaign extends CampaignSource {
  campaign: Campaign;
  imported: number;
  rejected: RejectedRow[];
  slots: number;
}

/**
 * Reads a campaign file, checks its dialog script and reads its contact list. Throws
 * ScriptError / ConfigError / ContactError naming the file and line; touches nothing.
 */
export function readCampaign(file: string): CampaignSource {
  const c = loadCampaignFile(file, existsSync);
  const script = loadScript(c.dialogPath);
  const machine = compileScript(script);
  let csv: string;
  try {
    csv = readFileSync(c.contactsPath, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read the contact list: ${(err as NodeJS.ErrnoException).code}`, { file: c.contactsPath }, { cause: err });
  }
  const contacts = parseContactsCsv(csv, c.contactsPath, { extraColumns: ['persona'] });
  const personas = new Map<string, PersonaName>();
  for (const contact of contacts.contacts) {
    const persona = contact.extra.persona;
    if (persona && isPersonaName(persona)) personas.set(contact.phone, persona);
  }
  return { file: c, script, machine, contacts, personas };
}

/**
 * Creates the campaign in the registry, imports its contacts in the same transaction, and (for
 * a demo or a test bench) creates its schedule.
 */
export async function createCampaignFrom(db: Db, src: CampaignSource, p: { now: Date; timeZone: string; idSuffix?: string }): Promise<LoadedCampaign> {
  const c = src.file;
  const rules = { ...defaultRules(c.kind), ...c.rules };
  const campaign = await db.tx(async (t) => {
    const created = await createCampaign(t, {
      id: c.id + (p.idSuffix ?? ''), name: c.name, kind: c.kind, dialogId: src.script.id, dialogVersion: src.script.version, rules,
    });
    const ids = await upsertPatients(t, src.contacts.contacts);
    const enrolled = await enrolPatients(t, { campaignId: created.id, patientIds: ids, at: p.now });
    return { created, enrolled };
  });
  const slots = c.slots ? await addSlots(db, schedule(c.slots, p.now, p.timeZone)) : [];
  return { ...src, campaign: campaign.created, imported: campaign.enrolled, rejected: src.contacts.rejected, slots: slots.length };
}

/** Slots every `minutes` from `from` to `to` on the next `days` working days (Mon-Fri), clinic time. */
export function schedule(s: NonNullable<CampaignFile['slots']>, now: Date, timeZone: string): Omit<Slot, 'id'>[] {
  const out: Omit<Slot, 'id'>[] = [];
  const [fh, fm] = s.from.split(':').map(Number) as [number, number];
  const [th, tm] = s.to.split(':').map(Number) as [number, number];
  let day = new Date(now.getTime());
  for (let made = 0; made < s.days; ) {
    day = new Date(day.getTime() + 86_400_000);
    const local = localDate(day, timeZone);
    const weekday = new Date(Date.UTC(local.y, local.m - 1, local.d)).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    made++;
    for (let min = fh * 60 + fm; min + s.minutes <= th * 60 + tm; min += s.minutes) {
      for (const resource of s.resources) {
        const startsAt = zonedTime(local, min, timeZone);
        out.push({ resource, specialty: s.specialty, startsAt, endsAt: new Date(startsAt.getTime() + s.minutes * 60_000) });
      }
    }
  }
  return out;
}

function localDate(at: Date, timeZone: string): { y: number; m: number; d: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((x) => x.type === t)!.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

/** The instant when a wall clock in `timeZone` shows the given day and minute of the day. */
function zonedTime(day: { y: number; m: number; d: number }, minuteOfDay: number, timeZone: string): Date {
  const guess = Date.UTC(day.y, day.m - 1, day.d, 0, minuteOfDay);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(guess));
  const get = (t: string) => Number(parts.find((x) => x.type === t)!.value);
  const shown = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return new Date(guess - (shown - guess));
}
