import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EarlyMediaClassifier,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  type EarlyMediaKind,
  type EarlyMediaVerdict,
} from '../../src/media/index.js';
import { seededRandom } from '../support/random.js';
import { concatPcm, readWav } from '../support/wav.js';

/** Recordings made with espeak-ng and SoX; tests/fixtures/early-media/README.md has the commands. */
const DIR = 'tests/fixtures/early-media';
const FRAME = 160;

/** What each fixture must come out as by its end, and whether the caller could have cancelled. */
const FIXTURES: readonly { file: string; kind: EarlyMediaKind; settled: boolean; cue: RegExp }[] = [
  { file: 'ringback-ru.wav', kind: 'ringback', settled: false, cue: /^ringback 425 Hz cadence 1\.0 s on, 4\.0 s off$/ },
  { file: 'ringback-us.wav', kind: 'ringback', settled: false, cue: /^ringback 440\+480 Hz cadence 2\.0 s on$/ },
  { file: 'sit-unreachable-ru.wav', kind: 'announcement', settled: true, cue: /^SIT tones 950\/1400\/1800 Hz$/ },
  { file: 'announcement-ru.wav', kind: 'announcement', settled: false, cue: /^speech \d\.\d s$/ },
  { file: 'announcement-en.wav', kind: 'announcement', settled: false, cue: /^speech \d\.\d s$/ },
  { file: 'voicemail-ru.wav', kind: 'voicemail', settled: true, cue: /^speech then a 1000 Hz beep$/ },
  { file: 'silence.wav', kind: 'silence', settled: false, cue: /^nothing above -45 dBFS$/ },
];

/** The audio as recorded, and as a G.711 trunk delivers it: encoded by the far end, decoded by us. */
const LINES: Readonly<Record<string, (pcm: Int16Array) => Int16Array>> = {
  'as recorded': (pcm) => pcm,
  'through A-law': (pcm) => decodeAlaw(encodeAlaw(pcm)),
  'through μ-law': (pcm) => decodeUlaw(encodeUlaw(pcm)),
};

const load = (file: string) => readWav(join(DIR, file)).samples;

interface Heard {
  clf: EarlyMediaClassifier;
  /** The verdict after each frame. */
  verdicts: (EarlyMediaVerdict | null)[];
  /** settled after each frame. */
  settled: boolean[];
}

/** Feeds pcm in 20 ms frames through one buffer that is overwritten each time, as the RTP loop does. */
function classify(pcm: Int16Array, clf = new EarlyMediaClassifier()): Heard {
  const frame = new Int16Array(FRAME);
  const verdicts: (EarlyMediaVerdict | null)[] = [];
  const settled: boolean[] = [];
  for (let at = 0; at + FRAME <= pcm.length; at += FRAME) {
    frame.set(pcm.subarray(at, at + FRAME));
    clf.push(frame);
    verdicts.push(clf.verdict());
    settled.push(clf.settled);
  }
  return { clf, verdicts, settled };
}

const kinds = (h: Heard) => new Set(h.verdicts.map((v) => v?.kind ?? null));
const firstFrame = (h: Heard, kind: EarlyMediaKind) => h.verdicts.findIndex((v) => v?.kind === kind);
const concat = (...parts: Int16Array[]) => concatPcm(parts);

/** Sums of sines at `level` of full scale (each), then silence, piece by piece: [[hz...], ms]. */
function tones(pieces: readonly (readonly [readonly number[], number])[], level = 0.3): Int16Array {
  const out = new Int16Array(pieces.reduce((n, [, ms]) => n + ms * 8, 0));
  let n = 0;
  for (const [hz, ms] of pieces) {
    for (let i = 0; i < ms * 8; i++, n++) out[n] = Math.round(hz.reduce((s, f) => s + Math.sin((2 * Math.PI * f * n) / 8000), 0) * 32767 * level);
  }
  return out;
}

function whiteNoise(samples: number, rms: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  return Int16Array.from({ length: samples }, () => {
    const gauss = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    return Math.max(-32768, Math.min(32767, Math.round(rms * gauss)));
  });
}

describe('early-media fixtures', () => {
  it('lists every WAV file of the folder, each 8 kHz mono 16-bit, 3-6 s and under 100 KB', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.wav')).sort();
    expect(files).toEqual(FIXTURES.map((f) => f.file).sort());
    for (const file of files) {
      const wav = readWav(join(DIR, file));
      expect({ file, rate: wav.sampleRate, channels: wav.channels }).toEqual({ file, rate: 8000, channels: 1 });
      expect(wav.samples.length / 8000).toBeGreaterThanOrEqual(3);
      expect(wav.samples.length / 8000).toBeLessThanOrEqual(6);
      expect(statSync(join(DIR, file)).size).toBeLessThan(100_000);
    }
  });
});

describe('EarlyMediaClassifier', () => {
  for (const [line, through] of Object.entries(LINES)) {
    for (const f of FIXTURES) {
      it(`classifies ${f.file} ${line} as ${f.kind}${f.settled ? ', settled' : ''}, naming the cue`, () => {
        const heard = classify(through(load(f.file)));
        expect(heard.clf.verdict()).toEqual({ kind: f.kind, cue: expect.stringMatching(f.cue) });
        expect(heard.clf.settled).toBe(f.settled);
      });
    }

    it(`says nothing in the first 200 ms of any fixture ${line}`, () => {
      for (const f of FIXTURES) expect(classify(through(load(f.file))).verdicts.slice(0, 10)).toEqual(Array(10).fill(null));
    });

    it(`never calls a voice announcement or a mailbox ringback, at any frame, ${line}`, () => {
      for (const file of ['sit-unreachable-ru.wav', 'announcement-ru.wav', 'announcement-en.wav', 'voicemail-ru.wav']) {
        expect({ file, ringback: kinds(classify(through(load(file)))).has('ringback') }).toEqual({ file, ringback: false });
      }
    });

    it(`never calls ringback an announcement or voicemail, at any frame, ${line}`, () => {
      for (const file of ['ringback-ru.wav', 'ringback-us.wav']) {
        expect({ file, kinds: [...kinds(classify(through(load(file))))] }).toEqual({ file, kinds: [null, 'ringback'] });
      }
    });
  }

  it('settles on SIT within 0.8 s, before a word of the message, and the verdict then stays put', () => {
    const heard = classify(concat(load('sit-unreachable-ru.wav'), load('ringback-ru.wav')));
    const at = heard.settled.indexOf(true);
    expect(at * 20).toBeLessThanOrEqual(800);
    expect(heard.settled.slice(at).every(Boolean)).toBe(true);
    expect(new Set(heard.verdicts.slice(at))).toEqual(new Set([heard.verdicts[at]]));
    expect(heard.clf.heardMs).toBe(heard.verdicts.length * 20);
  });

  it('settles on voicemail only once the beep is heard: an announcement before it, voicemail within 0.5 s of its start', () => {
    const beepStartMs = load('voicemail-ru.wav').length / 8 - 500;
    const heard = classify(load('voicemail-ru.wav'));
    const settledMs = heard.settled.indexOf(true) * 20;
    expect(settledMs).toBeGreaterThan(beepStartMs);
    expect(settledMs).toBeLessThanOrEqual(beepStartMs + 500);
    expect(heard.verdicts[settledMs / 20 - 1]?.kind).toBe('announcement');
  });

  it('settles on a short beep once it has ended, when no SIT tone follows', () => {
    const greeting = load('announcement-ru.wav');
    const heard = classify(concat(greeting, tones([[[], 300], [[1400], 250], [[], 500]])));
    expect(heard.clf.verdict()).toEqual({ kind: 'voicemail', cue: 'speech then a 1400 Hz beep' });
    expect(heard.clf.settled).toBe(true);
  });

  it('takes a message that loops back into SIT for an announcement, not for speech then a beep', () => {
    const heard = classify(concat(load('announcement-ru.wav'), load('sit-unreachable-ru.wav')));
    expect(heard.clf.verdict()).toEqual({ kind: 'announcement', cue: 'SIT tones 950/1400/1800 Hz' });
    expect(kinds(heard).has('voicemail')).toBe(false);
  });

  it('follows ringback into a mailbox: ringback, then an announcement, then voicemail, settled', () => {
    const heard = classify(concat(load('ringback-ru.wav'), load('voicemail-ru.wav')));
    const order = (['ringback', 'announcement', 'voicemail'] as const).map((k) => firstFrame(heard, k));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(heard.clf.settled).toBe(true);
  });

  for (const [name, sit, cue] of [
    ['ANSI short (274 ms)', [[[913.8], 274], [[1370.6], 274], [[1776.7], 380]], 'SIT tones 913.8/1370.6/1776.7 Hz'],
    ['ANSI long (380 ms)', [[[985.2], 380], [[1428.5], 380], [[1776.7], 380]], 'SIT tones 985.2/1428.5/1776.7 Hz'],
  ] as const) {
    it(`settles on the ${name} SIT variant through A-law`, () => {
      const heard = classify(decodeAlaw(encodeAlaw(tones([...sit, [[], 500]]))));
      expect(heard.clf.verdict()).toEqual({ kind: 'announcement', cue });
      expect(heard.clf.settled).toBe(true);
    });
  }

  it('takes a continuous 425 Hz tone for ringback', () => {
    expect(classify(tones([[[425], 4000]])).clf.verdict()).toEqual({ kind: 'ringback', cue: 'ringback 425 Hz continuous' });
  });

  it('never takes busy (0.35 / 0.35 s) or congestion (0.175 / 0.175 s) tone, also 425 Hz, for ringback', () => {
    // 30 s each: the frames where a tone starts or stops must not add up to speech either.
    const busy = tones(Array.from({ length: 43 }, () => [[[425], 350], [[], 350]] as const).flat());
    const congestion = tones(Array.from({ length: 86 }, () => [[[425], 175], [[], 175]] as const).flat());
    expect([...kinds(classify(busy))]).toEqual([null]);
    expect([...kinds(classify(congestion))]).toEqual([null]);
  });

  it('does not take a beep without speech before it for voicemail', () => {
    const heard = classify(tones([[[], 500], [[1000], 500], [[], 1000]]));
    expect(heard.clf.verdict()).toBeNull();
    expect(heard.clf.settled).toBe(false);
  });

  it('calls loud steady noise neither speech nor silence', () => {
    expect([...kinds(classify(whiteNoise(24_000, 3000, 3)))]).toEqual([null]);
  });

  it('still finds the announcements with white noise at -35 dBFS on the line, through A-law', () => {
    for (const file of ['announcement-ru.wav', 'announcement-en.wav']) {
      const pcm = load(file);
      const noise = whiteNoise(pcm.length, 32768 * 10 ** (-35 / 20), 7);
      const noisy = Int16Array.from(pcm, (v, i) => Math.max(-32768, Math.min(32767, v + noise[i]!)));
      expect({ file, kind: classify(decodeAlaw(encodeAlaw(noisy))).clf.verdict()?.kind }).toEqual({ file, kind: 'announcement' });
    }
  });

  it('handles frames of all zeros and of a full-scale square wave without NaN, and still classifies what follows', () => {
    const zeros = new Int16Array(FRAME);
    const square = Int16Array.from({ length: FRAME }, (_, n) => ((n >> 3) & 1 ? -32768 : 32767));
    const clf = new EarlyMediaClassifier();
    for (let i = 0; i < 60; i++) clf.push(i % 3 === 2 ? square : zeros);
    expect(clf.heardMs).toBe(1200);
    expect(JSON.stringify(clf.verdict())).not.toMatch(/NaN|Infinity/);
    const heard = classify(load('announcement-en.wav'), clf);
    expect(heard.clf.verdict()).toEqual({ kind: 'announcement', cue: expect.stringMatching(/^speech \d\.\d s$/) });
    expect(heard.verdicts.every((v) => v === null || !/NaN|Infinity/.test(v.cue))).toBe(true);
  });

  it('comes to the same verdicts whether the caller reuses its frame buffer or not', () => {
    const pcm = load('voicemail-ru.wav');
    const fresh = new EarlyMediaClassifier();
    const own: (EarlyMediaVerdict | null)[] = [];
    for (let at = 0; at + FRAME <= pcm.length; at += FRAME) {
      fresh.push(pcm.slice(at, at + FRAME));
      own.push(fresh.verdict());
    }
    expect(classify(pcm).verdicts).toEqual(own);
  });

  it('push() rejects a frame that is not 160 samples with a RangeError and counts nothing', () => {
    const clf = new EarlyMediaClassifier();
    expect(() => clf.push(new Int16Array(80))).toThrow(RangeError);
    expect(clf.heardMs).toBe(0);
  });
});
