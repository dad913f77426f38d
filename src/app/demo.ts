import { rmSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { runCampaign, type CallSummary } from '../dialer/index.js';
import { attemptsByDisposition, campaignBookings, contactsByOutcome } from '../registry/index.js';
import { startHttpServer } from '../web/index.js';
import { buildEngine } from './build-engine.js';
import { createCampaignFrom, readCampaign } from './campaign-setup.js';

export interface DemoReport {
  campaignId: string;
  attempts: { disposition: string | null; n: number }[];
  bookings: { slotId: string; resource: string; startsAt: Date }[];
  contacts: { state: string; lastDisposition: string | null; n: number }[];
}

/**
 * The demo: a sample campaign against simulated callees, the embedded registry and the
 * reference speech server, with progress while it runs and a table read back from the registry.
 */
export async function runDemo(cfg: Config, p: { campaignFile: string; out: (line: string) => void }): Promise<DemoReport> {
  const embedded = !cfg.database.url;
  const source = readCampaign(p.campaignFile); // a broken script stops the demo before anything starts
  if (embedded) rmSync(cfg.database.dataDir, { recursive: true, force: true }); // each demo starts from an empty registry
  const engine = await buildEngine(cfg, { personaOf: (phone) => source.personas.get(phone) });
  try {
    const now = new Date(engine.deps.clock.now());
    const loaded = await createCampaignFrom(engine.db, source, {
      now, timeZone: cfg.clinic.timeZone, ...(embedded ? {} : { idSuffix: `-${now.getTime()}` }),
    });
    const { campaign } = loaded;
    const http = await startHttpServer({ host: cfg.metrics.host, port: cfg.metrics.port, metrics: engine.metrics }).catch(() => null);
    p.out(`zvonar demo: campaign "${campaign.name}" (${campaign.kind}), script ${loaded.script.id} v${loaded.script.version}`);
    p.out(`  ${loaded.imported} contacts imported, ${loaded.slots} slots free, registry: ${embedded ? `PGlite in ${cfg.database.dataDir}` : 'PostgreSQL'}`);
    for (const r of loaded.rejected) p.out(`  rejected contact at line ${r.line}, column ${r.column}: ${r.problem}`);
    p.out(`  speech: reference modem voice over gRPC at ${engine.speechAddress}; metrics: ${http ? `${http.url}/metrics` : 'port busy, not served'}`);
    p.out('');
    let done = 0;
    const total = loaded.imported;
    const onCallEnded = (s: CallSummary) => {
      done++;
      const phone = engine.sim?.calls.find((c) => c.callId === s.callId)?.to ?? '';
      const slot = s.booked ? `  -> ${fmt(s.booked.startsAt, cfg.clinic.timeZone)} ${s.booked.resource}` : '';
      p.out(`  [${String(done).padStart(2)}/${total}] ${phone.padEnd(14)} ${s.disposition.padEnd(18)} SIP ${s.sipStatus ?? '-'}${slot}`);
    };
    await runCampaign(engine.deps, {
      campaign, script: loaded.script, machine: loaded.machine,
      trunk: cfg.trunk, clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
      owner: 'demo', leaseMs: cfg.dialer.leaseMs, maxCallMs: cfg.dialer.maxCallMs, pollMs: cfg.dialer.pollMs, untilIdle: true, onCallEnded,
    }, new AbortController().signal);

    const report: DemoReport = {
      campaignId: campaign.id,
      attempts: await attemptsByDisposition(engine.db, { campaignId: campaign.id }),
      bookings: await campaignBookings(engine.db, { campaignId: campaign.id }),
      contacts: await contactsByOutcome(engine.db, { campaignId: campaign.id }),
    };
    printReport(report, cfg.clinic.timeZone, p.out);
    await http?.close();
    return report;
  } finally {
    await engine.close();
  }
}

function printReport(r: DemoReport, tz: string, out: (line: string) => void): void {
  const total = r.attempts.reduce((a, x) => a + x.n, 0);
  out('');
  out(`Attempts by disposition (rows in table "attempt", campaign ${r.campaignId})`);
  out('  disposition         attempts');
  for (const a of r.attempts) out(`  ${(a.disposition ?? '(under way)').padEnd(20)}${String(a.n).padStart(8)}`);
  out(`  ${'total'.padEnd(20)}${String(total).padStart(8)}`);
  out('');
  out(`Bookings (rows in table "booking"): ${r.bookings.length}`);
  for (const b of r.bookings) out(`  slot ${b.slotId.padStart(3)}  ${b.resource.padEnd(16)} ${fmt(b.startsAt, tz)}`);
  out('');
  out('Contacts now (table "campaign_contact")');
  for (const c of r.contacts) {
    const what = c.state === 'pending' ? `retry scheduled after ${c.lastDisposition}` : `closed: ${c.lastDisposition}`;
    out(`  ${what.padEnd(40)}${String(c.n).padStart(4)}`);
  }
}

function fmt(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('ru-RU', { timeZone, weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at);
}
