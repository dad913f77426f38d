import { warmPrompts } from './speech.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/index.js';
import type { Config } from '../config/index.js';
import type { CallSummary } from '../call/index.js';
import { newDialerId, runCampaign } from '../dialer/index.js';
import { describeRejectedRow } from '../registry/index.js';
import { startHttpServer } from '../web/index.js';
import { buildEngine } from './build-engine.js';
import { createCampaignFrom, readCampaign } from './campaign-setup.js';
import { isDisposableDataDir, prepareDataDir } from './data-dir.js';
import { callLine, printCampaignReport, readCampaignReport, type CampaignReport } from './report.js';

export type DemoReport = CampaignReport;

/**
 * The demo: a sample campaign against simulated callees, the embedded registry and the
 * reference speech server, with progress while it runs and a table read back from the registry.
 */
export async function runDemo(cfg: Config, p: { campaignFile: string; out: (line: string) => void; record?: boolean }): Promise<DemoReport> {
  const embedded = !cfg.database.url;
  const source = readCampaign(p.campaignFile); // a broken script stops the demo before anything starts
  if (embedded) emptyDemoRegistry(cfg.database.dataDir);
  // --record: every answered call as a WAV beside the demo's registry (emptied with it at the next start)
  const recordings = join(resolve(cfg.database.dataDir), 'recordings');
  if (p.record) source.file.recording = { enabled: true, dir: recordings, retentionDays: 1 };
  p.out('zvonar demo: starting the registry, the speech server and the simulated callees');
  const engine = await buildEngine(cfg, { personaOf: (phone) => source.personas.get(phone) });
  try {
    const now = new Date(engine.deps.clock.now());
    const loaded = await createCampaignFrom(engine.db, source, {
      now, timeZone: cfg.clinic.timeZone, ...(embedded ? {} : { idSuffix: `-${now.getTime()}` }),
    });
    const { campaign } = loaded;
    const http = await startHttpServer({ host: cfg.metrics.host, port: cfg.metrics.port, metrics: engine.metrics }).catch(() => null);
    p.out(`zvonar demo: campaign "${campaign.name}" (${campaign.kind}), script ${loaded.dialog.script.id} v${loaded.dialog.script.version}`);
    p.out(`  ${loaded.imported} contacts imported, ${loaded.slots} slots free, registry: ${embedded ? `PGlite in ${cfg.database.dataDir}` : 'PostgreSQL'}`);
    for (const r of loaded.rejected) p.out(`  rejected contact at ${describeRejectedRow(r)}`);
    p.out(`  speech: ${engine.speech.describe.join('; ')}; metrics: ${http ? `${http.url}/metrics` : 'port busy, not served'}`);
    p.out('');
    let done = 0;
    const onCallEnded = (call: CallSummary) => {
      const who = engine.sim?.calls.find((c) => c.callId === call.callId)?.to ?? `contact ${call.contactId}`;
      p.out(callLine({ n: ++done, total: loaded.imported, who, call, timeZone: cfg.clinic.timeZone }));
    };
    await warmPrompts(engine.speech, loaded.dialog.script, cfg.clinic, engine.log, campaign.rules.pronunciation);
    try {
      await runCampaign(engine.deps, {
        campaign, dialog: () => loaded.dialog,
        trunk: cfg.trunk, clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
        ...cfg.dialer, dialerId: newDialerId(), untilIdle: true, onCallEnded,
      }, new AbortController().signal);
    } finally {
      await http?.close();
    }
    const report = await readCampaignReport(engine.db, campaign.id);
    printCampaignReport(report, cfg.clinic.timeZone, p.out);
    if (p.record) {
      const files = existsSync(recordings) ? readdirSync(recordings).filter((f) => f.endsWith('.wav')) : [];
      p.out('');
      p.out(`Recordings: ${files.length} answered calls in ${recordings}`);
      p.out('  <call id>.wav, 8 kHz stereo: left what the robot heard, right what it said');
    }
    return report;
  } finally {
    await engine.close();
  }
}

/** Each demo starts from an empty registry, but never empties a folder that holds anything else. */
function emptyDemoRegistry(dir: string): void {
  if (!isDisposableDataDir(dir)) {
    throw new ConfigError('CONFIG_INVALID', `--data: "${dir}" is not empty and holds no registry; the demo empties its folder at start`, { path: '--data' }, {
      hint: 'name a new folder, e.g. ./data/demo',
    });
  }
  prepareDataDir(dir, '--data');
  rmSync(dir, { recursive: true, force: true });
}
