import { warmPrompts } from './speech.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/index.js';
import type { Config } from '../config/index.js';
import type { CallSummary } from '../call/index.js';
import { newDialerId, runCampaign } from '../dialer/index.js';
import { describeRejectedRow, saveAccount } from '../registry/index.js';
import type { PersonaName } from '../sim/index.js';
import { hashPassword } from '../web/index.js';
import { startHttpServer } from '../web/index.js';
import { buildEngine, type Engine } from './build-engine.js';
import { startWeb } from './web.js';
import { createCampaignFrom, readCampaign } from './campaign-setup.js';
import { isDisposableDataDir, prepareDataDir } from './data-dir.js';
import { callLine, printCampaignReport, readCampaignReport, type CampaignReport } from './report.js';

export type DemoReport = CampaignReport;

/**
 * The demo: a sample campaign against simulated callees, the embedded registry and the
 * reference speech server, with progress while it runs and a table read back from the registry.
 */
/** The demo's operators (`--console`): a desk phone each on the simulated network, and a supervisor. Demo passwords, for localhost only. */
export const DEMO_ACCOUNTS = [
  { login: 'maria', name: 'Мария Петрова', role: 'operator', password: 'demo-operator', phone: '+70000000901' },
  { login: 'ivan', name: 'Иван Сидоров', role: 'operator', password: 'demo-operator', phone: '+70000000902' },
  { login: 'olga', name: 'Ольга Смирнова', role: 'supervisor', password: 'demo-supervisor', phone: null },
] as const;

export async function runDemo(cfg: Config, p: { campaignFile: string; out: (line: string) => void; record?: boolean; console?: boolean; signal?: AbortSignal }): Promise<DemoReport> {
  const embedded = !cfg.database.url;
  const source = readCampaign(p.campaignFile); // a broken script stops the demo before anything starts
  if (embedded) emptyDemoRegistry(cfg.database.dataDir);
  // --record: every answered call as a WAV beside the demo's registry (emptied with it at the next start)
  const recordings = join(resolve(cfg.database.dataDir), 'recordings');
  if (p.record) source.file.recording = { enabled: true, dir: recordings, retentionDays: 1 };
  p.out('zvonar demo: starting the registry, the speech server and the simulated callees');
  const desks = new Map<string, PersonaName>(DEMO_ACCOUNTS.flatMap((a) => (a.phone ? [[a.phone, 'operator-phone'] as [string, PersonaName]] : [])));
  const engine = await buildEngine(cfg, { personaOf: (phone) => source.personas.get(phone) ?? desks.get(phone) });
  try {
    const now = new Date(engine.deps.clock.now());
    const loaded = await createCampaignFrom(engine.db, source, {
      now, timeZone: cfg.clinic.timeZone, ...(embedded ? {} : { idSuffix: `-${now.getTime()}` }),
    });
    const { campaign } = loaded;
    if (p.console) {
      for (const a of DEMO_ACCOUNTS) {
        await saveAccount(engine.db, {
          login: a.login, name: a.name, role: a.role, passwordHash: await hashPassword(a.password), languages: ['ru', 'en'], skills: ['*'], phone: a.phone,
        });
      }
    }
    const http = p.console
      ? await startWeb(engine, cfg) // the console is what --console is for: a taken port stops the demo
      : await startHttpServer({ host: cfg.metrics.host, port: cfg.metrics.port, metrics: engine.metrics }).catch(() => null);
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
    if (p.console && http) {
      p.out(`  operator console: ${http.url}/console   supervisor pages: ${http.url}/campaigns`);
      p.out(`  sign in as ${DEMO_ACCOUNTS.map((a) => `${a.login} / ${a.password} (${a.role})`).join(', ')}`);
      p.out('  waiting for an operator to sign in and set "Доступен" (available); then the calls start');
      await untilAvailable(engine, p.signal);
      p.out('');
    }
    try {
      await runCampaign(engine.deps, {
        campaign, dialog: () => loaded.dialog,
        trunk: cfg.trunk, clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
        ...cfg.dialer, dialerId: newDialerId(), untilIdle: true, onCallEnded,
      }, p.signal ?? new AbortController().signal);
      if (p.console && !p.signal?.aborted) {
        printCampaignReport(await readCampaignReport(engine.db, campaign.id), cfg.clinic.timeZone, p.out);
        p.out('');
        p.out('The console and the supervisor pages stay open; Ctrl-C stops the demo.');
        await new Promise<void>((resolve) => (p.signal?.aborted ? resolve() : p.signal?.addEventListener('abort', () => resolve(), { once: true })));
      }
    } finally {
      await http?.close();
    }
    const report = await readCampaignReport(engine.db, campaign.id);
    if (!p.console) printCampaignReport(report, cfg.clinic.timeZone, p.out);
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

/** Until an operator on the console is available (or the demo is stopped). */
function untilAvailable(engine: Engine, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!signal?.aborted && !engine.operators.operators().some((o) => o.presence === 'available')) return;
      engine.operators.off('changed', check);
      resolve();
    };
    engine.operators.on('changed', check);
    signal?.addEventListener('abort', check, { once: true });
    check();
  });
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
