/**
 * Caps per person, across every campaign and dialer process: how often one patient, or one
 * number (families share phones), may be called. DOMAIN.md, after 230-FZ as a ceiling: at most
 * one answered call a day, two a week, eight a month; and a minimum gap between any two calls
 * (15 minutes by default: under the BUSY retry's 20).
 * Windows are rolling (24 h, 7 days, 30 days), stricter than calendar ones at their edges.
 *
 * Applied where a call ends (finishAttempt, in its transaction): the patient's and the number's
 * other open contacts, in every campaign, are not due before capsNotBefore(); and a lease pushes
 * them past its own end, so no two calls reach one person at once (src/registry/contacts.ts).
 */
export interface PersonCaps {
  answeredPerDay: number | null;
  answeredPerWeek: number | null;
  answeredPerMonth: number | null;
  /** attempts, answered or not, in 7 days */
  attemptsPerWeek: number | null;
  /** between the starts of any two calls to the person or the number */
  minGapMinutes: number;
}

export const DEFAULT_CAPS: PersonCaps = { answeredPerDay: 1, answeredPerWeek: 2, answeredPerMonth: 8, attemptsPerWeek: null, minGapMinutes: 15 };

/** One earlier call of the person or the number: when it started, and whether a person (not a machine) answered. */
export interface PastCall {
  at: Date;
  answered: boolean;
}

const DAY = 86_400_000;

/** The history the caps read: 30 days back. */
export const CAPS_LOOKBACK_MS = 30 * DAY;

/** The first moment the caps allow another call, given the calls before it; null: any time. */
export function capsNotBefore(history: readonly PastCall[], caps: PersonCaps): Date | null {
  if (!history.length) return null;
  const latest = (calls: readonly PastCall[]) => [...calls].sort((a, b) => b.at.getTime() - a.at.getTime());
  const all = latest(history);
  const answered = all.filter((c) => c.answered);
  const limits: [number | null, number, PastCall[]][] = [
    [caps.answeredPerDay, DAY, answered],
    [caps.answeredPerWeek, 7 * DAY, answered],
    [caps.answeredPerMonth, 30 * DAY, answered],
    [caps.attemptsPerWeek, 7 * DAY, all],
  ];
  let at = all[0]!.at.getTime() + caps.minGapMinutes * 60_000;
  // with `limit` calls in the window, the next may start once the limit-th latest leaves it
  for (const [limit, windowMs, calls] of limits) {
    if (limit !== null && calls.length >= limit) at = Math.max(at, calls[limit - 1]!.at.getTime() + windowMs);
  }
  return new Date(at);
}
