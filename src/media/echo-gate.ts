/**
 * An echo suppressor for one call: the robot's own voice coming back on the callee's stream (a
 * 2-wire hybrid without a canceller, a speakerphone) must not read as the callee speaking: not to
 * answering-machine detection (a long "greeting": machine, and a person hung up on), not to
 * barge-in (the robot cutting itself off), not to the recogniser (the robot's "да или нет" heard
 * as an answer). Pure: frames and times in, frames changed in place; no I/O.
 *
 * How. Each 20 ms frame's level (dBFS) is kept per time slot, the robot's as it leaves and the
 * callee's as it arrives. Every EVERY_FRAMES frames while the robot has spoken lately, the
 * callee's levels of the last WINDOW_SLOTS slots are correlated (Pearson) with the robot's at
 * each lag of 0-600 ms: an echo follows the robot's talkspurts and syllables at one lag, a person
 * does not. A correlation of at least MIN_CORRELATION over MIN_LOSS_FRAMES of the robot's
 * speech names the echo's delay, if the loss there (ERL: a low percentile of robot level minus
 * callee level while the robot spoke, the echo at its loudest) is at least MIN_LOSS_DB (a voice
 * that follows the robot's but comes back as loud is a person: a mailbox greeting, someone
 * talking over the robot) and the echo is not missing where the robot spoke (a callee who began
 * with the robot and stopped while it went on). From then on a frame of the
 * callee's within MARGIN_DB of the echo expected from what the robot said then is the echo
 * alone, and is brought down to the line's noise floor: what listens hears quiet there. A louder
 * frame carries the callee's voice and passes whole.
 *
 * An echo path does not move, so the delay found is kept through windows a callee's talking
 * blurs (LOST_WINDOWS), and another lag replaces it only when it wins clearly, window after
 * window, on the robot's syllables (a steady voice such as the modem voice shows its lag only at
 * its starts and ends, where a callee talking on after the robot would look like a longer echo).
 *
 * Measured on simulated lines (tests/unit/echo-gate.test.ts: echoes of 37-251 ms, 8-20 dB down,
 * with network and pacing jitter) over 90% of echo-only frames suppressed and over 90% of frames
 * with the callee 6 dB above the echo passed; nothing touched on lines without echo, a callee
 * saying "алло" 100-300 ms after the robot began included. A suppressor, not a canceller: while
 * the robot speaks, a callee quieter than the echo (plus MARGIN_DB) is not heard; and the first
 * 500-600 ms of an echo, before its delay is found, pass as they are.
 * Cost: two frame levels per 20 ms and, while the robot speaks, 31 lags over 75 slots every 100 ms
 * until an echo is found or a second of windows found none, every 500 ms after.
 */

const SLOT_MS = 20;
const RING = 128;
/** lags looked at: 0-600 ms (a network's round trip plus the far jitter buffer and the hybrid) */
const MAX_LAG = 30;
/** the slots correlated: 1.5 s */
const WINDOW_SLOTS = 75;
/** how often the delay and loss are estimated, in the callee's frames: until settled, and after */
const EVERY_FRAMES = 5;
const SETTLED_EVERY_FRAMES = 25;
/** this many informative windows in a row without an echo settle a line as one without */
const QUIET_WINDOWS = 10;
const MIN_CORRELATION = 0.6;
/** an echo found is kept until this many informative windows in a row (10 s) find none (a callee talking over the robot blurs a window or two) */
const LOST_WINDOWS = 20;
/** the correlation, and windows in a row, for another lag to take over from an echo's */
const SWITCH_CORRELATION = 0.8;
const SWITCH_WINDOWS = 3;
/** the least loss of an echo (G.168 asks 6 dB of a hybrid): a voice as loud as the robot's is someone's */
const MIN_LOSS_DB = 6;
/**
 * robot frames at the lag (500 ms of its speech) behind an echo found: a callee who starts
 * talking with the robot follows it as well as an echo until they stop, which "алло" does by then
 */
const MIN_LOSS_FRAMES = 25;
/** an echo frame this far short of what the robot's level and the loss say is missing ... */
const MISSING_DB = 9;
/** ... and more than this share missing is no echo */
const MAX_MISSING = 0.25;
/** the robot's level must spread this much (standard deviation, dB) over a window for its lag to be measured */
const MIN_SPREAD_DB = 3;

/** slots of the window in which the robot spoke, at the lag, for an estimate to count */
const MIN_LOUD_SLOTS = 8;
const SILENT_DB = -70;
/** the robot speaking: its frame at least this loud */
const LOUD_DB = -45;
/** a callee's frame this far above the expected echo is their voice ... */
const MARGIN_DB = 3;
/** ... and, after one twice that far above it, the frames for 200 ms (speech dips between syllables) */
const HANGOVER_SLOTS = 10;
/** which percentile of robot-minus-callee levels is the echo's loss: a low one, the echo at its loudest */
const LOSS_PERCENTILE = 0.25;

/** a slot's index in the rings (slots before time 0 included) */
const ix = (slot: number): number => ((slot % RING) + RING) % RING;

/** A frame's level, dBFS (SILENT_DB for silence), from every other sample: a level, not a spectrum. */
export function levelDb(frame: Int16Array): number {
  let e = 0;
  for (let i = 0; i < frame.length; i += 2) e += frame[i]! * frame[i]!;
  if (e === 0) return SILENT_DB;
  return Math.max(SILENT_DB, 10 * Math.log10((2 * e) / frame.length / (32768 * 32768)));
}

export interface EchoFigures {
  /** the echo's delay, ms; null while none was found */
  echoDelayMs: number | null;
  /** how much quieter than the robot the echo comes back, dB */
  echoLossDb: number | null;
  /** callee frames brought down as the echo alone */
  framesEchoSuppressed: number;
}

export class EchoGate {
  /** the robot's level per slot, and which slot each entry is (a stale entry is silence) */
  readonly #sent = new Float64Array(RING).fill(SILENT_DB);
  readonly #sentSlot = new Float64Array(RING).fill(-1);
  readonly #heard = new Float64Array(RING).fill(SILENT_DB);
  readonly #heardSlot = new Float64Array(RING).fill(-1);
  #lastHeardSlot = -1;
  #lastLoudSlot = -Infinity;
  /** the callee's voice was heard over the echo up to this slot: frames until then pass */
  #voiceUntil = -1;
  /** callee frames until the next estimate */
  #countdown = EVERY_FRAMES;
  /** informative windows in a row, with no echo found, that found none */
  #quiet = 0;
  /** the callee's line with the robot silent: what an echo frame is brought down to (NaN until heard) */
  #floorDb = Number.NaN;
  #delay = -1;
  /** informative windows in a row that found no echo */
  #misses = 0;
  /** another lag than the echo's winning clearly, and in how many windows in a row */
  #rivalLag = -1;
  #rival = 0;
  #lossDb = 0;
  readonly figures: EchoFigures = { echoDelayMs: null, echoLossDb: null, framesEchoSuppressed: 0 };
  /** #estimate's working arrays */
  readonly #ys = new Float64Array(WINDOW_SLOTS);
  readonly #js = new Int32Array(WINDOW_SLOTS);
  readonly #xs = new Float64Array(WINDOW_SLOTS + MAX_LAG);
  readonly #diffs = new Float64Array(WINDOW_SLOTS);
  readonly #refs = new Float64Array(WINDOW_SLOTS);

  /** The robot's frame left at `atMs`. */
  sent(frame: Int16Array, atMs: number): void {
    const slot = Math.round(atMs / SLOT_MS);
    const db = levelDb(frame);
    const i = ix(slot);
    this.#sent[i] = this.#sentSlot[i] === slot ? Math.max(this.#sent[i]!, db) : db;
    this.#sentSlot[i] = slot;
    if (db >= LOUD_DB) this.#lastLoudSlot = slot;
  }

  /** The callee's frame arrived at `atMs`; an echo alone is brought down in place. True when it was. */
  heard(frame: Int16Array, atMs: number): boolean {
    // frames given out together (a jitter buffer's burst) take consecutive slots
    const slot = Math.max(this.#lastHeardSlot + 1, Math.round(atMs / SLOT_MS));
    this.#lastHeardSlot = slot;
    const db = levelDb(frame);
    const i = ix(slot);
    this.#heard[i] = db;
    this.#heardSlot[i] = slot;
    // the line's own noise: nothing of the robot can be in a frame it was silent for MAX_LAG before
    this.#noise(db, slot - this.#lastLoudSlot > MAX_LAG + 1);
    if (slot - this.#lastLoudSlot > MAX_LAG + WINDOW_SLOTS) return false;
    if (--this.#countdown <= 0) {
      this.#estimate(slot);
      // settled, an echo found or none in a while: looked at less often
      this.#countdown = this.#delay >= 0 || this.#quiet >= QUIET_WINDOWS ? SETTLED_EVERY_FRAMES : EVERY_FRAMES;
    }
    if (this.#delay < 0) return false;
    const ref = this.#refAt(slot, this.#delay);
    if (ref < LOUD_DB) return false;
    if (db >= ref - this.#lossDb + MARGIN_DB) {
      // the callee's voice over the echo (double talk): when clearly so, its quieter frames
      // between syllables are theirs too
      if (db >= ref - this.#lossDb + 2 * MARGIN_DB) this.#voiceUntil = slot + HANGOVER_SLOTS;
      return false;
    }
    if (slot <= this.#voiceUntil) return false;
    if (db <= this.#floorDb + 1) return false; // the echo is down in the line's noise already
    const g = 10 ** ((this.#floorDb - db) / 20);
    for (let j = 0; j < frame.length; j++) frame[j] = Math.round(frame[j]! * g);
    this.figures.framesEchoSuppressed++;
    return true;
  }

  /**
   * The line's noise floor: from the first frame, it follows any quieter frame down at once; it
   * rises only on frames with nothing of the robot in them (`clean`), slowly for a slightly
   * louder one, and 0.25 dB a second for a voice (6 dB and more above it), so that a line that got
   * noisier is followed and a long answer is not.
   */
  #noise(db: number, clean: boolean): void {
    if (Number.isNaN(this.#floorDb)) this.#floorDb = db;
    else if (db < this.#floorDb) this.#floorDb += 0.2 * (db - this.#floorDb);
    else if (!clean) return;
    else if (db < this.#floorDb + 6) this.#floorDb += 0.02 * (db - this.#floorDb);
    else this.#floorDb += 0.005;
  }

  #sentAt(slot: number): number {
    const i = ix(slot);
    return this.#sentSlot[i] === slot ? this.#sent[i]! : SILENT_DB;
  }

  /** The robot's loudest frame at lags k-1..k+1: what an echo at lag k is made of (its delay is no whole number of frames). */
  #refAt(slot: number, k: number): number {
    let ref = SILENT_DB;
    for (let j = Math.max(0, k - 1); j <= Math.min(MAX_LAG + 1, k + 1); j++) ref = Math.max(ref, this.#sentAt(slot - j));
    return ref;
  }

  /**
   * The lag at which the callee's levels follow the robot's best, and the echo's loss there. A
   * window in which the robot's level hardly varies (a steady tone, one long vowel) says nothing
   * about the lag and changes nothing; one that does and shows nothing that follows it ends the echo.
   */
  #estimate(now: number): void {
    // the window's callee levels (ys, at offsets js of the window) and the robot's levels from
    // MAX_LAG slots before it on (xs): a lag k reads xs[j + MAX_LAG - k]
    const ys = this.#ys;
    const js = this.#js;
    const xs = this.#xs;
    const first = now - WINDOW_SLOTS + 1;
    let n = 0;
    for (let j = 0; j < WINDOW_SLOTS; j++) {
      const s = first + j;
      const i = ix(s);
      if (this.#heardSlot[i] !== s) continue;
      ys[n] = this.#heard[i]!;
      js[n++] = j;
    }
    for (let j = 0; j < WINDOW_SLOTS + MAX_LAG; j++) xs[j] = this.#sentAt(first - MAX_LAG + j);
    if (n < 2 * MIN_LOUD_SLOTS) return;
    let sy = 0;
    let syy = 0;
    for (let j = 0; j < n; j++) {
      sy += ys[j]!;
      syy += ys[j]! * ys[j]!;
    }
    const vy = n * syy - sy * sy;
    let best = -1;
    let bestR = -1;
    let informative = false;
    /** the robot's level varies while it speaks (syllables), not only from speech to silence */
    let bestModulated = false;
    for (let k = 0; k <= MAX_LAG; k++) {
      let sx = 0;
      let sxx = 0;
      let sxy = 0;
      let loud = 0;
      let lx = 0;
      let lxx = 0;
      const at = MAX_LAG - k;
      for (let j = 0; j < n; j++) {
        const x = xs[js[j]! + at]!;
        if (x >= LOUD_DB) {
          loud++;
          lx += x;
          lxx += x * x;
        }
        sx += x;
        sxx += x * x;
        sxy += x * ys[j]!;
      }
      const vx = n * sxx - sx * sx;
      // the robot's level must vary by some dB over the window for a lag to show
      if (loud < MIN_LOUD_SLOTS || vx < n * n * MIN_SPREAD_DB * MIN_SPREAD_DB || vy <= 0) continue;
      informative = true;
      const r = (n * sxy - sx * sy) / Math.sqrt(vx * vy);
      if (r > bestR) {
        bestR = r;
        best = k;
        bestModulated = loud * lxx - lx * lx >= loud * loud * MIN_SPREAD_DB * MIN_SPREAD_DB;
      }
    }
    if (!informative) return;
    const miss = (): void => {
      this.#rival = 0;
      if (this.#delay < 0) this.#quiet++;
      else if (++this.#misses >= LOST_WINDOWS) this.#delay = -1; // nothing follows the robot any more
    };
    if (bestR < MIN_CORRELATION) return miss();
    // an echo comes back whenever the robot speaks: a delay at which the robot spoke and nothing
    // came back is none (a callee who said "алло" as the robot began, and stopped while it went on)
    if (this.#delay >= 0) {
      const now = this.#fit(n, this.#delay);
      if (now.expected >= MIN_LOSS_FRAMES && now.missing > MAX_MISSING * now.expected) {
        this.#delay = -1;
        this.#misses = 0;
      }
    }
    const { loss, loud, expected, missing } = this.#fit(n, best);
    // what follows the robot but comes back as loud as it is a person, not a line's echo
    if (loud < MIN_LOSS_FRAMES || loss < MIN_LOSS_DB || missing > MAX_MISSING * expected) return miss();
    if (this.#delay >= 0 && Math.abs(best - this.#delay) > 1) {
      // An echo's path does not move. With a voice of steady loudness (the modem voice) only its
      // starts and ends show a lag, and a callee who talks on after the robot's end looks like
      // an echo at a longer one (turn-taking). Another lag takes over only when it wins clearly,
      // window after window, on the robot's syllables.
      if (bestR < SWITCH_CORRELATION || !bestModulated) return miss();
      this.#rival = Math.abs(best - this.#rivalLag) <= 1 ? this.#rival + 1 : 1;
      this.#rivalLag = best;
      if (this.#rival < SWITCH_WINDOWS) {
        this.#misses++; // not miss(): it would reset the rival's count
        return;
      }
    } else if (this.#delay >= 0 && best !== this.#delay && !bestModulated) {
      best = this.#delay; // a neighbouring lag on a steady voice: no evidence to move by
    }
    this.#rival = 0;
    this.#misses = 0;
    this.#quiet = 0;
    this.#delay = best;
    this.#lossDb = loss;
    this.figures.echoDelayMs = best * SLOT_MS;
    this.figures.echoLossDb = Math.round(this.#lossDb * 10) / 10;
  }

  /**
   * At lag k over the window #estimate gathered: the echo's loss (a low percentile of robot
   * minus callee level, the echo at its loudest), the robot frames it rests on, and of the frames
   * whose echo would stand clear of the line's noise even from the robot's quietest frame of the
   * three it is made of, how many came back MISSING_DB or more short of that.
   */
  #fit(n: number, k: number): { loss: number; loud: number; expected: number; missing: number } {
    const { xs, ys, js } = { xs: this.#xs, ys: this.#ys, js: this.#js };
    const diffs = this.#diffs;
    let loud = 0;
    for (let j = 0; j < n; j++) {
      const at = js[j]! + MAX_LAG - k;
      // lags k-1..k+1, as #refAt reads them (no lag below 0)
      const ref = Math.max(xs[at]!, k > 0 ? xs[at + 1]! : SILENT_DB, at > 0 ? xs[at - 1]! : SILENT_DB);
      // the least the echo is made of: the robot's quietest frame of the three
      this.#refs[j] = Math.min(xs[at]!, k > 0 ? xs[at + 1]! : xs[at]!, at > 0 ? xs[at - 1]! : xs[at]!);
      if (ref >= LOUD_DB) diffs[loud++] = ref - ys[j]!;
    }
    const sorted = diffs.subarray(0, loud).sort();
    const loss = loud ? sorted[Math.min(loud - 1, Math.floor(LOSS_PERCENTILE * loud))]! : 0;
    const floor = Number.isNaN(this.#floorDb) ? SILENT_DB : this.#floorDb;
    let expected = 0;
    let missing = 0;
    for (let j = 0; j < n; j++) {
      // the loss was measured against the loudest frame, so this is the echo at its quietest
      const echo = this.#refs[j]! - loss;
      if (this.#refs[j]! < LOUD_DB || echo - MISSING_DB < floor + 3) continue;
      expected++;
      if (ys[j]! < echo - MISSING_DB) missing++;
    }
    return { loss, loud, expected, missing };
  }
}
