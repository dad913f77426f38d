import { describe, expect, it } from 'vitest';
import { Vad, type VadEvent } from '../../src/media/vad.js';
import { seededRandom } from '../support/random.js';
import { readWav } from '../support/wav.js';
import { concatPcm } from '../support/wav.js';

const FRAME = 160;

/** Runs pcm through a VAD in 20 ms frames and returns its events. */
function run(pcm: Int16Array, vad = new Vad()): VadEvent[] {
  const out: VadEvent[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
    const ev = vad.push(pcm.subarray(i, i + FRAME));
    if (ev) out.push(ev);
  }
  return out;
}

function noise(ms: number, dbfs: number, seed = 1): Int16Array {
  const rnd = seededRandom(seed);
  const amp = 32768 * 10 ** (dbfs / 20) * Math.sqrt(3);
  return Int16Array.from({ length: ms * 8 }, () => Math.round((rnd() * 2 - 1) * amp));
}

const concat = (...parts: Int16Array[]): Int16Array => concatPcm(parts);

function mix(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (x, i) => Math.max(-32768, Math.min(32767, x + (b[i] ?? 0))));
}

/** Where a recording's speech starts: its first 20 ms frame 20 dB above its quietest. */
const speech = readWav('tests/fixtures/early-media/announcement-ru.wav').samples;

describe('voice activity detection', () => {
  it('finds the start of speech after silence within 100 ms, dated to its first voiced frame, and its end after the last word', () => {
    const pcm = concat(noise(1000, -60), speech, noise(1000, -60, 2));
    const events = run(pcm);
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
    const start = events[0]!.atMs;
    expect(start).toBeGreaterThanOrEqual(1000);
    expect(start).toBeLessThan(1100);
    const end = events[1] as Extract<VadEvent, { type: 'end' }>;
    expect(end.speechMs).toBeGreaterThan(1500);
    expect(end.atMs).toBeLessThanOrEqual(1000 + speech.length / 8);
  });

  it('hears nothing in silence or steady line noise; loud noise from the first frame only until the floor has caught up', () => {
    expect(run(new Int16Array(8000 * 3))).toEqual([]);
    expect(run(noise(5000, -60))).toEqual([]);
    // the floor starts as on a quiet line (a phone that sends nothing before its user speaks must
    // not make their first words the floor): noise louder than that reads as speech for a while
    for (const dbfs of [-45, -30]) {
      const events = run(noise(8000, dbfs));
      expect(events.map((e) => e.type), `${dbfs} dBFS`).toEqual(['start', 'end']);
      expect(events[1]!.atMs, `${dbfs} dBFS`).toBeLessThan(3500);
    }
  });

  it('follows a line that gets 20 dB noisier within about two seconds, and then hears speech over the noise', () => {
    const pcm = concat(noise(2000, -60), noise(4000, -40, 3), mix(speech, noise(speech.length / 8, -40, 4)));
    const events = run(pcm);
    // the step itself reads as speech until the floor has caught up: an energy VAD cannot tell a
    // step in noise from an onset
    expect(events[0]).toMatchObject({ type: 'start' });
    expect(events[0]!.atMs).toBeLessThan(2100);
    expect(events[1]).toMatchObject({ type: 'end' });
    expect(events[1]!.atMs).toBeLessThan(4500);
    expect(events[2]).toMatchObject({ type: 'start' });
    expect(events[2]!.atMs).toBeGreaterThanOrEqual(6000);
    expect(events[2]!.atMs).toBeLessThan(6200);
  });

  it('times a short backchannel ("угу", 300 ms) apart from a sentence', () => {
    const uhu = noise(300, -20, 9); // 300 ms of voice-loud sound
    const events = run(concat(noise(500, -60), uhu, noise(1000, -60, 5)));
    const end = events.find((e) => e.type === 'end') as Extract<VadEvent, { type: 'end' }>;
    expect(end.speechMs).toBeLessThan(600);
    expect(end.speechMs).toBeGreaterThan(100);
  });

  it('says nothing for a click (a single loud frame)', () => {
    const click = new Int16Array(FRAME).fill(20000);
    expect(run(concat(noise(500, -60), click, noise(500, -60, 6)))).toEqual([]);
  });
});
