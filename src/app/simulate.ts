import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import { toE164, ZvonarError } from '../core/index.js';
import type { Config } from '../config/index.js';
import { simulateCampaign, type SimulationResult } from '../dialer/index.js';
import { addDoNotCall, migrate, parseContactsCsv } from '../registry/index.js';
import { openPglite } from '../registry/pglite-db.js';
import { createCampaignFrom, readCampaign, readContactFile } from './campaign-setup.js';

/**
 * `zvonar campaign simulate FILE.yaml --from DATE --days N`: a forecast and a compliance replay
 * of a campaign before it starts, on a registry of its own (PGlite, in memory), through the
 * dialer's rule code and SQL (src/dialer/simulate.ts). Writes one JSON line per attempt
 * {"contact", "at", "outcome"} and returns what it prints: when the campaign would finish, the
 * attempts and calls per hour it needs, and who the rules would never reach, and why.
 */
export async function runSimulate(
  cfg: Config,
  p: {
    file: string; from: string; days: number; answerRate: number; contacts?: string; outFile?: string; seed?: number;
    /** the clinic's do-not-call list: a file with a number per line (the first cell of a CSV line) */
    doNotCall?: string;
  },
): Promise<string[]> {
  const from = new Date(`${p.from}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(p.from) || Number.isNaN(from.getTime())) throw new ZvonarError('USAGE', `--from "${p.from}" is not a date such as 2026-12-07`, {});
  if (!Number.isInteger(p.days) || p.days < 1 || p.days > 120) throw new ZvonarError('USAGE', `--days ${p.days}: a whole number of days from 1 to 120`, {});
  if (!(p.answerRate >= 0 && p.answerRate <= 1)) throw new ZvonarError('USAGE', `--answer-rate ${p.answerRate}: a share from 0 to 1, e.g. 0.45`, {});
  const source = readCampaign(p.file);
  if (p.contacts) source.file.contactsPath = p.contacts; // errors name the list read
  if (p.contacts) source.contacts = parseContactsCsv(readContactFile(p.contacts), p.contacts, { extraColumns: ['persona'], defaultTimeZone: cfg.clinic.timeZone });
  const dnc = p.doNotCall ? readDoNotCall(p.doNotCall) : [];
  const out = p.outFile ? createWriteStream(p.outFile, { mode: 0o600 }) : null;
  const db = await openPglite();
  let result: SimulationResult;
  try {
    await migrate(db);
    for (const phone of dnc) await addDoNotCall(db, { phone, reason: 'list', source: 'simulate' });
    const loaded = await createCampaignFrom(db, source, { now: from, timeZone: cfg.clinic.timeZone });
    result = await simulateCampaign({
      db, campaign: loaded.campaign, from, days: p.days, answerRate: p.answerRate, trunk: cfg.trunk, caps: cfg.dialer.caps, seed: p.seed ?? 1,
      onAttempt: (a) => out?.write(`${JSON.stringify({ contact: a.externalId ?? a.contactId, at: a.at.toISOString(), outcome: a.outcome })}\n`),
    });
  } finally {
    await db.close();
    if (out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  const contacts = source.contacts.contacts.length;
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `campaign ${source.file.id} simulated from ${p.from} for ${p.days} days at answer rate ${p.answerRate}: ${contacts} contacts, ${source.contacts.rejected.length} rows rejected`,
    `  attempts: ${result.attempts}; busiest hour ${result.peakPerHour} (${(result.peakPerHour / 3600).toFixed(2)} CPS); ` +
      `${result.activeHours} hours with calls, ${(result.attempts / Math.max(1, result.activeHours)).toFixed(1)} an hour on average`,
    result.finishedAt ? `  finished: ${result.finishedAt.toISOString()}` : `  not finished in ${p.days} days: ${result.open} contacts open (${list(result.stillOpen)})`,
    `  never reached (closed without a person answering): ${list(result.unreached)}`,
    ...(p.outFile ? [`  ${result.attempts} attempts written to ${p.outFile}`] : []),
  ];
}

/** Numbers of a do-not-call list file; a line that is not a number is named by its line. */
function readDoNotCall(file: string): string[] {
  const out: string[] = [];
  for (const [i, line] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const cell = line.split(/[;,\t]/)[0]!.trim();
    if (!cell || (i === 0 && /[a-z]/i.test(cell))) continue; // blank, or a header
    try {
      out.push(toE164(cell));
    } catch {
      throw new ZvonarError('CONTACT_INVALID', 'is not a phone number', { file, line: i + 1 }, { hint: 'one number per line, e.g. +79181234567 or 8 918 123-45-67' });
    }
  }
  return out;
}
