import { CallSession, type CallPlan, type CallSummary, type SessionDeps } from '../call/index.js';
import type { DialerMetrics } from './metrics.js';
import { capsNotBefore, CAPS_LOOKBACK_MS, type PersonCaps } from './rules/caps.js';
import { nextStep } from './rules/index.js';

/** The ports one call uses, and the dialer's own: its metrics and the engine's readiness. */
export interface CallDeps extends SessionDeps {
  metrics: DialerMetrics;
  /**
   * Resolves when the engine can hold a conversation (the speech engine answers); rejects with
   * the reason otherwise. The dialer asks before it leases contacts, so that no patient answers
   * a robot that cannot speak.
   */
  ready(): Promise<void>;
  /**
   * The speech engines' room: calls they can still serve now (their declared capacity less the
   * streams open in every process). Absent: no limit. The dialer starts no more calls than this.
   */
  speech?: { room(): number; take(calls: number): void; limit?(): 'streams' | 'backlog' | null };
  /**
   * Operator-aware pacing: the most calls a campaign may have in progress so that its handoffs do
   * not keep callers waiting for operators longer than the target (src/operator/pacing.ts), from
   * what its finished calls tell. Absent: no limit.
   */
  operatorPacing?: { maxCalls(p: { language: string; calls: number; handoffs: number; meanCallMs: number }): number };
}

/**
 * Places one call: a call session (src/call) with the campaign's retry rules, its metrics fed
 * from the session's event stream. Resolves with the call's outcome; rejects as
 * CallSession.run() does (NotDialledError, UnclosedAttemptError).
 */
export function placeCall(deps: CallDeps, plan: Omit<CallPlan, 'nextStep' | 'caps'> & { caps?: PersonCaps | null }): Promise<CallSummary> {
  const { metrics } = deps;
  const campaign = plan.campaign.id;
  const { caps, ...rest } = plan;
  const session = new CallSession(deps, {
    ...rest,
    nextStep: (p) => nextStep(p, plan.campaign.rules),
    ...(caps ? { caps: { lookbackMs: CAPS_LOOKBACK_MS, notBefore: (history) => capsNotBefore(history, caps) } } : {}),
  });
  session.on('state', ({ from, to }) => {
    if (to === 'originating') metrics.callsActive.inc();
    if (to === 'finished' && from !== 'created') metrics.callsActive.dec();
  });
  session.on('first-audio', ({ afterAnswerMs }) => metrics.firstAudio.observe(afterAnswerMs / 1000));
  session.on('booked', () => metrics.bookings.inc({ campaign }));
  session.on('ended', ({ disposition, media }) => {
    metrics.attempts.inc({ campaign, disposition });
    if (!media) return;
    const { rtpPackets } = metrics;
    rtpPackets.inc({ kind: 'sent' }, media.packetsSent);
    rtpPackets.inc({ kind: 'received' }, media.packetsReceived);
    rtpPackets.inc({ kind: 'lost' }, media.packetsLost);
    rtpPackets.inc({ kind: 'late' }, media.packetsLate);
    rtpPackets.inc({ kind: 'dropped' }, media.packetsDropped);
    rtpPackets.inc({ kind: 'reordered' }, media.packetsReordered);
    rtpPackets.inc({ kind: 'ignored' }, media.packetsIgnored);
    rtpPackets.inc({ kind: 'foreign' }, media.packetsForeign);
    metrics.jitter.observe(media.jitterMs / 1000);
  });
  return session.run();
}
