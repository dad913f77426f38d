/**
 * Erlang C: the chance a call waits, and the mean wait, for `agents` operators offered `traffic`
 * erlangs (arrival rate x mean handling time). Used to size operator queues (DOMAIN.md: AHT
 * ~180 s, 80% answered in 20 s) and to pace campaigns that hand off.
 */
export function erlangC(agents: number, traffic: number): number {
  if (agents <= 0) return 1;
  if (traffic <= 0) return 0;
  if (traffic >= agents) return 1;
  // the Erlang B recursion, stable for large agent counts, then B -> C
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (traffic * b) / (k + traffic * b);
  return (agents * b) / (agents - traffic * (1 - b));
}

/** The mean wait of a call (ms) in an M/M/c queue: P(wait) x AHT / (c - A). Infinite when the operators cannot keep up. */
export function meanWaitMs(agents: number, arrivalsPerHour: number, ahtMs: number): number {
  const traffic = (arrivalsPerHour * ahtMs) / 3_600_000;
  if (agents <= 0 || traffic >= agents) return arrivalsPerHour > 0 ? Infinity : 0;
  return (erlangC(agents, traffic) * ahtMs) / (agents - traffic);
}

/** The share of calls answered within `targetMs`: 1 - P(wait) e^{-(c - A) t / AHT}. */
export function serviceLevel(agents: number, arrivalsPerHour: number, ahtMs: number, targetMs: number): number {
  const traffic = (arrivalsPerHour * ahtMs) / 3_600_000;
  if (agents <= 0 || traffic >= agents) return arrivalsPerHour > 0 ? 0 : 1;
  return 1 - erlangC(agents, traffic) * Math.exp((-(agents - traffic) * targetMs) / ahtMs);
}

/** The fewest operators that answer `level` of calls within `targetMs`. */
export function operatorsNeeded(arrivalsPerHour: number, ahtMs: number, targetMs: number, level: number): number {
  for (let c = 1; c < 10_000; c++) if (serviceLevel(c, arrivalsPerHour, ahtMs, targetMs) >= level) return c;
  return Infinity;
}

/**
 * The most handoffs an hour the operators on duty can take with calls waiting no longer than
 * `targetWaitMs` on average: the dialer keeps a campaign that hands off under it.
 */
export function handoffCapacityPerHour(agents: number, ahtMs: number, targetWaitMs: number): number {
  if (agents <= 0) return 0;
  let lo = 0;
  let hi = (agents * 3_600_000) / ahtMs;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (meanWaitMs(agents, mid, ahtMs) <= targetWaitMs) lo = mid;
    else hi = mid;
  }
  return lo;
}
