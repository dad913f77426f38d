/**
 * The dialer's rules: who may be called, and when. Each rule is a pure function of the contact's
 * facts and the time, and the same predicate in SQL for the lease (verdict.ts, `Rule`), so the
 * dialer, a forecast and `campaign status` answer alike. The retry ladder (retry.ts) sets the
 * time the `due` rule reads.
 */
import type { CampaignRules } from '../../core/index.js';
import type { LeaseRules } from '../../registry/index.js';
import { callingWindow } from './calling-window.js';
import { campaignEnd } from './campaign-end.js';
import { doNotCall } from './do-not-call.js';
import { due } from './due.js';
import type { ContactFacts, Rule, Verdict } from './verdict.js';
import { CALL_NOW } from './verdict.js';

export type { Because, ContactFacts, Rule, Verdict } from './verdict.js';
export { capsNotBefore, CAPS_LOOKBACK_MS, DEFAULT_CAPS, type PastCall, type PersonCaps } from './caps.js';
export { nextStep, PROMISED_CALL, defaultRules, DEFAULT_RETRY_DELAYS, DEFAULT_CALLING_HOURS, ANY_HOUR } from './retry.js';

/** The rules a campaign's contacts are dialled by, in the order a verdict names them. */
export function campaignRules(rules: Pick<CampaignRules, 'callingHours' | 'endsAt'>): readonly Rule[] {
  return [due, doNotCall, callingWindow(rules.callingHours), ...(rules.endsAt ? [campaignEnd(rules.endsAt)] : [])];
}

/** The campaign's rules as the lease's predicates (do-not-call is reported, not filtered: see do-not-call.ts). */
export function leaseRules(rules: Pick<CampaignRules, 'callingHours' | 'endsAt'>): LeaseRules {
  const all = campaignRules(rules);
  const zone = all.flatMap((r) => (r.scope === 'zone' ? [r.sql] : []));
  const contact = all.flatMap((r) => (r.scope === 'contact' && r !== doNotCall ? [r.sql] : []));
  const and = (parts: string[]) => (parts.length ? parts.map((x) => `(${x})`).join(' and ') : 'true');
  return {
    zone: (refs) => and(zone.map((sql) => sql(refs))),
    contact: (refs) => and(contact.map((sql) => sql(refs))),
    doNotCall: doNotCall.sql,
  };
}

/** Rounds of "not before T" followed before a verdict gives up on finding a time (rules that keep pushing each other on). */
const MAX_ROUNDS = 16;

/**
 * Whether the rules let this contact be called at `now`; if not, the first moment they all would
 * (null: never, or not within the rules' horizon) and the first rule that says no now.
 */
export function verdict(c: ContactFacts, rules: readonly Rule[], now: Date): Verdict {
  const no = (at: Date) => rules.map((r) => r.test(c, at)).filter((v): v is Extract<Verdict, { call: false }> => !v.call);
  const first = no(now)[0];
  if (!first) return CALL_NOW;
  let at = now;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const blocking = no(at);
    if (!blocking.length) return { ...first, notBefore: at };
    const never = blocking.find((v) => v.notBefore === null);
    if (never) return { call: false, notBefore: null, because: never.because };
    at = new Date(Math.max(...blocking.map((v) => v.notBefore!.getTime())));
  }
  return { ...first, notBefore: null };
}
