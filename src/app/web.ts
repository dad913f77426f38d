import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile, ZvonarError } from '../core/index.js';
import type { Config } from '../config/index.js';
import { nextStep } from '../dialer/index.js';
import { countAttempts, disableAccount, getCampaign, listAccounts, migrate, saveAccount, type Account, type Role } from '../registry/index.js';
import { Auth, hashPassword, startHttpServer, type WebApp } from '../web/index.js';
import type { Engine } from './build-engine.js';
import { openRegistry } from './build-engine.js';
import { describeCampaign } from './campaign-status.js';
import { exportCampaign } from './export.js';
import { importContactList } from './contacts.js';
import { scriptGraph } from './dialog-tools.js';

export type HttpServer = Awaited<ReturnType<typeof startHttpServer>>;

/**
 * The engine's HTTP side with the console, the supervisor pages, the API and the ws hub over
 * this engine's registry and operator hub (src/web). Rejects with HTTP_UNAVAILABLE when the
 * address is taken.
 */
export function startWeb(engine: Engine, cfg: Config, dialogsDir?: string): Promise<HttpServer> {
  const { db, deps } = engine;
  const app: WebApp = {
    db, hub: engine.operators, clock: deps.clock, log: engine.log.child({ part: 'web' }),
    auth: new Auth({ db, clock: deps.clock, sessionHours: cfg.operators.sessionHours, tokens: cfg.operators.tokens }),
    nextStep: async ({ disposition, campaign, contactId, now, callbackAt }) => {
      const { rows } = await db.query<{ attempts: number }>(`select attempts from campaign_contact where id = $1`, [contactId]);
      const sameBefore = await countAttempts(db, { contactId, disposition });
      return nextStep({ disposition, attempts: rows[0]?.attempts ?? 1, sameBefore, now, callbackAt }, campaign.rules);
    },
    campaignStatus: (campaignId) => describeCampaign(db, { campaignId, now: new Date(deps.clock.now()) }),
    attemptsCsv: async (campaignId) => (await exportCampaign(db, { campaignId, what: 'attempts', format: 'csv' })).text,
    importContacts: (campaignId, bytes, name) => importContactList(db, bytes, name, { campaignId, timeZone: cfg.clinic.timeZone, now: new Date(deps.clock.now()) }),
    graph: async (campaignId) => {
      const { dialogId } = await getCampaign(db, campaignId);
      const file = join(dialogsDir ?? packageFile('dialogs'), `${dialogId}.yaml`);
      return existsSync(file) ? scriptGraph(file, 'svg') : null;
    },
  };
  return startHttpServer({ host: cfg.metrics.host, port: cfg.metrics.port, metrics: engine.metrics, web: app });
}

/** `zvonar operator add`: an operator's or supervisor's account (the password is hashed with argon2id). */
export async function addOperator(cfg: Config, a: { login: string; name: string; role: Role; password: string; languages: string[]; skills: string[]; phone: string | null }): Promise<string> {
  const passwordHash = await hashPassword(a.password);
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    await saveAccount(db, { login: a.login, name: a.name, role: a.role, passwordHash, languages: a.languages, skills: a.skills, phone: a.phone });
    return `${a.role} ${a.login} saved (${a.languages.join(', ')}; skills ${a.skills.join(', ') || 'none'}; phone ${a.phone ?? 'none'})`;
  } finally {
    await db.close();
  }
}

export async function listOperators(cfg: Config): Promise<Account[]> {
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    return await listAccounts(db);
  } finally {
    await db.close();
  }
}

export async function removeOperator(cfg: Config, login: string): Promise<string> {
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    if (!(await disableAccount(db, login))) throw new ZvonarError('ACCOUNT_INVALID', `no account "${login}"`, { path: 'login' });
    return `${login} disabled; their sessions ended`;
  } finally {
    await db.close();
  }
}
