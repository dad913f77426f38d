/**
 * deploy/grafana/zvonar.json draws only metrics the engine serves: every metric its queries name
 * is in /metrics of a running engine (PGlite, the simulated network, the embedded speech server).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databases } from '../support/databases.js';
import { testEngine } from '../support/engine.js';

describe('the Grafana dashboard', () => {
  it('queries only metrics /metrics serves', async () => {
    const dash = JSON.parse(readFileSync('deploy/grafana/zvonar.json', 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const named = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(zvonar_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(8);
    const db = await databases[0]!.open();
    const engine = await testEngine(db, new Map());
    try {
      const served = new Set((await engine.metrics.getMetricsAsJSON()).map((m) => m.name));
      expect([...named].filter((n) => !served.has(n))).toEqual([]);
    } finally {
      await engine.close();
      await db.close();
    }
  });
});
