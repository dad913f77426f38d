import type { Config } from '../config/index.js';
import { describeRejectedRow, getCampaign, IMPORT_STEP, importContacts, migrate, readContactsCsv, type ContactImport, type Db, type ParsedContact } from '../registry/index.js';
import { openRegistry } from './build-engine.js';
import { PROGRESS_EVERY, readContactFile } from './campaign-setup.js';

/** What `zvonar contacts import` did; `lines` is what it prints. */
export interface ContactsImportReport {
  imported: number;
  rejected: number;
  already: number;
  lines: string[];
}

/**
 * `zvonar contacts import FILE --campaign ID`: adds a contact list to an existing campaign. Every
 * good row is imported even when others are bad; each bad row is reported with its line and
 * reason (never its content: it is patient data). A row without a time zone gets the clinic's
 * (clinic.timeZone), and the report says so and on which lines: a zone is never guessed from the
 * number. Importing the same file again changes nothing (patients are matched by external id,
 * else by number and name; a contact already in the campaign is left as it is).
 * Rejects with CAMPAIGN_NOT_FOUND, or CONTACT_INVALID when the file itself cannot be read as a
 * contact list (encoding, header), writing nothing.
 */
export async function runContactsImport(cfg: Config, file: string, p: { campaignId: string; now?: Date; progress?: (line: string) => void }): Promise<ContactsImportReport> {
  const bytes = readContactFile(file);
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    return await importContactList(db, bytes, file, { ...p, timeZone: cfg.clinic.timeZone });
  } finally {
    await db.close();
  }
}

/** The import of runContactsImport on an open registry (the supervisor pages' upload uses it too); `name` is what the report calls the file. */
export async function importContactList(
  db: Db, bytes: Uint8Array, name: string, p: { campaignId: string; timeZone: string; now?: Date; progress?: (line: string) => void },
): Promise<ContactsImportReport> {
  // read and written IMPORT_STEP contacts at a time: a million-row list is never all objects at once
  const reading = readContactsCsv(bytes, name, { extraColumns: ['persona'], defaultTimeZone: p.timeZone });
  const parsed = reading.summary;
  await getCampaign(db, p.campaignId);
  const at = p.now ?? new Date();
  const r: ContactImport = { enrolled: 0, already: 0, patients: { created: 0, updated: 0 } };
  let chunk: ParsedContact[] = [];
  let done = 0;
  const flush = async () => {
    const step = await importContacts(db, { campaignId: p.campaignId, at, contacts: chunk });
    r.enrolled += step.enrolled;
    r.already += step.already;
    r.patients.created += step.patients.created;
    r.patients.updated += step.patients.updated;
    done += chunk.length;
    chunk = [];
    if (done >= PROGRESS_EVERY) p.progress?.(`zvonar contacts import: ${done.toLocaleString('en-US')} contacts imported`);
  };
  for (const contact of reading.contacts) {
    chunk.push(contact);
    if (chunk.length === IMPORT_STEP) await flush();
  }
  if (chunk.length) await flush();
  const lines = [
    `imported ${r.enrolled}, rejected ${parsed.rejected.length}`,
    `  ${r.patients.created} new patients, ${r.patients.updated} updated, ${r.already} already in campaign ${p.campaignId}` +
      ` (${parsed.rows} rows read, ${parsed.encoding}, '${parsed.delimiter === '\t' ? '\\t' : parsed.delimiter}')`,
  ];
  if (parsed.defaultZoneLines.length) {
    lines.push(`  ${parsed.defaultZoneLines.length} rows had no time zone: the clinic's ${p.timeZone} was used (${linesList(parsed.defaultZoneLines)})`);
  }
  for (const x of parsed.rejected) lines.push(`  ${describeRejectedRow(x)} [CONTACT_INVALID]`);
  return { imported: r.enrolled, rejected: parsed.rejected.length, already: r.already, lines };
}

/** "lines 2, 5, 9" or "lines 2, 5, 9 ... and 120 more" */
function linesList(lines: number[]): string {
  const shown = lines.slice(0, 20).join(', ');
  return `line${lines.length > 1 ? 's' : ''} ${shown}${lines.length > 20 ? ` and ${lines.length - 20} more` : ''}`;
}
