import { handoffCapacityPerHour } from './erlang-c.js';

/** Calls a campaign must have finished before its handoff share is trusted for pacing. */
export const PACING_MIN_CALLS = 20;

/**
 * Operator-aware pacing: the most calls a campaign may have in progress so that the handoffs they
 * make reach the operators on duty no faster than those operators can take them with a mean wait
 * under `targetWaitMs` (Erlang C, handoffCapacityPerHour). A campaign's calls hand off at
 * `handoffShare` per call and last `meanCallMs`, so C calls in progress make
 * C x 3,600,000 / meanCallMs x handoffShare handoffs an hour. Infinity (no limit) when nobody is
 * on duty (a handoff then offers a call-back at once, which costs no operator), when the campaign
 * does not hand off, or before PACING_MIN_CALLS calls tell its share; never below one call.
 */
export function maxCallsForOperators(p: {
  operatorsOnDuty: number; ahtMs: number; targetWaitMs: number; calls: number; handoffs: number; meanCallMs: number;
}): number {
  if (p.operatorsOnDuty <= 0 || p.calls < PACING_MIN_CALLS || p.handoffs === 0 || p.meanCallMs <= 0) return Infinity;
  const share = p.handoffs / p.calls;
  const capacity = handoffCapacityPerHour(p.operatorsOnDuty, p.ahtMs, p.targetWaitMs);
  return Math.max(1, Math.floor((capacity * p.meanCallMs) / (3_600_000 * share)));
}
