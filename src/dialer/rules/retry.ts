import { DISPOSITION_CLASS, RU_CALENDAR, type CallingHours, type CampaignKind, type CampaignRules, type ContactStep, type Disposition } from '../../core/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Retry delays by disposition, by the attempt that just ended (1st, 2nd, ...; the last repeats).
 * From DOMAIN.md, "Rules defaults": cold calls vary the time of day (+4 h / +27 h / +51 h).
 */
export const DEFAULT_RETRY_DELAYS: Readonly<Record<CampaignKind, Partial<Record<Disposition, number[]>>>> = {
  cold: {
    BUSY: [20 * MIN, 24 * HOUR],
    NO_ANSWER: [4 * HOUR, 27 * HOUR, 51 * HOUR],
    UNREACHABLE: [3 * HOUR, 26 * HOUR],
    VOICEMAIL: [26 * HOUR],
    VOICEMAIL_LEFT: [26 * HOUR],
    REJECTED: [26 * HOUR],
    EARLY_HANGUP: [26 * HOUR],
    ROBOT_SILENCE: [26 * HOUR],
    NO_RESPONSE: [26 * HOUR],
    // "we will call you back later" (no free time now): the next day, when the MIS has added slots
    CALLBACK_REQUESTED: [26 * HOUR],
  },
  warm: {
    BUSY: [15 * MIN],
    NO_ANSWER: [2 * HOUR],
    UNREACHABLE: [2 * HOUR],
    VOICEMAIL: [2 * HOUR],
    VOICEMAIL_LEFT: [2 * HOUR],
    REJECTED: [2 * HOUR],
    EARLY_HANGUP: [2 * HOUR],
    ROBOT_SILENCE: [2 * HOUR],
    NO_RESPONSE: [2 * HOUR],
    CALLBACK_REQUESTED: [2 * HOUR],
  },
};

/**
 * Who keeps the promise of a call that a pending outcome makes. The robot keeps "we will call
 * you back" on its retry ladder (and hands it to a person once its attempts run out); a person
 * keeps the rest, from the operators' call-back list. TRANSFERRED promises nothing: the
 * operator on the line sets the final outcome.
 */
export const PROMISED_CALL: Readonly<Partial<Record<Disposition, 'robot' | 'operator'>>> = {
  CALLBACK_REQUESTED: 'robot',
  NEEDS_HUMAN: 'operator',
  TRANSFER_ABANDONED: 'operator',
};

/** For simulated callees, tests and benchmarks: any hour of any day. */
export const ANY_HOUR: CallingHours = { weekdays: ['00:00', '24:00'], saturday: ['00:00', '24:00'], sunday: ['00:00', '24:00'] };

/** DOMAIN.md defaults: cold Mon-Fri 09-20, Sat 10-17; warm 09-20 every day; Russian holidays are Sundays. */
export const DEFAULT_CALLING_HOURS: Readonly<Record<CampaignKind, CallingHours>> = {
  cold: { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null, calendar: RU_CALENDAR },
  warm: { weekdays: ['09:00', '20:00'], saturday: ['09:00', '20:00'], sunday: ['09:00', '20:00'], calendar: RU_CALENDAR },
};

export function defaultRules(kind: CampaignKind): CampaignRules {
  return {
    callingHours: DEFAULT_CALLING_HOURS[kind],
    maxAttempts: kind === 'cold' ? 4 : 3,
    holdSlots: true,
    holdMs: 10 * MIN,
    retryDelaysMs: DEFAULT_RETRY_DELAYS[kind],
    technicalRetryMs: 2 * MIN,
    specialty: 'therapist',
  };
}

/**
 * A disposition that refines an older one walks the older one's ladder in campaigns whose rules
 * were stored before it existed (rules are stored with the campaign): a message left on a machine
 * is retried as a machine was.
 */
const LADDER_OF: Partial<Record<Disposition, Disposition>> = { VOICEMAIL_LEFT: 'VOICEMAIL' };

/** REJECTED is retried at most once (DOMAIN.md: "REJECTED +26 h once"). */
const MAX_TRIES_OF: Partial<Record<Disposition, number>> = { REJECTED: 1 };

/**
 * What happens to a contact after an attempt: closed, pending again at a later time, or closed
 * for the robot and put on the operators' call-back list (see PROMISED_CALL).
 * A pure function of the outcome, the rules and `now`.
 *
 * @param attempts counted attempts including the one that just ended
 * @param sameBefore how many earlier attempts of this contact ended with the same disposition
 */
export function nextStep(
  p: {
    disposition: Disposition; attempts: number; sameBefore: number; now: Date; retryAfterMs?: number | null;
    /** the time the callee asked to be called back at (the script's callback step) */
    callbackAt?: Date | null;
  },
  rules: CampaignRules,
): ContactStep {
  const step = ladderStep(p, rules);
  // a time the callee named is kept while the robot may still call; past its attempts, the
  // operators' call-back list takes it as the ladder says
  if (p.disposition === 'CALLBACK_REQUESTED' && p.callbackAt && step.state === 'pending') return { ...step, nextAttemptAt: p.callbackAt };
  return step;
}

function ladderStep(p: { disposition: Disposition; attempts: number; sameBefore: number; now: Date; retryAfterMs?: number | null }, rules: CampaignRules): ContactStep {
  const cls = DISPOSITION_CLASS[p.disposition];
  if (cls === 'technical') {
    // Exponential back-off, so a trunk or engine that stays down is not hammered: 2, 4, 8 ... min,
    // and no sooner than the trunk's Retry-After asked (a 503's); at most a day.
    const delay = Math.min(Math.max(rules.technicalRetryMs * 2 ** Math.min(p.sameBefore, 20), p.retryAfterMs ?? 0), 24 * HOUR);
    return { state: 'pending', nextAttemptAt: new Date(p.now.getTime() + delay) };
  }
  const promised = PROMISED_CALL[p.disposition];
  if (promised === 'robot' && p.attempts < rules.maxAttempts) {
    // campaigns created before CALLBACK_REQUESTED had a ladder of its own call back as after NO_ANSWER
    const delays = rules.retryDelaysMs[p.disposition] ?? rules.retryDelaysMs.NO_ANSWER ?? DEFAULT_RETRY_DELAYS.cold[p.disposition]!;
    const delay = delays[Math.min(p.sameBefore, delays.length - 1)]!;
    return { state: 'pending', nextAttemptAt: new Date(p.now.getTime() + delay) };
  }
  if (promised) return { state: 'done', nextAttemptAt: null, callback: { dueAt: p.now } };
  if (cls !== 'retryable') return { state: 'done', nextAttemptAt: null };
  const older = LADDER_OF[p.disposition];
  const delays = rules.retryDelaysMs[p.disposition] ?? (older && rules.retryDelaysMs[older]);
  const limit = rules.retryMax?.[p.disposition] ?? MAX_TRIES_OF[p.disposition];
  if (!delays?.length || p.attempts >= rules.maxAttempts || (limit !== undefined && p.sameBefore >= limit)) {
    return { state: 'done', nextAttemptAt: null };
  }
  const delay = delays[Math.min(p.sameBefore, delays.length - 1)]!;
  return { state: 'pending', nextAttemptAt: new Date(p.now.getTime() + delay) };
}
