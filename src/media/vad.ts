/**
 * Voice activity detection on the callee's audio, by frame energy against a tracked noise floor:
 * the cheap half of barge-in (is the callee talking over the robot, and for how long?).
 *
 * Per 20 ms frame (160 samples, 8 kHz): its level in dBFS. The noise floor follows the quietest
 * frames: it drops at once to a quieter frame and rises slowly (10 dB a second), so speech, whose
 * syllables have quieter gaps between them, does not drag it up, while a line that gets 20 dB
 * noisier reads as speech for about two seconds and is then followed. A frame is voiced when it is at least `marginDb` above the floor and above
 * `minDbfs`. Speech starts after `onsetMs` of voiced frames (one click is not speech) and ends
 * after `hangoverMs` without them (the gaps between words are not the end); `start` is dated to
 * its first voiced frame, so a caller can measure how long the callee has been talking.
 *
 * It knows energy, not language: a loud tone is "speech" here. On the callee's side of a call,
 * after the answer, that is what is wanted (a tone from the callee's line is a reason to stop
 * talking, too). No allocation per frame.
 */

export interface VadOptions {
  /** a voiced frame is this far above the noise floor (9 dB) */
  marginDb?: number;
  /** and louder than this (-50 dBFS): silence on a clean digital line is not a floor to beat */
  minDbfs?: number;
  /** voiced this long before speech starts (60 ms) */
  onsetMs?: number;
  /** unvoiced this long before speech ends (300 ms) */
  hangoverMs?: number;
}

export type VadEvent = { type: 'start'; atMs: number } | { type: 'end'; atMs: number; speechMs: number };

const FRAME_MS = 20;
const FLOOR_RISE_DB_PER_FRAME = 10 * (FRAME_MS / 1000);
const SILENT_DBFS = -96;
const INITIAL_FLOOR_DBFS = -65;

export class Vad {
  readonly #marginDb: number;
  readonly #minDbfs: number;
  readonly #onsetFrames: number;
  readonly #hangoverFrames: number;
  #floorDb = Number.NaN;
  #voicedRun = 0;
  #unvoicedRun = 0;
  #speaking = false;
  #startMs = 0;
  #lastVoicedMs = 0;
  /** ms of audio pushed so far */
  #nowMs = 0;

  constructor(opts: VadOptions = {}) {
    this.#marginDb = opts.marginDb ?? 9;
    this.#minDbfs = opts.minDbfs ?? -50;
    this.#onsetFrames = Math.max(1, Math.round((opts.onsetMs ?? 60) / FRAME_MS));
    this.#hangoverFrames = Math.max(1, Math.round((opts.hangoverMs ?? 300) / FRAME_MS));
  }

  /** True while the callee is talking. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** How long the current speech has lasted, ms (0 when not speaking). */
  get speechMs(): number {
    return this.#speaking ? this.#nowMs - this.#startMs : 0;
  }

  /** The noise floor, dBFS (NaN before the first frame). */
  get floorDbfs(): number {
    return this.#floorDb;
  }

  /** One 20 ms frame; returns what it changed, if anything. Times are ms of audio pushed. */
  push(pcm: Int16Array): VadEvent | null {
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
    const rms = Math.sqrt(sum / Math.max(1, pcm.length));
    const db = rms > 0 ? 20 * Math.log10(rms / 32768) : SILENT_DBFS;
    const frameStart = this.#nowMs;
    this.#nowMs += (pcm.length / 160) * FRAME_MS;

    // The floor starts low, as on a quiet line: a phone that sends nothing until its user speaks
    // (silence suppression) must not make its first words the floor.
    if (Number.isNaN(this.#floorDb)) this.#floorDb = Math.min(db, INITIAL_FLOOR_DBFS);
    else if (db < this.#floorDb) this.#floorDb = db;
    else this.#floorDb += FLOOR_RISE_DB_PER_FRAME;

    const voiced = db >= this.#minDbfs && db >= this.#floorDb + this.#marginDb;
    if (voiced) {
      this.#voicedRun++;
      this.#unvoicedRun = 0;
      this.#lastVoicedMs = this.#nowMs;
      if (!this.#speaking && this.#voicedRun >= this.#onsetFrames) {
        this.#speaking = true;
        this.#startMs = frameStart - (this.#onsetFrames - 1) * FRAME_MS;
        return { type: 'start', atMs: this.#startMs };
      }
      return null;
    }
    this.#voicedRun = 0;
    this.#unvoicedRun++;
    if (this.#speaking && this.#unvoicedRun >= this.#hangoverFrames) {
      this.#speaking = false;
      return { type: 'end', atMs: this.#lastVoicedMs, speechMs: this.#lastVoicedMs - this.#startMs };
    }
    return null;
  }
}
