import { describe, expect, it } from 'vitest';
import { defaultRules, nextStep, PROMISED_CALL } from '../../src/dialer/rules/retry.js';
import { DISPOSITIONS, DISPOSITION_CLASS, dispositionForSip, SIP_DISPOSITION } from '../../src/core/index.js';

const now = new Date('2026-11-24T09:00:00Z');
const H = 3600_000;

describe('nextStep()', () => {
  const cold = defaultRules('cold');
  it('walks the cold NO_ANSWER ladder +4 h, +27 h, +51 h and closes after the 4th attempt', () => {
    expect(nextStep({ disposition: 'NO_ANSWER', attempts: 1, sameBefore: 0, now }, cold).nextAttemptAt!.getTime() - now.getTime()).toBe(4 * H);
    expect(nextStep({ disposition: 'NO_ANSWER', attempts: 2, sameBefore: 1, now }, cold).nextAttemptAt!.getTime() - now.getTime()).toBe(27 * H);
    expect(nextStep({ disposition: 'NO_ANSWER', attempts: 3, sameBefore: 2, now }, cold).nextAttemptAt!.getTime() - now.getTime()).toBe(51 * H);
    expect(nextStep({ disposition: 'NO_ANSWER', attempts: 4, sameBefore: 3, now }, cold)).toEqual({ state: 'done', nextAttemptAt: null });
  });
  it('retries BUSY after 20 minutes', () => {
    expect(nextStep({ disposition: 'BUSY', attempts: 1, sameBefore: 0, now }, cold).nextAttemptAt!.getTime() - now.getTime()).toBe(20 * 60_000);
  });
  it('backs technical failures off exponentially, 2, 4, 8 ... minutes, at most a day', () => {
    const delay = (sameBefore: number) =>
      nextStep({ disposition: 'NETWORK_FAILURE', attempts: 0, sameBefore, now }, cold).nextAttemptAt!.getTime() - now.getTime();
    expect([0, 1, 2].map(delay)).toEqual([2, 4, 8].map((m) => m * 60_000));
    expect(delay(30)).toBe(24 * H);
  });
  it('waits at least as long as a 503\'s Retry-After asks, and never past a day', () => {
    const delay = (retryAfterMs: number | null) =>
      nextStep({ disposition: 'NETWORK_FAILURE', attempts: 0, sameBefore: 0, now, retryAfterMs }, cold).nextAttemptAt!.getTime() - now.getTime();
    expect([delay(null), delay(30_000), delay(600_000), delay(10 * 24 * H)]).toEqual([2 * 60_000, 2 * 60_000, 600_000, 24 * H]);
  });
  it('retries a message left on a machine (VOICEMAIL_LEFT) as a machine, +26 h, also in a campaign whose rules were stored before it existed', () => {
    const after = (rules: typeof cold) => nextStep({ disposition: 'VOICEMAIL_LEFT', attempts: 1, sameBefore: 0, now }, rules).nextAttemptAt!.getTime() - now.getTime();
    expect(after(cold)).toBe(26 * H);
    const { VOICEMAIL_LEFT: _, ...stored } = cold.retryDelaysMs;
    expect(after({ ...cold, retryDelaysMs: { ...stored, VOICEMAIL: [30 * H] } })).toBe(30 * H);
    expect(nextStep({ disposition: 'VOICEMAIL_LEFT', attempts: 4, sameBefore: 3, now }, cold)).toEqual({ state: 'done', nextAttemptAt: null });
  });
  it('retries REJECTED once only', () => {
    expect(nextStep({ disposition: 'REJECTED', attempts: 1, sameBefore: 0, now }, cold).state).toBe('pending');
    expect(nextStep({ disposition: 'REJECTED', attempts: 2, sameBefore: 1, now }, cold).state).toBe('done');
  });
  for (const d of DISPOSITIONS) {
    const cls = DISPOSITION_CLASS[d];
    const robotKeeps = cls === 'retryable' || cls === 'technical' || PROMISED_CALL[d] === 'robot';
    it(`${d} (${cls}) ${robotKeeps ? 'keeps the contact pending' : 'closes the contact for the robot'}`, () => {
      const r = nextStep({ disposition: d, attempts: 1, sameBefore: 0, now }, cold);
      expect(r.state).toBe(robotKeeps ? 'pending' : 'done');
      expect(r.callback !== undefined).toBe(PROMISED_CALL[d] === 'operator');
    });
  }
  it('keeps every promise of a call: "we will call you back" is the robot\'s next attempt, +26 h', () => {
    const r = nextStep({ disposition: 'CALLBACK_REQUESTED', attempts: 1, sameBefore: 0, now }, cold);
    expect(r).toEqual({ state: 'pending', nextAttemptAt: new Date(now.getTime() + 26 * H) });
  });
  it('hands a robot\'s promise to the operators\' call-back list once its attempts have run out', () => {
    const r = nextStep({ disposition: 'CALLBACK_REQUESTED', attempts: 4, sameBefore: 3, now }, cold);
    expect(r).toEqual({ state: 'done', nextAttemptAt: null, callback: { dueAt: now } });
  });
  it('calls back at the time the callee named, while attempts are left; past them, the call-back list has it, not the robot', () => {
    const at = new Date(now.getTime() + 30 * H);
    expect(nextStep({ disposition: 'CALLBACK_REQUESTED', attempts: 1, sameBefore: 0, now, callbackAt: at }, cold)).toEqual({ state: 'pending', nextAttemptAt: at });
    expect(nextStep({ disposition: 'CALLBACK_REQUESTED', attempts: 4, sameBefore: 3, now, callbackAt: at }, cold)).toEqual({ state: 'done', nextAttemptAt: null, callback: { dueAt: now } });
    // a named time matters only to a call-back: any other outcome follows its own ladder
    expect(nextStep({ disposition: 'NO_ANSWER', attempts: 1, sameBefore: 0, now, callbackAt: at }, cold).nextAttemptAt).not.toEqual(at);
  });
  it('puts NEEDS_HUMAN ("an operator will call you back") on the call-back list, due now', () => {
    expect(nextStep({ disposition: 'NEEDS_HUMAN', attempts: 1, sameBefore: 0, now }, cold)).toEqual({ state: 'done', nextAttemptAt: null, callback: { dueAt: now } });
  });
});

describe('SIP_DISPOSITION', () => {
  it('maps every status in the table to a known disposition', () => {
    for (const [status, d] of SIP_DISPOSITION) expect(dispositionForSip(status)).toBe(d);
  });
  it('judges unknown statuses by class', () => {
    expect(dispositionForSip(599)).toBe('NETWORK_FAILURE');
    expect(dispositionForSip(699)).toBe('REJECTED');
    expect(dispositionForSip(499)).toBe('UNREACHABLE');
  });
});
