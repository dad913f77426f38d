import { ZvonarError, type Campaign } from '../core/index.js';
import type { Config } from '../config/index.js';
import { campaignRules, verdict } from '../dialer/index.js';
import {
  attemptsByDisposition, campaignBookings, contactsByOutcome, getCampaign, migrate, openContactsByZone, recentAttempts, setCampaignStatus, type Db,
} from '../registry/index.js';
import { openRegistry } from './build-engine.js';

/**
 * `zvonar campaign status ID`: where a campaign stands at `now`: its contacts by state, what holds
 * the open ones back (outside the calling window in their zone, waiting for a retry or the caps,
 * on a call now, do-not-call), attempts by disposition, bookings and calls per hour. The calling
 * window is judged by the dialer's own rule (src/dialer/rules), zone by zone. No patient data.
 */
export async function campaignStatus(cfg: Config, p: { campaignId: string; now?: Date }): Promise<string[]> {
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    return await describeCampaign(db, { campaignId: p.campaignId, now: p.now ?? new Date() });
  } finally {
    await db.close();
  }
}

/** The lines of campaignStatus, on an open registry (the supervisor pages show them too). */
export async function describeCampaign(db: Db, p: { campaignId: string; now: Date }): Promise<string[]> {
  const { now } = p;
  const campaign = await getCampaign(db, p.campaignId);
  const rules = campaignRules(campaign.rules);
  const zones = await openContactsByZone(db, { campaignId: campaign.id, now });
  const outcomes = await contactsByOutcome(db, { campaignId: campaign.id });
  const attempts = await attemptsByDisposition(db, { campaignId: campaign.id });
  const bookings = await campaignBookings(db, { campaignId: campaign.id });
  const recent = await recentAttempts(db, { campaignId: campaign.id, now });
  const total = outcomes.reduce((n, o) => n + o.n, 0);
  const done = outcomes.filter((o) => o.state === 'done').reduce((n, o) => n + o.n, 0);
  const lines = [
    `campaign ${campaign.id} (${campaign.kind}, ${campaign.status}) at ${now.toISOString()}: ${total} contacts, ${total - done} open, ${done} done`,
  ];
  // the open contacts, by what lets them be called or holds them back
  let callable = 0;
  let outside = 0;
  const opens: string[] = [];
  for (const z of zones) {
    if (!z.due) continue;
    const v = verdict({ state: 'pending', nextAttemptAt: now, timeZone: z.timeZone, doNotCall: false }, rules, now);
    if (v.call) callable += z.due;
    else {
      outside += z.due;
      opens.push(`${z.timeZone} ${z.due} until ${v.notBefore ? v.notBefore.toISOString() : 'never (no calling hours ahead)'}`);
    }
  }
  const sum = (k: 'waiting' | 'capped' | 'leased' | 'doNotCall') => zones.reduce((n, z) => n + z[k], 0);
  const nextAt = zones.map((z) => z.nextAt).filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0];
  lines.push(`  callable now: ${callable}`);
  lines.push(`  outside the calling window: ${outside}${opens.length ? ` (${opens.join('; ')})` : ''}`);
  lines.push(`  waiting for a retry: ${sum('waiting')}${nextAt ? ` (the first due ${nextAt.toISOString()})` : ''}`);
  lines.push(`  held back by the caps per person: ${sum('capped')}`);
  lines.push(`  on a call now: ${sum('leased')}`);
  lines.push(`  do-not-call (closed unrung when leased): ${sum('doNotCall')}`);
  lines.push(`  done by outcome: ${outcomes.filter((o) => o.state === 'done').map((o) => `${o.lastDisposition ?? 'none'} ${o.n}${o.callback ? ' (operator call-back owed)' : ''}`).join(', ') || 'none'}`);
  lines.push(`  attempts by disposition: ${attempts.map((a) => `${a.disposition ?? 'in progress'} ${a.n}`).join(', ') || 'none'}`);
  lines.push(`  bookings: ${bookings.length}`);
  lines.push(`  calls in the last hour: ${recent.lastHour}; in the last day: ${recent.lastDay} (${(recent.lastDay / 24).toFixed(1)} an hour)`);
  return lines;
}

const NEXT: Record<'pause' | 'resume' | 'stop', { to: Campaign['status']; from: Campaign['status'][] }> = {
  pause: { to: 'paused', from: ['active', 'paused'] },
  resume: { to: 'active', from: ['paused', 'active'] },
  stop: { to: 'done', from: ['active', 'paused', 'done'] },
};

/**
 * `zvonar campaign pause|resume|stop ID`. Dialers see it before their next lease: a paused or
 * stopped campaign starts no new call, and calls in progress end as they would. A stopped
 * campaign is done for good (CAMPAIGN_STOPPED on resume): its open contacts stay as they are.
 */
export async function controlCampaign(cfg: Config, p: { campaignId: string; action: keyof typeof NEXT }): Promise<string> {
  const db = await openRegistry(cfg);
  try {
    await migrate(db);
    const campaign = await getCampaign(db, p.campaignId);
    const step = NEXT[p.action];
    if (!step.from.includes(campaign.status)) {
      throw new ZvonarError('CAMPAIGN_STOPPED', `campaign "${campaign.id}" was stopped; it cannot be resumed`, { campaignId: campaign.id }, {
        hint: 'load its contacts into a new campaign (zvonar load, zvonar contacts import)',
      });
    }
    await setCampaignStatus(db, { id: campaign.id, status: step.to });
    return `campaign ${campaign.id}: ${campaign.status} -> ${step.to}`;
  } finally {
    await db.close();
  }
}
