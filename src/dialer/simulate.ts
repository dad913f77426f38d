import { DISPOSITION_CLASS, seededRandom, type Campaign, type Disposition } from '../core/index.js';
import {
  closeContact, countAttempts, expireCampaign, finishAttempt, leaseDueContacts, openContactsByZone, registerDialer, startAttempt, type Db, type LeasedContact,
} from '../registry/index.js';
import { capsNotBefore, CAPS_LOOKBACK_MS, type PersonCaps } from './rules/caps.js';
import { campaignRules, leaseRules, nextStep, verdict } from './rules/index.js';

/**
 * A campaign replayed on a simulated clock, through the dialer's own rule code and SQL: the same
 * lease (calling windows with holidays, due times, do-not-call, caps, one contact per number),
 * the same retry ladder (nextStep) and the same attempt writes (startAttempt, finishAttempt with
 * the caps). Only the calls are simulated: each answered with probability `answerRate`, then an
 * outcome drawn from `outcomes`, lasting a typical time. Calls start no faster than the trunk's
 * CPS and no more at once than its channels. Deterministic for a seed.
 */
export interface SimulationPlan {
  db: Db;
  campaign: Campaign;
  from: Date;
  days: number;
  answerRate: number;
  trunk: { cps: number; maxChannels: number };
  caps: PersonCaps | null;
  seed?: number;
  /** each attempt as it ends */
  onAttempt?: (a: SimulatedAttempt) => void;
}

export interface SimulatedAttempt {
  contactId: string;
  externalId: string | null;
  at: Date;
  outcome: Disposition;
}

export interface SimulationResult {
  attempts: number;
  /** when the last contact was closed; null when some are still open at the end */
  finishedAt: Date | null;
  /** attempts started in the busiest hour */
  peakPerHour: number;
  /** hours with any attempt, and attempts per such hour on average */
  activeHours: number;
  open: number;
  /** contacts closed without ever being answered, by last outcome */
  unreached: Record<string, number>;
  /** open contacts at the end, by why they are not being called */
  stillOpen: Record<string, number>;
}

const MINUTE = 60_000;

/** When answered: booked 45%, declined 30%, call back later 10%, already done 15%. Unanswered: no answer 70%, busy 20%, a machine 10%. */
const ANSWERED: [Disposition, number][] = [['BOOKED', 0.45], ['DECLINED', 0.3], ['CALLBACK_REQUESTED', 0.1], ['ALREADY_DONE', 0.15]];
const UNANSWERED: [Disposition, number][] = [['NO_ANSWER', 0.7], ['BUSY', 0.2], ['VOICEMAIL', 0.1]];
const DURATION_MS: Partial<Record<Disposition, number>> = { NO_ANSWER: 25_000, BUSY: 3_000, VOICEMAIL: 20_000 };
const ANSWERED_MS = 75_000;

function draw(random: () => number, table: [Disposition, number][]): Disposition {
  let x = random();
  for (const [d, p] of table) if ((x -= p) < 0) return d;
  return table.at(-1)![0];
}

export async function simulateCampaign(p: SimulationPlan): Promise<SimulationResult> {
  const { db, campaign } = p;
  const random = seededRandom(p.seed ?? 1);
  const rules = leaseRules(campaign.rules);
  const end = p.from.getTime() + p.days * 86_400_000;
  const owner = 'simulation';
  const caps = p.caps ? { lookbackMs: CAPS_LOOKBACK_MS, notBefore: (h: { at: Date; answered: boolean }[]) => capsNotBefore(h, p.caps!) } : undefined;
  /** calls under way, by when they end */
  let live: { endsAt: number; finish: () => Promise<void> }[] = [];
  const perHour = new Map<number, number>();
  let attempts = 0;
  let lastClosedAt: number | null = null;
  const externalIds = new Map<string, string | null>();
  const { rows: ext } = await db.query<{ id: string; external_id: string | null }>(
    `select c.id, p.external_id from campaign_contact c join patient p on p.id = c.patient_id where c.campaign_id = $1`, [campaign.id]);
  for (const r of ext) externalIds.set(r.id, r.external_id);
  let callSeq = 0;
  await registerDialer(db, { id: owner, host: 'simulation', pid: 0, now: p.from });

  const place = async (contact: LeasedContact, startAt: number) => {
    const callId = `sim-${++callSeq}`;
    const at = new Date(startAt);
    const attemptId = await startAttempt(db, {
      callId, contactId: contact.id, campaignId: campaign.id, patientId: contact.patient.id, dialogId: campaign.dialogId, dialogVersion: campaign.dialogVersion, at, dialerId: owner,
    });
    attempts++;
    const hour = Math.floor(startAt / 3_600_000);
    perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    const answered = random() < p.answerRate;
    const outcome = draw(random, answered ? ANSWERED : UNANSWERED);
    const endsAt = startAt + (answered ? ANSWERED_MS : DURATION_MS[outcome] ?? 20_000);
    live.push({
      endsAt,
      finish: async () => {
        const endedAt = new Date(endsAt);
        const counted = DISPOSITION_CLASS[outcome] !== 'technical';
        const sameBefore = await countAttempts(db, { contactId: contact.id, disposition: outcome });
        const step = nextStep({ disposition: outcome, attempts: contact.attempts + (counted ? 1 : 0), sameBefore, now: endedAt }, campaign.rules);
        await finishAttempt(db, {
          attemptId, callId, contactId: contact.id, disposition: outcome, counted, sipStatus: answered ? 200 : outcome === 'BUSY' ? 486 : 480,
          answeredAt: answered || outcome === 'VOICEMAIL' ? new Date(startAt + 5_000) : null, endedAt, hangupBy: answered ? 'callee' : 'system',
          transcript: [], error: null, contact: step, ...(caps ? { caps } : {}),
        });
        if (step.state === 'done') lastClosedAt = endsAt;
        p.onAttempt?.({ contactId: contact.id, externalId: externalIds.get(contact.id) ?? null, at, outcome });
      },
    });
  };

  const finishUntil = async (t: number) => {
    live.sort((a, b) => a.endsAt - b.endsAt);
    while (live.length && live[0]!.endsAt <= t) await live.shift()!.finish();
  };

  let t = p.from.getTime();
  const endsAt = campaign.rules.endsAt ? Date.parse(campaign.rules.endsAt) : Infinity;
  while (t < end) {
    await finishUntil(t);
    if (t >= endsAt) {
      await finishUntil(Infinity);
      await expireCampaign(db, { campaignId: campaign.id, now: new Date(t) });
      lastClosedAt = t;
      break;
    }
    const free = p.trunk.maxChannels - live.length;
    const leased = free > 0
      ? await leaseDueContacts(db, { campaignId: campaign.id, now: new Date(t), limit: Math.min(free, Math.floor(p.trunk.cps * 60)), leaseMs: 10 * MINUTE, owner, rules })
      : [];
    let i = 0;
    for (const contact of leased) {
      if (contact.doNotCall) {
        await closeContact(db, { contactId: contact.id, disposition: 'DNC' });
        lastClosedAt = t;
        continue;
      }
      // paced by the trunk within this minute
      await place(contact, t + Math.floor((i++ * 1000) / p.trunk.cps));
    }
    if (leased.length || live.length) {
      t += MINUTE;
      continue;
    }
    // nothing due now: jump to the next time a contact is due and its zone's window is open
    // (or to the campaign's end, when its open contacts expire)
    const due = await nextDue(db, campaign, new Date(t));
    const next = Math.min(due?.getTime() ?? Infinity, endsAt);
    if (next === Infinity) break;
    t = Math.max(t + MINUTE, Math.ceil(next / MINUTE) * MINUTE);
  }
  await finishUntil(Infinity);

  const { rows: open } = await db.query<{ n: number }>(`select count(*)::int as n from campaign_contact where campaign_id = $1 and state = 'pending'`, [campaign.id]);
  const { rows: unreached } = await db.query<{ last_disposition: string; n: number }>(
    `select c.last_disposition, count(*)::int as n from campaign_contact c
     where c.campaign_id = $1 and c.state = 'done'
       and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.answered_at is not null and a.disposition not in ('VOICEMAIL', 'VOICEMAIL_LEFT'))
     group by 1 order by 2 desc`, [campaign.id]);
  const stillOpen: Record<string, number> = {};
  const at = new Date(end);
  for (const z of await openContactsByZone(db, { campaignId: campaign.id, now: at })) {
    const v = verdict({ state: 'pending', nextAttemptAt: at, timeZone: z.timeZone, doNotCall: false }, campaignRules(campaign.rules), at);
    const add = (k: string, n: number) => n && (stillOpen[k] = (stillOpen[k] ?? 0) + n);
    add(v.call ? 'due when the run ended' : v.notBefore ? 'outside the calling window when the run ended' : 'no calling hours ahead', z.due);
    add('waiting for a retry', z.waiting + z.leased);
    add('held back by the caps', z.capped);
    add('do-not-call', z.doNotCall);
  }
  const hours = [...perHour.values()];
  return {
    attempts,
    finishedAt: open[0]!.n === 0 && lastClosedAt !== null ? new Date(lastClosedAt) : null,
    peakPerHour: hours.length ? Math.max(...hours) : 0,
    activeHours: hours.length,
    open: open[0]!.n,
    unreached: Object.fromEntries(unreached.map((r) => [r.last_disposition, r.n])),
    stillOpen,
  };
}

/** The first moment after `now` a contact of the campaign is due with its zone's window open; null: none within the rules' horizon. */
async function nextDue(db: Db, campaign: Campaign, now: Date): Promise<Date | null> {
  const rules = campaignRules(campaign.rules);
  const { rows } = await db.query<{ time_zone: string; next_at: Date }>(
    `select time_zone, min(next_attempt_at) as next_at from campaign_contact where campaign_id = $1 and state = 'pending' group by time_zone`, [campaign.id]);
  let best: Date | null = null;
  for (const r of rows) {
    const due = r.next_at > now ? r.next_at : now;
    const v = verdict({ state: 'pending', nextAttemptAt: due, timeZone: r.time_zone, doNotCall: false }, rules, due);
    const at = v.call ? due : v.notBefore;
    if (at && (!best || at < best)) best = at;
  }
  return best;
}
