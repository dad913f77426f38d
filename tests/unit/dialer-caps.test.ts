import { describe, expect, it } from 'vitest';
import { capsNotBefore, DEFAULT_CAPS } from '../../src/dialer/index.js';

const T = Date.parse('2026-12-08T09:00:00Z');
const H = 3_600_000;
const call = (hoursAgo: number, answered: boolean) => ({ at: new Date(T - hoursAgo * H), answered });
const at = (d: Date | null) => (d ? (d.getTime() - T) / H : null);

describe('caps per person (DOMAIN.md: one answered call a day, two a week, eight a month; 15 minutes between any two)', () => {
  it('no calls: no cap; an unanswered call: only the gap', () => {
    expect(capsNotBefore([], DEFAULT_CAPS)).toBeNull();
    expect(at(capsNotBefore([call(0, false)], DEFAULT_CAPS))).toBe(0.25);
  });

  it('an answered call: the next a day after it; two in a week: a week after the older; eight in 30 days: 30 days after the oldest', () => {
    expect(at(capsNotBefore([call(2, true)], DEFAULT_CAPS))).toBe(22);
    expect(at(capsNotBefore([call(50, true), call(100, true)], DEFAULT_CAPS))).toBe(7 * 24 - 100);
    const month = Array.from({ length: 8 }, (_, i) => call(24 * (3.5 * i + 1), true));
    expect(at(capsNotBefore(month, { ...DEFAULT_CAPS, answeredPerWeek: null }))).toBeCloseTo(30 * 24 - 24 * (3.5 * 7 + 1));
  });

  it('a machine\'s answer is not a person\'s; attempts per week count every call when asked for; null turns a cap off', () => {
    expect(at(capsNotBefore([call(2, false), call(30, false)], DEFAULT_CAPS))).toBe(-1.75);
    const weekly = { ...DEFAULT_CAPS, attemptsPerWeek: 3 };
    expect(at(capsNotBefore([call(2, false), call(30, false), call(60, false)], weekly))).toBe(7 * 24 - 60);
    expect(at(capsNotBefore([call(2, true)], { ...DEFAULT_CAPS, answeredPerDay: null }))).toBe(-1.75);
  });
});
