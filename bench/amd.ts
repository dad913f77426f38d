/**
 * `amd:` answering-machine detection on the labelled set (tests/fixtures/amd/set.json; see
 * bench/amd-set.ts): accuracy, the confusion matrix (one figure per true label), when the verdicts
 * came (ms of audio after the answer) and the cost per frame. Run from the repository root.
 */
import { performance } from 'node:perf_hooks';
import { buildAmdMix, confusion, loadAmdSet, runAmdMix } from './amd-set.js';

export async function benchAmd(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const mixes = loadAmdSet().map((spec) => buildAmdMix(spec));
  const started = performance.now();
  const runs = mixes.map((mix) => runAmdMix(mix));
  const elapsedMs = performance.now() - started;
  const right = runs.filter((r) => r.verdict === r.spec.label).length;
  const figures: Record<string, number | string> = { ...confusion(runs) };
  for (const verdict of ['human', 'machine', 'screening', 'notsure'] as const) {
    const at = runs.filter((r) => r.verdict === verdict).map((r) => r.atMs).sort((a, b) => a - b);
    if (at.length) figures[`${verdict} at, ms`] = `min ${at[0]}, median ${at[at.length >> 1]}, max ${at[at.length - 1]}`;
  }
  figures['humans called machine'] = runs.filter((r) => r.spec.label === 'human' && r.verdict === 'machine').length;
  const frames = runs.reduce((n, r) => n + (Number.isNaN(r.atMs) ? 0 : r.atMs / 20), 0);
  figures['µs per frame'] = Math.round((elapsedMs * 1000 * 100) / frames) / 100;
  return { name: `amd: accuracy ${Math.round((100 * right) / runs.length)}% (n=${runs.length})`, figures };
}
