import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Campaign } from '../core/index.js';
import type { Config } from '../config/index.js';
import { runCampaign } from '../dialer/index.js';
import { compileScript, loadScript } from '../dialog/index.js';
import { getCampaign, listCampaigns, migrate } from '../registry/index.js';
import { startHttpServer } from '../web/index.js';
import { buildEngine, openRegistry } from './build-engine.js';
import { createCampaignFrom, readCampaign } from './campaign-setup.js';

/** `zvonar migrate`: brings the registry's schema up to date. */
export async function runMigrate(cfg: Config): Promise<string[]> {
  const db = await openRegistry(cfg);
  try {
    return await migrate(db);
  } finally {
    await db.close();
  }
}

/** `zvonar load`: creates a campaign from a campaign file and imports its contacts. */
export async function runLoad(cfg: Config, file: string, out: (l: string) => void): Promise<void> {
  const source = readCampaign(file);
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    const r = await createCampaignFrom(db, source, { now: new Date(), timeZone: cfg.clinic.timeZone });
    out(`campaign ${r.campaign.id}: ${r.imported} contacts imported, ${r.rejected.length} rejected, ${r.slots} slots created`);
    for (const x of r.rejected) out(`  rejected: line ${x.line}, column ${x.column}: ${x.problem}`);
  } finally {
    await db.close();
  }
}

/**
 * `zvonar run`: dials one active campaign until stopped (SIGINT/SIGTERM: no new calls, active
 * calls finish, then exit), serving /metrics meanwhile.
 */
export async function runEngine(cfg: Config, p: { campaignId?: string; dialogsDir: string; untilIdle: boolean; signal: AbortSignal; out: (l: string) => void }): Promise<void> {
  const engine = await buildEngine(cfg);
  const http = await startHttpServer({ host: cfg.metrics.host, port: cfg.metrics.port, metrics: engine.metrics });
  try {
    const campaign = await pickCampaign(engine.db, p.campaignId);
    const file = join(p.dialogsDir, `${campaign.dialogId}.yaml`);
    if (!existsSync(file)) throw new ConfigError('CONFIG_NOT_FOUND', `campaign ${campaign.id} uses dialog "${campaign.dialogId}", but ${file} does not exist`, { file });
    const script = loadScript(file);
    if (script.version !== campaign.dialogVersion) {
      engine.log.warn({ campaignId: campaign.id, was: campaign.dialogVersion, now: script.version }, 'dialog script changed since the campaign was created; attempts record the version used');
    }
    p.out(`zvonar run: campaign ${campaign.id}, metrics at ${http.url}/metrics`);
    await runCampaign(engine.deps, {
      campaign, script, machine: compileScript(script), trunk: cfg.trunk,
      clinic: { name: cfg.clinic.name, phone: cfg.clinic.phone ?? '', timeZone: cfg.clinic.timeZone },
      owner: `zvonar-${process.pid}`, leaseMs: cfg.dialer.leaseMs, maxCallMs: cfg.dialer.maxCallMs, pollMs: cfg.dialer.pollMs, untilIdle: p.untilIdle,
      onCallEnded: (s) => engine.log.info({ callId: s.callId, disposition: s.disposition }, 'call ended'),
    }, p.signal);
  } finally {
    await http.close();
    await engine.close();
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
