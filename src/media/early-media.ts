/**
 * (Over 400 lines: a third of it is this comment, which names every cue and threshold with the
 * figure measured for it; the classifier itself is one pass per frame and reads best whole.)
 *
 * Early media: what the callee's network plays in a SIP 183 Session Progress before anyone answers,
 * told from the decoded audio alone (8 kHz mono, 160-sample frames of 20 ms), by hand: energy, a
 * crossing-based frequency estimate, and a few Goertzel bins per frame (the single-tone measures
 * are in tone.ts, shared with amd.ts's beep detector).
 *
 *   ringback      the network rings the callee: keep waiting.
 *   announcement  an operator's recorded message ("Абонент недоступен или находится вне зоны
 *                 действия сети"): nobody will answer.
 *   voicemail     a mailbox greeting and its beep: a machine will answer.
 *   silence       nothing above the noise: many trunks open early media and stay quiet.
 *
 * Cues. Figures in [brackets] were measured on tests/fixtures/early-media (espeak-ng voices, SoX
 * tones) after an A-law round trip, clean and with white noise at -35 dBFS added.
 *
 * - Tone frame. Per frame: energy; a frequency from the rising crossings of +-0.3 RMS (within 1 Hz
 *   of a clean tone); one Goertzel bin at that frequency; and a least-squares fit of the 440 + 480 Hz
 *   pair (two fixed bins). A frame is a single tone when that bin holds >= 80% of the frame's energy
 *   [tones 0.986-1.0; speech frames at most 0.675], or the pair when the fit holds >= 90% with each
 *   of the two >= 25% [the pair: fit 1.0, 41-63% each; a lone 425 Hz tone: 10% on 480 Hz]. Band
 *   edges below are widened by 5 Hz for the estimate's own error.
 * - Tone run: consecutive tone frames of one kind, a single tone within 25 Hz of the run's mean
 *   frequency. One odd frame (a tone's ragged edge) does not end a run.
 * - Ringback: a run of one tone at 400-450 Hz (Russia, Europe: 425 Hz) or of the 440 + 480 Hz pair
 *   (North America) lasting >= 0.8 s. The cadence (Russia 1 s on / 4 s off, taken as 0.8-1.2 s on
 *   and 3-5 s off; North America 2 s on / 4 s off; or a continuous tone, >= 3 s) only names it in
 *   the cue: busy (0.35 / 0.35 s) and congestion (0.175 / 0.175 s) tones share 425 Hz but never
 *   last 0.8 s, so they are not ringback. Not settled: ringing may still turn into a message.
 * - SIT, special information tones (ITU-T E.180 and Q.35: 950, 1400, 1800 Hz, 330 ms each; the ANSI
 *   T1.401 variants 913.8 or 985.2, 1370.6 or 1428.5, 1776.7 Hz, 274 or 380 ms): three single-tone
 *   runs in the ascending bands 900-1000, 1350-1450, 1750-1850 Hz, the first two lasting
 *   100-500 ms, at most 100 ms apart, all within 1.5 s -> announcement, settled once the third has
 *   lasted 100 ms.
 * - Speech frame: above -45 dBFS and >= 6 dB above the noise floor (the quietest frame of the last
 *   2 s) [steady white noise and a steady chord never are]; its strongest tone holding < 60% of its
 *   energy, and not the pair; crossing at >= 100 Hz, as a trunk passes 300-3400 Hz and slower
 *   swings are rumble [brown noise: 130 of 150 frames below]; and not next to a tone frame, where
 *   a tone starts or stops mid-frame [else 60 s of congestion tone ended up an announcement].
 *   Syllables: these frames differ from the running level (the mean of loud frames, 200 ms time
 *   constant) by >= 3 dB on average [speech 4.5-6.5 dB]. >= 1.2 s of speech frames ->
 *   announcement, not settled: without SIT, a message may yet prove to be a mailbox greeting.
 * - Beep: after >= 0.8 s of speech, a single tone of 800-2100 Hz that starts within 3 s of the last
 *   speech frame and lasts 150 ms-2 s -> voicemail, settled. Settled when the tone ends (and no next
 *   SIT tone follows within 100 ms: a looping message may play SIT after its words), or once the
 *   tone has lasted 450 ms, longer than any SIT tone: the 2 s upper limit is not waited for.
 * - Silence: >= 1 s heard and no more than 2 frames above -45 dBFS.
 *
 * Until one settles, the latest cue wins: ringback after a message says ringback again, a message
 * after ringback says announcement. Once settled, push() only counts time.
 *
 * Not told apart: music played instead of ringback (operators' "ringback tone" services) swells
 * like syllables [a chord swelling 3 times a second: 4.1 dB] and reads as an announcement, which
 * is why speech alone never settles. The UK's double ring (0.4 s bursts of 400 + 450 Hz) is not
 * ringback here.
 *
 * Cost: per frame, one pass for energy and the pair's four products, then on loud frames one for
 * crossings and one Goertzel bin; no allocation [about 4 µs a frame of speech, 1 µs of ringback,
 * on one core of the development machine]. The verdict object is made when verdict() is asked after a change.
 */

import { crossingFrequency, goertzelShare } from './tone.js';

export type EarlyMediaKind = 'ringback' | 'announcement' | 'voicemail' | 'silence';

export interface EarlyMediaVerdict {
  readonly kind: EarlyMediaKind;
  /** Short English words naming what decided it, e.g. 'SIT tones 950/1400/1800 Hz', 'speech 2.4 s'. */
  readonly cue: string;
}

const RATE_HZ = 8000;
const FRAME_SAMPLES = 160;
const FRAME_MS = 20;
/** Mean power of a full-scale square wave: 0 dBFS. */
const FULL_SCALE_POWER = 32768 * 32768;

/** The thresholds the cues above name; every duration is in milliseconds. */
const T = {
  loudDbfs: -45,
  quietFramesAllowed: 2,
  silenceAfterMs: 1000,
  toneShare: 0.8,
  pairFit: 0.9,
  pairEachShare: 0.25,
  runToleranceHz: 25,
  speechMaxToneShare: 0.6,
  speechMinHz: 100,
  speechOverFloorDb: 6,
  syllableDb: 3,
  speechMs: 1200,
  ringbackMinMs: 800,
  continuousMs: 3000,
  sitToneMinMs: 100,
  sitToneMaxMs: 500,
  sitGapMaxMs: 100,
  sitSpanMaxMs: 1500,
  beepSpeechMs: 800,
  beepAfterSpeechMs: 3000,
  beepMinMs: 150,
  beepSettleMs: 450,
  beepMaxMs: 2000,
  beepLoHz: 800,
  beepHiHz: 2100,
  /** Band edges are widened by this much for the frequency estimate's own error. */
  slackHz: 5,
} as const;

/** One tone of 400-450 Hz, as in Russia and most of Europe (425 Hz nominal). */
const RINGBACK_SINGLE_HZ = { lo: 400, hi: 450 } as const;

/** Cadences named in the cue; anything else that lasts 0.8 s is still ringback, just not named so. */
const RINGBACK_CADENCES: readonly { pair: boolean; onMs: readonly [number, number]; offMs: readonly [number, number] }[] = [
  { pair: false, onMs: [800, 1200], offMs: [3000, 5000] }, // GOST, ETSI: 1 s on, 4 s off
  { pair: true, onMs: [1600, 2400], offMs: [3000, 5000] }, // ANSI T1.401: 2 s on, 4 s off
];

/** SIT bands in the order they are played (ITU-T E.180 +-50 Hz; the ANSI frequencies lie inside). */
const SIT_BANDS: readonly { lo: number; hi: number; nominalHz: readonly number[] }[] = [
  { lo: 900, hi: 1000, nominalHz: [913.8, 950, 985.2] },
  { lo: 1350, hi: 1450, nominalHz: [1370.6, 1400, 1428.5] },
  { lo: 1750, hi: 1850, nominalHz: [1776.7, 1800] },
];

// The 440 + 480 Hz pair is 40 Hz apart, closer than the 50 Hz bins of a 20 ms frame, so their two
// bins overlap: fit both tones at once (least squares on cos and sin of each) instead of reading
// two bins. The basis and the inverse of its Gram matrix depend only on the frame length.
const PAIR_HZ = [440, 480] as const;
const PAIR_BASIS = [0, 1, 2, 3].map((k) => {
  const w = (2 * Math.PI * PAIR_HZ[k >> 1]!) / RATE_HZ;
  return Float64Array.from({ length: FRAME_SAMPLES }, (_, n) => (k & 1 ? Math.sin(w * n) : Math.cos(w * n)));
});
const [COS_440, SIN_440, COS_480, SIN_480] = PAIR_BASIS as [Float64Array, Float64Array, Float64Array, Float64Array];
const PAIR_GRAM_INVERSE = invert4(
  PAIR_BASIS.flatMap((a) => PAIR_BASIS.map((b) => a.reduce((sum, v, n) => sum + v * b[n]!, 0))),
);

function invert4(m: number[]): Float64Array {
  // Gauss-Jordan with partial pivoting on [m | I]; the Gram matrix is well conditioned.
  const a = Array.from({ length: 4 }, (_, r) => [...m.slice(r * 4, r * 4 + 4), ...[0, 1, 2, 3].map((c) => (c === r ? 1 : 0))]);
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const pivot = a[c]![c]!;
    for (let k = 0; k < 8; k++) a[c]![k]! /= pivot;
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let k = 0; k < 8; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return Float64Array.from(a.flatMap((row) => row.slice(4)));
}

const enum Tone {
  None = 0,
  Single = 1,
  Pair = 2,
}

/** A stretch of tone frames; three are kept and reused, so that following one costs no allocation. */
class Run {
  tone = Tone.None;
  start = 0;
  /** Frame index of the last tone frame. */
  last = 0;
  freqSum = 0;
  toneFrames = 0;
  get freq(): number {
    return this.toneFrames ? this.freqSum / this.toneFrames : 0;
  }
  get ms(): number {
    return (this.last - this.start + 1) * FRAME_MS;
  }
  copy(from: Run): void {
    this.tone = from.tone;
    this.start = from.start;
    this.last = from.last;
    this.freqSum = from.freqSum;
    this.toneFrames = from.toneFrames;
  }
}

function inBand(hz: number, lo: number, hi: number): boolean {
  return hz >= lo - T.slackHz && hz <= hi + T.slackHz;
}

/** Index of the SIT band holding hz, or -1. */
function sitBand(hz: number): number {
  for (let i = 0; i < SIT_BANDS.length; i++) if (inBand(hz, SIT_BANDS[i]!.lo, SIT_BANDS[i]!.hi)) return i;
  return -1;
}

function runSitBand(run: Run): number {
  return run.tone === Tone.Single ? sitBand(run.freq) : -1;
}

function isRingback(run: Run): boolean {
  return run.tone === Tone.Pair || (run.tone === Tone.Single && inBand(run.freq, RINGBACK_SINGLE_HZ.lo, RINGBACK_SINGLE_HZ.hi));
}

function isBeepTone(run: Run): boolean {
  return run.tone === Tone.Single && inBand(run.freq, T.beepLoHz, T.beepHiHz);
}

const NOISE_BLOCK_FRAMES = 25;
const NOISE_BLOCKS = 4;
const SYLLABLE_EMA = 0.1; // 1 - exp(-20 ms / 200 ms), rounded
const ms = (frames: number) => frames * FRAME_MS;
const seconds = (msValue: number) => (msValue / 1000).toFixed(1);

/**
 * Classifies early media frame by frame; one instance per call leg. Keeps only its own statistics:
 * the frame passed to push() may be reused by the caller as soon as push() returns.
 */
export class EarlyMediaClassifier {
  #frames = 0;
  #loudFrames = 0;
  #settled = false;
  #kind: EarlyMediaKind | null = null;
  #settledCue = '';
  #verdict: EarlyMediaVerdict | null = null;
  #dirty = true;

  // Noise floor: the minimum frame level over the last NOISE_BLOCKS blocks and the current one.
  readonly #blockMins = new Float64Array(NOISE_BLOCKS).fill(Infinity);
  #blockMin = Infinity;
  #blockFrames = 0;
  #blockIndex = 0;

  // Speech, since the last ringback.
  #levelEma = NaN;
  #speechFrames = 0;
  #speechDeviation = 0;
  #lastSpeechFrame = -Infinity;
  /** The previous frame's distance from the running level if it may be speech, else -1. */
  #pendingDeviation = -1;

  // Tones: the run going on, and the two before it.
  readonly #run = new Run();
  readonly #prev1 = new Run();
  readonly #prev2 = new Run();
  #runRingback = false;
  #lastRingbackEnd = -Infinity;
  #ringbackFreq = 0;
  #ringbackPair = false;
  #ringbackOnMs = 0;
  #ringbackOffMs = 0;
  #ringbackEnded = false;
  #beepPendingUntil = -1;
  #beepFreq = 0;

  /** True once the verdict cannot change (SIT heard, or a beep after speech): the caller may CANCEL at once. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Audio pushed so far: 20 ms a frame. */
  get heardMs(): number {
    return ms(this.#frames);
  }

  /** Takes one 20 ms frame (160 samples at 8 kHz); throws RangeError on any other length. */
  push(pcm: Int16Array): void {
    if (pcm.length !== FRAME_SAMPLES) {
      throw new RangeError(`EarlyMediaClassifier.push: a frame is ${FRAME_SAMPLES} samples (20 ms at 8 kHz), got ${pcm.length}`);
    }
    const frame = this.#frames++;
    if (this.#settled) return;
    if (frame + 1 === T.silenceAfterMs / FRAME_MS) this.#dirty = true;

    let energy = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let n = 0; n < FRAME_SAMPLES; n++) {
      const x = pcm[n]!;
      energy += x * x;
      b0 += x * COS_440[n]!;
      b1 += x * SIN_440[n]!;
      b2 += x * COS_480[n]!;
      b3 += x * SIN_480[n]!;
    }
    // + 1 (an RMS of 1 LSB): an all-zero frame is -90 dBFS, not -Infinity.
    const db = 10 * Math.log10((energy / FRAME_SAMPLES + 1) / FULL_SCALE_POWER);
    const floor = this.#noiseFloor(db);
    const loud = db > T.loudDbfs;

    let tone = Tone.None;
    let freq = 0;
    let share = 0;
    if (loud) {
      this.#loudFrames++;
      if (this.#loudFrames === T.quietFramesAllowed + 1) this.#dirty = true;
      const rms = Math.sqrt(energy / FRAME_SAMPLES);
      freq = crossingFrequency(pcm, 0.3 * rms, 'interpolated');
      share = freq > 0 && freq < RATE_HZ / 2 ? goertzelShare(pcm, freq, energy) : 0;
      if (pairFits(b0, b1, b2, b3, energy)) tone = Tone.Pair;
      else if (share >= T.toneShare) tone = Tone.Single;
      this.#levelEma = Number.isNaN(this.#levelEma) ? db : this.#levelEma + SYLLABLE_EMA * (db - this.#levelEma);
    }

    const afterTone = this.#run.tone !== Tone.None && this.#run.last === frame - 1;
    this.#followTone(frame, tone, freq);
    if (this.#settled) return;

    // A frame where a tone starts or stops is part tone, part quiet: neither a tone frame nor
    // speech. So a speech frame counts once the next one is no tone, and never right after a tone
    // [without this, congestion tone (0.175 / 0.175 s) read as 1.2 s of speech within 20 s].
    if (this.#pendingDeviation >= 0 && tone === Tone.None) this.#countSpeech(frame - 1, this.#pendingDeviation);
    this.#pendingDeviation = -1;
    const voiceBand = freq >= T.speechMinHz;
    if (loud && tone === Tone.None && !afterTone && share < T.speechMaxToneShare && voiceBand && db >= floor + T.speechOverFloorDb) {
      this.#pendingDeviation = Math.abs(db - this.#levelEma);
    }
  }

  #countSpeech(frame: number, deviation: number): void {
    this.#speechFrames++;
    this.#speechDeviation += deviation;
    this.#lastSpeechFrame = frame;
    if (this.#kind === 'announcement') {
      if (this.#speechFrames % 5 === 0) this.#dirty = true; // the cue counts tenths of a second
    } else if (this.#isSpeech(T.speechMs)) {
      this.#kind = 'announcement';
      this.#dirty = true;
    }
  }

  /** The verdict as of now: null while nothing is heard yet or too little to tell. */
  verdict(): EarlyMediaVerdict | null {
    if (!this.#dirty) return this.#verdict;
    this.#dirty = false;
    this.#verdict = this.#describe();
    return this.#verdict;
  }

  #describe(): EarlyMediaVerdict | null {
    if (this.#settled) return Object.freeze({ kind: this.#kind!, cue: this.#settledCue });
    if (this.#kind === 'ringback') return Object.freeze({ kind: 'ringback', cue: this.#ringbackCue() });
    if (this.#kind === 'announcement') return Object.freeze({ kind: 'announcement', cue: `speech ${seconds(ms(this.#speechFrames))} s` });
    if (this.heardMs >= T.silenceAfterMs && this.#loudFrames <= T.quietFramesAllowed) {
      return Object.freeze({ kind: 'silence', cue: `nothing above ${T.loudDbfs} dBFS` });
    }
    return null;
  }

  #ringbackCue(): string {
    const name = this.#ringbackPair ? 'ringback 440+480 Hz' : `ringback ${Math.round(this.#ringbackFreq / 5) * 5} Hz`;
    const on = this.#ringbackOnMs;
    if (!this.#ringbackEnded) return on >= T.continuousMs ? `${name} continuous` : `${name} tone`;
    const cadence = RINGBACK_CADENCES.find((c) => c.pair === this.#ringbackPair && on >= c.onMs[0] && on <= c.onMs[1]);
    if (!cadence) return `${name} tone ${seconds(on)} s`;
    const off = this.#ringbackOffMs;
    return off >= cadence.offMs[0] && off <= cadence.offMs[1]
      ? `${name} cadence ${seconds(on)} s on, ${seconds(off)} s off`
      : `${name} cadence ${seconds(on)} s on`;
  }

  #noiseFloor(db: number): number {
    let floor = this.#blockMin;
    for (let i = 0; i < NOISE_BLOCKS; i++) floor = Math.min(floor, this.#blockMins[i]!);
    this.#blockMin = Math.min(this.#blockMin, db);
    if (++this.#blockFrames === NOISE_BLOCK_FRAMES) {
      this.#blockMins[this.#blockIndex] = this.#blockMin;
      this.#blockIndex = (this.#blockIndex + 1) % NOISE_BLOCKS;
      this.#blockMin = Infinity;
      this.#blockFrames = 0;
    }
    return floor;
  }

  #isSpeech(minMs: number): boolean {
    return ms(this.#speechFrames) >= minMs && this.#speechDeviation / this.#speechFrames >= T.syllableDb;
  }

  #followTone(frame: number, tone: Tone, freq: number): void {
    const run = this.#run;
    if (this.#beepPendingUntil >= 0 && frame > this.#beepPendingUntil) {
      this.#settle('voicemail', `speech then a ${Math.round(this.#beepFreq / 10) * 10} Hz beep`);
      return;
    }
    if (tone !== Tone.None) {
      const same = run.tone === tone && (tone === Tone.Pair || Math.abs(freq - run.freq) <= T.runToleranceHz);
      if (run.tone !== Tone.None && !same) this.#endRun();
      if (run.tone === Tone.None) {
        this.#startRun(frame, tone);
        // The next SIT tone right after a beep candidate: the candidate was a SIT tone too.
        const band = sitBand(this.#beepFreq);
        if (this.#beepPendingUntil >= 0 && tone === Tone.Single && band >= 0 && sitBand(freq) === band + 1) this.#beepPendingUntil = -1;
      }
      run.last = frame;
      run.toneFrames++;
      run.freqSum += freq;
      this.#whileRunning(frame);
    } else if (run.tone !== Tone.None && frame - run.last >= 2) {
      this.#endRun();
    }
  }

  #startRun(frame: number, tone: Tone): void {
    const run = this.#run;
    run.tone = tone;
    run.start = frame;
    run.last = frame;
    run.freqSum = 0;
    run.toneFrames = 0;
    this.#runRingback = false;
  }

  #whileRunning(frame: number): void {
    const run = this.#run;
    if (isRingback(run)) {
      if (run.ms >= T.ringbackMinMs) {
        if (!this.#runRingback) {
          this.#runRingback = true;
          this.#kind = 'ringback';
          this.#ringbackPair = run.tone === Tone.Pair;
          this.#ringbackOffMs = ms(run.start) - this.#lastRingbackEnd;
          this.#speechFrames = 0;
          this.#speechDeviation = 0;
        }
        this.#ringbackFreq = run.freq;
        this.#ringbackOnMs = run.ms;
        this.#ringbackEnded = false;
        if (run.ms === T.ringbackMinMs || run.ms === T.continuousMs) this.#dirty = true; // the cue names these
      }
      return;
    }
    if (run.ms >= T.sitToneMinMs && runSitBand(run) === 2 && this.#sitBefore(frame)) {
      const names = [this.#prev2, this.#prev1, run].map((r, i) => nearest(SIT_BANDS[i]!.nominalHz, r.freq));
      this.#settle('announcement', `SIT tones ${names.join('/')} Hz`);
      return;
    }
    if (run.ms >= T.beepSettleMs && this.#beepFollowsSpeech(run)) {
      this.#settle('voicemail', `speech then a ${Math.round(run.freq / 10) * 10} Hz beep`);
    }
  }

  /** The two runs before the current one were the first two SIT tones, in order and on time. */
  #sitBefore(frame: number): boolean {
    const a = this.#prev2;
    const b = this.#prev1;
    const c = this.#run;
    return (
      runSitBand(a) === 0 &&
      runSitBand(b) === 1 &&
      a.ms >= T.sitToneMinMs &&
      a.ms <= T.sitToneMaxMs &&
      b.ms >= T.sitToneMinMs &&
      b.ms <= T.sitToneMaxMs &&
      ms(b.start - a.last - 1) <= T.sitGapMaxMs &&
      ms(c.start - b.last - 1) <= T.sitGapMaxMs &&
      ms(frame - a.start + 1) <= T.sitSpanMaxMs
    );
  }

  #beepFollowsSpeech(run: Run): boolean {
    return (
      isBeepTone(run) &&
      this.#isSpeech(T.beepSpeechMs) &&
      this.#lastSpeechFrame < run.start &&
      ms(run.start - this.#lastSpeechFrame) <= T.beepAfterSpeechMs
    );
  }

  #endRun(): void {
    const run = this.#run;
    if (isRingback(run)) {
      this.#lastRingbackEnd = ms(run.last + 1);
      if (this.#runRingback) {
        this.#ringbackOnMs = run.ms;
        this.#ringbackEnded = true;
        this.#dirty = true;
      }
    }
    if (run.ms >= T.beepMinMs && run.ms <= T.beepMaxMs && this.#beepFollowsSpeech(run)) {
      this.#beepPendingUntil = run.last + T.sitGapMaxMs / FRAME_MS;
      this.#beepFreq = run.freq;
    }
    this.#prev2.copy(this.#prev1);
    this.#prev1.copy(run);
    run.tone = Tone.None;
  }

  #settle(kind: EarlyMediaKind, cue: string): void {
    this.#settled = true;
    this.#kind = kind;
    this.#settledCue = cue;
    this.#dirty = true;
  }
}

/** The 440 + 480 Hz fit explains >= 90% of the frame, each tone >= 25%. b: the frame's products with the basis. */
function pairFits(b0: number, b1: number, b2: number, b3: number, energy: number): boolean {
  const g = PAIR_GRAM_INVERSE;
  const a0 = g[0]! * b0 + g[1]! * b1 + g[2]! * b2 + g[3]! * b3;
  const a1 = g[4]! * b0 + g[5]! * b1 + g[6]! * b2 + g[7]! * b3;
  const a2 = g[8]! * b0 + g[9]! * b1 + g[10]! * b2 + g[11]! * b3;
  const a3 = g[12]! * b0 + g[13]! * b1 + g[14]! * b2 + g[15]! * b3;
  const explained = (a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3) / energy;
  const half = FRAME_SAMPLES / 2 / energy;
  return explained >= T.pairFit && half * (a0 * a0 + a1 * a1) >= T.pairEachShare && half * (a2 * a2 + a3 * a3) >= T.pairEachShare;
}

function nearest(nominal: readonly number[], hz: number): number {
  return nominal.reduce((best, f) => (Math.abs(f - hz) < Math.abs(best - hz) ? f : best));
}
