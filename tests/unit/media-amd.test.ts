import { describe, expect, it } from 'vitest';
import { buildAmdMix, confusion, loadAmdSet, runAmdMix, runAmdSet } from '../../bench/amd-set.js';
import { AnsweringMachineDetector, type AmdOptions } from '../../src/media/index.js';

/** Frames of ms of audio made by f(sample index). */
function frames(ms: number, f: (i: number) => number): Int16Array[] {
  const pcm = Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(f(i)));
  return Array.from({ length: pcm.length / 160 }, (_, k) => pcm.subarray(k * 160, k * 160 + 160));
}
const silence = (ms: number) => frames(ms, () => 0);
/** syllables: a 200 Hz buzz with a bit of 700 Hz, its loudness swelling four times a second */
const speech = (ms: number) =>
  frames(ms, (i) => {
    const t = i / 8000;
    return 8000 * (0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t)) * (Math.sign(Math.sin(2 * Math.PI * 200 * t)) * 0.7 + 0.3 * Math.sin(2 * Math.PI * 700 * t));
  });
const tone = (ms: number, hz: number) => frames(ms, (i) => 10000 * Math.sin((2 * Math.PI * hz * i) / 8000));

function feed(parts: Int16Array[][], opts?: AmdOptions, text?: { atMs: number; text: string }) {
  const amd = new AnsweringMachineDetector(opts);
  let ms = 0;
  for (const f of parts.flat()) {
    amd.push(f);
    ms += 20;
    if (text && ms === text.atMs) amd.heard(text.text);
  }
  return amd.verdict();
}

describe('AnsweringMachineDetector cues', () => {
  it('pure silence: notsure at initialSilenceMs', () => {
    expect(feed([silence(4000)])).toMatchObject({ verdict: 'notsure', atMs: 2500 });
    expect(feed([silence(4000)], { initialSilenceMs: 1000 })).toMatchObject({ verdict: 'notsure', atMs: 1000 });
  });
  it('a 0.5 s burst, then silence: human', () => {
    const v = feed([silence(300), speech(500), silence(2000)]);
    expect(v?.verdict).toBe('human');
    expect(v!.atMs).toBeGreaterThanOrEqual(300 + 500 + 800);
    expect(v!.atMs).toBeLessThanOrEqual(300 + 500 + 800 + 100);
  });
  it('2.5 s of continuous speech: machine, once past greetingMs', () => {
    const v = feed([silence(300), speech(2500), silence(1000)]);
    expect(v).toMatchObject({ verdict: 'machine' });
    expect(v!.atMs).toBeLessThanOrEqual(300 + 1500 + 100);
  });
  it('a 1000 Hz beep: machine', () => {
    expect(feed([silence(300), tone(400, 1000), silence(2000)])).toMatchObject({ verdict: 'machine', cue: 'beep 1000 Hz' });
    expect(feed([silence(300), tone(400, 1800), silence(2000)])?.cue).toMatch(/^beep 1(79|80)\d Hz$/);
  });
  it('screening text: screening, also over a machine verdict within the grace', () => {
    expect(feed([silence(300), speech(800), silence(2000)], {}, { atMs: 1100, text: 'Кто звонит?' })).toMatchObject({ verdict: 'screening' });
    const late = feed([silence(300), speech(3000), silence(1000)], {}, { atMs: 3300, text: 'Я голосовой ПОМОЩНИК абонента' });
    expect(late).toMatchObject({ verdict: 'screening', atMs: 3300 });
    expect(late!.cue).toContain('was machine');
    expect(feed([silence(300), speech(5000)], {}, { atMs: 5000, text: 'помощник' })?.verdict).toBe('machine');
    expect(feed([silence(300), speech(500), silence(2000)], {}, { atMs: 2000, text: 'помощник' })?.verdict).toBe('human');
  });
  it('ordinary words do not make screening', () => {
    expect(feed([silence(300), speech(500), silence(2000)], {}, { atMs: 800, text: 'Алло, говорите' })?.verdict).toBe('human');
  });
  it('decides by totalMs: a word late in the window is notsure', () => {
    expect(feed([silence(2400), speech(300), silence(2000)])).toMatchObject({ verdict: 'notsure', atMs: 3000 });
  });
});

describe('AMD on the labelled set (tests/fixtures/amd/set.json)', () => {
  const runs = runAmdSet();
  const figures = { ...confusion(runs), accuracy: runs.filter((r) => r.verdict === r.spec.label).length / runs.length };

  it('has at least 60 mixes, each built the same every time', () => {
    expect(runs.length).toBeGreaterThanOrEqual(60);
    const spec = loadAmdSet()[0]!;
    expect(buildAmdMix(spec).pcm).toEqual(buildAmdMix(spec).pcm);
    expect(runAmdMix(buildAmdMix(spec))).toEqual(runAmdMix(buildAmdMix(spec)));
  });
  it('is right on at least 85%', () => {
    console.log(figures, runs.filter((r) => r.verdict !== r.spec.label).map((r) => `${r.spec.id} -> ${r.verdict} at ${r.atMs} ms (${r.cue})`));
    expect(figures.accuracy).toBeGreaterThanOrEqual(0.85);
  });
  it('never calls a human a machine', () => {
    expect(runs.filter((r) => r.spec.label === 'human' && r.verdict === 'machine').map((r) => r.spec.id)).toEqual([]);
  });
  it('decides within 3 s of audio (screening text: 1.5 s later at most)', () => {
    for (const r of runs) expect(r.atMs, r.spec.id).toBeLessThanOrEqual(r.verdict === 'screening' ? 4500 : 3000);
  });
});
