import { describe, expect, it } from 'vitest';
import { erlangC, handoffCapacityPerHour, maxCallsForOperators, meanWaitMs, operatorsNeeded, PACING_MIN_CALLS, serviceLevel } from '../../src/operator/index.js';

const AHT = 180_000;

describe('Erlang C', () => {
  it('sizes the operator queue as DOMAIN.md does: AHT 180 s, 80% answered in 20 s', () => {
    expect([50, 100, 200, 500].map((perHour) => operatorsNeeded(perHour, AHT, 20_000, 0.8))).toEqual([5, 8, 14, 30]);
  });

  it('knows the textbook case: 10 erlangs on 12 agents wait with probability 0.449', () => {
    expect(erlangC(12, 10)).toBeCloseTo(0.4494, 3);
    expect(erlangC(3, 0)).toBe(0);
    expect(erlangC(3, 3)).toBe(1);
    expect(meanWaitMs(2, 60, AHT)).toBe(Infinity); // 3 erlangs on 2 operators: the queue grows
    expect(serviceLevel(5, 50, AHT, 20_000)).toBeGreaterThan(0.8);
  });

  it('the handoff capacity keeps the mean wait at the target', () => {
    const cap = handoffCapacityPerHour(5, AHT, 20_000);
    expect(meanWaitMs(5, cap, AHT)).toBeCloseTo(20_000, -2);
    expect(meanWaitMs(5, cap * 1.05, AHT)).toBeGreaterThan(20_000);
    expect(handoffCapacityPerHour(0, AHT, 20_000)).toBe(0);
  });
});

describe('operator-aware pacing', () => {
  const base = { operatorsOnDuty: 5, ahtMs: AHT, targetWaitMs: 20_000, calls: 200, meanCallMs: 60_000 };

  it('holds a campaign to the calls whose handoffs the operators on duty can take', () => {
    // 10% of 60 s calls hand off: C calls make 6C handoffs an hour
    const max = maxCallsForOperators({ ...base, handoffs: 20 });
    const cap = handoffCapacityPerHour(5, AHT, 20_000);
    expect(max).toBe(Math.floor(cap / 6));
    // more operators, more calls; a higher share, fewer
    expect(maxCallsForOperators({ ...base, operatorsOnDuty: 10, handoffs: 20 })).toBeGreaterThan(max);
    expect(maxCallsForOperators({ ...base, handoffs: 60 })).toBeLessThan(max);
  });

  it('does not hold back a campaign that does not hand off, has too few calls to tell, or has nobody on duty (a call-back is offered at once then); never below one call', () => {
    expect(maxCallsForOperators({ ...base, handoffs: 0 })).toBe(Infinity);
    expect(maxCallsForOperators({ ...base, calls: PACING_MIN_CALLS - 1, handoffs: 10 })).toBe(Infinity);
    expect(maxCallsForOperators({ ...base, operatorsOnDuty: 0, handoffs: 20 })).toBe(Infinity);
    expect(maxCallsForOperators({ ...base, operatorsOnDuty: 1, handoffs: 200, meanCallMs: 1_000 })).toBe(1);
  });
});
