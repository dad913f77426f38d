/**
 * `amd:` answering-machine detection on the labelled set (tests/fixtures/amd/set.json; see
 * bench/amd-set.ts): accuracy, the confusion matrix (one figure per true label), when the verdicts
 * came (ms of audio after the answer) and the cost per frame. Run from the repository root.
 */
import { performance } from 'node:perf_hooks';
import { buildAmdMix, confusion, loadAmdSet, runAmdMix } from './amd-set.js';
import { concatPcm as concat, readWav } from './wav.js';

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
  // the same set on a line that echoes the robot's greeting back (80 ms, 12 dB down), with the
  // RTP session's echo gate and without: a person's "Алло?" under the robot's echo
  const greeting = concat([readWav('tests/fixtures/amd/machine-ru-1.wav').samples, readWav('tests/fixtures/amd/machine-ru-3.wav').samples]);
  for (const gate of [true, false]) {
    const echoed = mixes.map((mix) => runAmdMix(mix, undefined, { robot: greeting, delayMs: 80, lossDb: 12, gate }));
    const ok = echoed.filter((r) => r.verdict === r.spec.label).length;
    figures[`line echoing the robot (80 ms, 12 dB down), ${gate ? 'with' : 'without'} the echo gate`] =
      `accuracy ${Math.round((100 * ok) / echoed.length)}%, humans called machine ${echoed.filter((r) => r.spec.label === 'human' && r.verdict === 'machine').length} of ${echoed.filter((r) => r.spec.label === 'human').length}`;
  }
  return { name: `amd: accuracy ${Math.round((100 * right) / runs.length)}% (n=${runs.length})`, figures };
}
