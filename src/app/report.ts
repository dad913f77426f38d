import type { Disposition } from '../core/index.js';
import type { CallSummary } from '../call/index.js';
import { attemptsByDisposition, campaignBookings, contactsByOutcome, type Db } from '../registry/index.js';

/** Where a campaign stands, read back from the registry (no patient data). */
export interface CampaignReport {
  campaignId: string;
  attempts: { disposition: Disposition | null; n: number }[];
  bookings: { slotId: string; resource: string; startsAt: Date }[];
  contacts: { state: string; lastDisposition: Disposition | null; callback: boolean; n: number }[];
}

export async function readCampaignReport(db: Db, campaignId: string): Promise<CampaignReport> {
  return {
    campaignId,
    attempts: await attemptsByDisposition(db, { campaignId }),
    bookings: await campaignBookings(db, { campaignId }),
    contacts: await contactsByOutcome(db, { campaignId }),
  };
}

/**
 * The progress line of a finished call: `  [ 3/24] +7900***0103  BOOKED  SIP 200  -> slot`.
 * `who` is a masked phone or a contact id; `total` is left out when it is not known (`zvonar run`).
 */
export function callLine(p: { n: number; total?: number; who: string; call: CallSummary; timeZone: string }): string {
  const { call } = p;
  const count = p.total === undefined ? String(p.n).padStart(3) : `${String(p.n).padStart(2)}/${p.total}`;
  const slot = call.booked ? `  -> ${formatTime(call.booked.startsAt, p.timeZone)} ${call.booked.resource}` : '';
  return `  [${count}] ${p.who.padEnd(14)} ${call.disposition.padEnd(18)} SIP ${call.sipStatus ?? '-'}${slot}`;
}

/** The final tables: attempts by disposition, bookings, where the contacts stand now. */
export function printCampaignReport(r: CampaignReport, timeZone: string, out: (line: string) => void): void {
  const total = r.attempts.reduce((a, x) => a + x.n, 0);
  out('');
  out(`Attempts by disposition (rows in table "attempt", campaign ${r.campaignId})`);
  out('  disposition         attempts');
  for (const a of r.attempts) out(`  ${(a.disposition ?? '(under way)').padEnd(20)}${String(a.n).padStart(8)}`);
  out(`  ${'total'.padEnd(20)}${String(total).padStart(8)}`);
  out('');
  out(`Bookings (rows in table "booking"): ${r.bookings.length}`);
  for (const b of r.bookings) out(`  slot ${b.slotId.padStart(3)}  ${b.resource.padEnd(16)} ${formatTime(b.startsAt, timeZone)}`);
  out('');
  out('Contacts now (table "campaign_contact")');
  for (const c of r.contacts) {
    const what = c.callback ? `operator to call back: ${c.lastDisposition}`
      : c.state !== 'pending' ? `closed: ${c.lastDisposition}`
      : c.lastDisposition ? `retry scheduled after ${c.lastDisposition}` : 'not called yet';
    out(`  ${what.padEnd(40)}${String(c.n).padStart(4)}`);
  }
}

/** A slot's time as the clinic says it: "пн, 02.06, 08:20" in the clinic's zone. */
export function formatTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('ru-RU', { timeZone, weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at);
}
