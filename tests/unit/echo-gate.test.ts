import { describe, expect, it } from 'vitest';
import { EchoGate, levelDb } from '../../src/media/echo-gate.js';
import { modemSpeak } from '../../src/speech/index.js';
import { readWav } from '../support/wav.js';

/**
 * The echo gate on a simulated line, frame by frame with the times a real one has: the robot's
 * frames leave every 20 ms (±2 ms of pacing), the callee's arrive every 20 ms (±6 ms of network
 * jitter) carrying the callee's voice, the robot's own audio delayed by an echo path that is no
 * whole number of frames and quieter by its loss, and line noise. Voices: speech clips from
 * tests/fixtures/amd (espeak-ng, as heard on a line) and the modem voice.
 */
const FRAME = 160;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
}

interface Line {
  robot: Int16Array;
  robotAtMs?: number;
  callee?: Int16Array;
  calleeAtMs?: number;
  echoDelayMs: number;
  echoLossDb: number | null;
  noiseDbfs?: number;
  ms: number;
  seed?: number;
}

/** Runs the line through a gate: per callee frame, whether it held echo, the callee's voice, and whether the gate brought it down. */
function run(l: Line) {
  const gate = new EchoGate();
  const rand = rng(l.seed ?? 7);
  const n = (l.ms / 1000) * 8000;
  const at = (x: Int16Array | undefined, startMs: number, i: number) => (x ? x[i - (startMs / 1000) * 8000] ?? 0 : 0);
  const gain = l.echoLossDb === null ? 0 : 10 ** (-l.echoLossDb / 20);
  const delay = Math.round((l.echoDelayMs / 1000) * 8000);
  const noise = 32768 * 10 ** ((l.noiseDbfs ?? -60) / 20) * 3.46;
  const events: { t: number; fn: () => void }[] = [];
  const frames: { echo: number; voice: number; suppressed: boolean }[] = [];
  for (let k = 0; k * FRAME < n; k++) {
    const sent = Int16Array.from({ length: FRAME }, (_, i) => at(l.robot, l.robotAtMs ?? 0, k * FRAME + i));
    const sentAt = k * 20 + 4 * rand();
    events.push({ t: sentAt, fn: () => gate.sent(sent, sentAt) });
    const echo = Int16Array.from({ length: FRAME }, (_, i) => gain * at(l.robot, l.robotAtMs ?? 0, k * FRAME + i - delay));
    const voice = Int16Array.from({ length: FRAME }, (_, i) => at(l.callee, l.calleeAtMs ?? 0, k * FRAME + i));
    const heard = Int16Array.from({ length: FRAME }, (_, i) => Math.max(-32768, Math.min(32767, echo[i]! + voice[i]! + noise * rand())));
    const t = k * 20 + 20 + 6 * rand() + 3;
    events.push({
      t, fn: () => frames.push({ echo: levelDb(echo), voice: levelDb(voice), suppressed: gate.heard(heard, t) }),
    });
  }
  events.sort((a, b) => a.t - b.t);
  for (const e of events) e.fn();
  return { frames, figures: gate.figures };
}

const speech = (f: string) => readWav(`tests/fixtures/amd/${f}.wav`).samples;
/** a long robot prompt: two mailbox greetings end to end (espeak-ng speech, 8 kHz) */
const prompt = (() => {
  const a = speech('machine-ru-1');
  const b = speech('machine-ru-3');
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
})();

const share = (xs: boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);

describe('echo gate', () => {
  for (const [voice, robot] of [['speech', prompt], ['the modem voice', modemSpeak('Здравствуйте, Анна Петровна! Это поликлиника номер семь. Мы приглашаем вас на бесплатный профилактический осмотр. Вам удобно говорить?')]] as const) {
    for (const [delay, loss] of [[83, 12], [37, 8], [251, 20]] as const) {
      it(`${voice}, echo ${delay} ms and ${loss} dB down: once found, the echo alone is brought down; the callee's louder voice passes`, () => {
        const { frames, figures } = run({ robot, echoDelayMs: delay, echoLossDb: loss, callee: speech('human-allo-ru-1'), calleeAtMs: 2500, ms: 6000 });
        expect(figures.echoDelayMs).toBeGreaterThanOrEqual(delay - 30);
        expect(figures.echoDelayMs).toBeLessThanOrEqual(delay + 40);
        expect(figures.echoLossDb).toBeGreaterThan(loss - 3);
        expect(figures.echoLossDb).toBeLessThan(loss + 6);
        // from 600 ms on: frames of audible echo and no voice
        const echoOnly = frames.filter((f, k) => k >= 30 && f.echo > -50 && f.voice < -60);
        expect(echoOnly.length).toBeGreaterThan(50);
        expect(share(echoOnly.map((f) => f.suppressed))).toBeGreaterThan(0.9);
        // the callee's voice 6 dB or more over the echo is theirs
        const voiced = frames.filter((f) => f.voice > -45 && f.voice > f.echo + 6);
        expect(voiced.length).toBeGreaterThan(5);
        expect(share(voiced.map((f) => !f.suppressed))).toBeGreaterThan(0.9);
      });
    }
  }

  it('double talk: a mailbox greeting about as loud as the echo is mostly heard, its quieter syllables included, not cut into pieces', () => {
    const quieter = speech('machine-ru-3').map((v) => v * 10 ** (-8 / 20));
    const { frames } = run({ robot: prompt, echoDelayMs: 83, echoLossDb: 12, callee: quieter, calleeAtMs: 1500, ms: 6000 });
    const voiced = frames.filter((f) => f.voice > -50 && f.voice > f.echo - 3);
    console.log(`double talk: ${voiced.filter((f) => !f.suppressed).length} of ${voiced.length} voiced frames passed`);
    expect(voiced.length).toBeGreaterThan(40);
    // measured: 68 of 85 pass (80%); 50 (59%) without the hangover after a clearly voiced frame
    expect(share(voiced.map((f) => !f.suppressed))).toBeGreaterThan(0.75);
  });

  it('a line without echo: nothing is touched, the callee talking over the robot included', () => {
    const { frames, figures } = run({ robot: prompt, echoDelayMs: 0, echoLossDb: null, callee: speech('human-allo-govorite-ru'), calleeAtMs: 300, ms: 6000 });
    expect(frames.filter((f) => f.suppressed)).toEqual([]);
    expect(figures).toEqual({ echoDelayMs: null, echoLossDb: null, framesEchoSuppressed: 0 });
  });

  for (const [voice, robot] of [['speech', prompt], ['the modem voice', modemSpeak('Здравствуйте, Анна Петровна! Это поликлиника номер семь. Мы приглашаем вас на бесплатный профилактический осмотр. Вам удобно говорить?')]] as const) {
    for (const at of [100, 200, 300]) {
      it(`${voice}: a callee who says "алло" ${at} ms after the robot starts, on a line without echo, is not taken for its echo`, () => {
        for (const gainDb of [0, -6, -12]) {
          const allo = speech('human-allo-ru-1').map((v) => v * 10 ** (gainDb / 20));
          const { frames } = run({ robot, echoDelayMs: 0, echoLossDb: null, callee: allo, calleeAtMs: at, ms: 4000 });
          expect(frames.filter((f) => f.suppressed).length).toBe(0);
        }
      });
    }
  }

  it('a mailbox greeting played while the robot greets is not the robot\'s echo: it passes', () => {
    const { frames } = run({ robot: prompt, echoDelayMs: 0, echoLossDb: null, callee: speech('machine-ru-3'), calleeAtMs: 200, ms: 5000 });
    expect(frames.filter((f) => f.suppressed).length).toBeLessThanOrEqual(2);
  });

  it('an echo quieter than the line\'s noise is left alone', () => {
    const { frames } = run({ robot: prompt, echoDelayMs: 83, echoLossDb: 45, noiseDbfs: -55, ms: 5000 });
    expect(share(frames.map((f) => f.suppressed))).toBeLessThan(0.05);
  });
});
