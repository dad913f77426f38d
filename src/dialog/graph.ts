/** Walks over a script's step graph, without recursion (a script has up to MAX_STEPS steps). */

/** Every step reachable from the given ones (themselves included), not walking on from `stopAt` steps. */
export function reach(from: string[], next: (n: string) => string[], stopAt?: (n: string) => boolean): Set<string> {
  const seen = new Set<string>(from);
  const queue = [...from];
  while (queue.length) {
    const n = queue.shift()!;
    if (stopAt?.(n)) continue;
    for (const to of next(n)) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/** The shortest path from n back to n, as the steps visited (n first), or undefined. */
export function shortestCycle(n: string, next: (n: string) => string[]): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [n];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const to of next(cur)) {
      if (to === n) {
        const path = [cur];
        while (path[0] !== n) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(to) && to !== n) {
        parent.set(to, cur);
        queue.push(to);
      }
    }
  }
  return undefined;
}
