import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ZvonarError, type Campaign } from '../core/index.js';
import type { MachineDetectionOptions } from '../call/index.js';
import type { Config } from '../config/index.js';
import { newDialerId, runCampaign } from '../dialer/index.js';
import { LiveScript, type ScriptChange } from '../dialog/index.js';
import { contactPersonas, getCampaign, listCampaigns, migrate, persist } from '../registry/index.js';
import { isPersonaName, PERSONAS, type PersonaName } from '../sim/index.js';
import { startWeb, type HttpServer } from './web.js';
import { warmPrompts } from './speech.js';
import { buildEngine, openRegistry, type Engine } from './build-engine.js';
import { callLine, printCampaignReport, readCampaignReport } from './report.js';

/** `zvonar migrate`: brings the registry's schema up to date. */
export async function runMigrate(cfg: Config): Promise<string[]> {
  const db = await openRegistry(cfg);
  try {
    return await migrate(db);
  } finally {
    await db.close();
  }
}

/**
 * `zvonar run`: dials one active campaign until stopped (SIGINT/SIGTERM: no new calls, active
 * calls finish, then exit), serving /metrics meanwhile, with a line per finished call and the
 * campaign's tables at the end. A metrics port held by another process (a second dialer on the
 * host) is warned about and left unserved: a dialer that moved to another port would not be
 * scraped either, and one that stopped would not dial.
 */
export async function runEngine(cfg: Config, p: { campaignId?: string; dialogsDir: string; untilIdle: boolean; signal: AbortSignal; out: (l: string) => void }): Promise<void> {
  const personas = new Map<string, PersonaName>();
  const engine = await buildEngine(cfg, { personaOf: (phone) => personas.get(phone) });
  let http: HttpServer | null = null;
  try {
    // PostgreSQL restarting as the dialer starts is waited for, as it is once the dialer runs
    const reachable = <T>(fn: () => Promise<T>) => persist(fn, { clock: engine.deps.clock, log: engine.log, what: 'the campaign', budgetMs: cfg.dialer.registryRetryMs });
    const campaign = await reachable(() => pickCampaign(engine.db, p.campaignId));
    const file = join(p.dialogsDir, `${campaign.dialogId}.yaml`);
    if (!existsSync(file)) throw new ConfigError('CONFIG_NOT_FOUND', `campaign ${campaign.id} uses dialog "${campaign.dialogId}", but ${file} does not exist`, { file });
    // edits to the file reach new calls without a restart; a broken edit is refused and the running version stays
    const live = new LiveScript(file, (c) => scriptChanged(engine, campaign.id, c));
    const { script } = live.current();
    if (script.version !== campaign.dialogVersion) {
      engine.log.warn({ campaignId: campaign.id, was: campaign.dialogVersion, now: script.version }, 'dialog script changed since the campaign was created; attempts record the version used');
    }
    if (engine.sim) await reachable(() => readPersonas(engine, campaign.id, personas));
    await warmPrompts(engine.speech, script, cfg.clinic, engine.log, campaign.rules.pronunciation);
    // /metrics, and the operator console, supervisor pages and API for this dialer's calls
    http = await startWeb(engine, cfg, p.dialogsDir).catch((err: unknown) => {
      if (!(err instanceof ZvonarError) || err.code !== 'HTTP_UNAVAILABLE') throw err;
      engine.log.warn({ address: err.where.address, code: err.code }, 'HTTP port unavailable; dialling without metrics or the operator console');
      return null;
    });
    p.out(`zvonar run: campaign ${campaign.id}, ${http ? `metrics at ${http.url}/metrics, operator console at ${http.url}/console` : `metrics and console not served: ${cfg.metrics.host}:${cfg.metrics.port} is in use (set ZVONAR_METRICS_PORT)`}`);
    let done = 0;
    await runCampaign(engine.deps, {
      campaign, dialog: () => live.current(), trunk: cfg.trunk,
      clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
      ...cfg.dialer, dialerId: newDialerId(), untilIdle: p.untilIdle, amd: amdOptions(cfg),
      onWaiting: (w) => p.out(`  waiting ${Math.ceil(w.closeAfterMs / 1000)} s for dialer ${w.dialerId ?? '(unknown)'}, silent with ${w.open} call(s) open: then they are closed and dialled again`),
      onCallEnded: (call) => {
        engine.log.info({ callId: call.callId, disposition: call.disposition }, 'call ended');
        const who = engine.sim?.calls.find((c) => c.callId === call.callId)?.to ?? `contact ${call.contactId}`;
        p.out(callLine({ n: ++done, who, call, timeZone: cfg.clinic.timeZone }));
      },
    }, p.signal);
    printCampaignReport(await reachable(() => readCampaignReport(engine.db, campaign.id)), cfg.clinic.timeZone, p.out);
  } finally {
    await http?.close();
    await engine.close();
  }
}

/** The configured machine detection for call plans: null when it is off. */
export function amdOptions(cfg: Config): MachineDetectionOptions | null {
  const { enabled, ...thresholds } = cfg.amd;
  return enabled ? thresholds : null;
}

/** Who answers which number on the simulated network: the contact list's persona column. */
async function readPersonas(engine: Engine, campaignId: string, into: Map<string, PersonaName>): Promise<void> {
  const unknown = new Set<string>();
  for (const [phone, name] of await contactPersonas(engine.db, { campaignId })) {
    if (isPersonaName(name)) into.set(phone, name);
    else unknown.add(name);
  }
  if (unknown.size) {
    engine.log.warn({ campaignId, personas: [...unknown].slice(0, 10), known: Object.keys(PERSONAS) }, 'contacts name unknown personas; the configured default answers them');
  }
}

async function pickCampaign(db: Parameters<typeof getCampaign>[0], id?: string): Promise<Campaign> {
  if (id) return getCampaign(db, id);
  const active = await listCampaigns(db, { status: 'active' });
  if (active.length === 1) return active[0]!;
  throw new ConfigError('CONFIG_INVALID', active.length === 0
    ? 'no active campaign in the registry'
    : `${active.length} active campaigns: name one with --campaign (${active.map((c) => c.id).join(', ')})`, {}, {
    hint: active.length === 0 ? 'create one with `zvonar load config/demo-campaign.yaml`' : undefined,
  });
}

/** A script edited while its campaign runs: logged, and counted (refusals are what a supervisor must see). */
function scriptChanged(engine: Awaited<ReturnType<typeof buildEngine>>, campaignId: string, c: ScriptChange): void {
  if (c.kind === 'loaded') {
    engine.log.info({ campaignId, file: c.file, was: `${c.was.script.version}/${c.was.hash}`, now: `${c.now.script.version}/${c.now.hash}` }, 'dialog script changed: new calls use the new version');
    engine.deps.metrics.dialogReloads.inc({ campaign: campaignId, result: 'loaded' });
    return;
  }
  engine.log.error(
    { campaignId, file: c.file, hash: c.hash, err: c.error.code, problem: c.error.describe(), running: `${c.running.script.version}/${c.running.hash}` },
    'dialog script edit refused: it fails its check; calls go on with the running version',
  );
  engine.deps.metrics.dialogReloads.inc({ campaign: campaignId, result: 'refused' });
}
