/**
 * Answering-machine detection (AMD): who answered, from the first seconds of the callee's audio
 * after the answer (8 kHz mono, 160-sample frames of 20 ms), by hand, in the manner of Asterisk's
 * app_amd, plus a beep detector and the recogniser's words for screening assistants. Pure: frames
 * and text in, a verdict out; no I/O, no clock (times are ms of audio pushed).
 *
 *   human      a person said a short "Алло?" and now waits for us: talk.
 *   machine    a mailbox greeting (or its beep).
 *   screening  a virtual assistant answering for the subscriber ("Здравствуйте, я голосовой
 *              помощник абонента. Представьтесь..."): say who is calling and why.
 *   notsure    nothing decisive: the caller carries on as with a human and never hangs up on it.
 *
 * Cues. Figures in [brackets] were measured on tests/fixtures/amd (set.json: 66 mixes of 16
 * espeak-ng / SoX clips, with lead silence, gain, white noise and a mu-law round trip).
 *
 * - Speech: the approach of src/media/vad.ts (frame energy over a tracked noise floor, 9 dB margin,
 *   -50 dBFS minimum, 60 ms onset), but the floor starts at the first frame's level instead of
 *   Vad's -65 dBFS (a line answering with -45 dBFS hiss read as 1.1 s of speech, a machine), and
 *   words end after `WORD_GAP_MS` (120 ms) unvoiced: a segment is a "word";
 *   gaps shorter than that (stops, the joins of espeak's words) are inside it. Greeting time is
 *   the sum of the words' lengths since the first word.
 * - Initial silence: no word by `initialSilenceMs` (2500) -> notsure.
 * - Long greeting: greeting time past `greetingMs` (1500) -> machine [human answer clips 0.16-1.0 s;
 *   greetings 1.9-5.7 s; it decided 13 of the 21 machines, the beep 6].
 * - Many words: `MAX_WORDS` (6) words before a pause of `afterGreetingSilenceMs` -> machine
 *   [human answers: at most 2 words; greetings and assistants 2-4 in their first 1.5 s; it decided
 *   1 mix of 66, a greeting whose words were short enough to stay under 1.5 s of speech].
 * - Human: after at least one word and a greeting time of at most `greetingMs`, a silence of
 *   `afterGreetingSilenceMs` (800) -> human.
 * - Beep: a run of `BEEP_MIN_FRAMES` (7, 140 ms of whole frames: a 150 ms beep straddles frame
 *   edges) single-tone frames of 800-2100 Hz, each frame's frequency within 25 Hz of the run's
 *   mean -> machine. A frame is a tone when the Goertzel bin at the frequency estimated from its
 *   rising crossings of +-0.3 RMS holds >= 80% of its energy (tone.ts, shared with early-media.ts)
 *   [beeps 0.99+; speech and noise frames at most 0.42].
 * - Total: nothing decisive by `totalMs` (3000) -> notsure.
 * - Screening: heard(text) holding one of SCREENING_CUES (помощник, ассистент, представьтесь, по
 *   какому вопросу, кто звонит, цель звонка, secretary, assistant, who is calling, ...) ->
 *   screening, if undecided; and it replaces a machine or notsure verdict when the text comes by
 *   `totalMs + SCREENING_GRACE_MS` (1500 ms) of audio: an assistant talks like a mailbox, so the
 *   audio says machine first, and the recogniser's final comes only when its phrase ends. Past
 *   that, and over human, the verdict stays: the caller has acted on it. [The set's screening
 *   verdicts came at 2.7-4.3 s, all 9 over a machine verdict.]
 *
 * Once decided, push() only counts time and the verdict is fixed, save that one upgrade.
 * The robot's own greeting echoed back by the callee's line is turned down before it gets here
 * (echo-gate.ts, in the RTP session). Not handled: a human who answers with a long sentence
 * ("Алло, здравствуйте, я вас слушаю, говорите") reads as a machine, as in Asterisk.
 */

import { crossingFrequency, goertzelShare } from './tone.js';

export type AmdVerdict = 'human' | 'machine' | 'screening' | 'notsure';

export interface AmdOptions {
  /** nothing heard this long: notsure (Asterisk AMD: 2500) */ initialSilenceMs?: number;
  /** a first utterance longer than this is a machine's greeting (1500) */ greetingMs?: number;
  /** silence after a short first utterance this long: a human waiting for an answer (800) */ afterGreetingSilenceMs?: number;
  /** decide by this much audio at the latest (3000; the issue asks for a verdict within 3 s) */ totalMs?: number;
}

const FRAME_MS = 20;
/** VAD hangover: a gap shorter than this is inside a word. */
const WORD_GAP_MS = 120;
/** This many words before a pause: a machine reading its greeting. */
const MAX_WORDS = 6;
/** A screening text this long after totalMs still turns machine or notsure into screening. */
const SCREENING_GRACE_MS = 1500;
/** Frame energy: voiced this far above the floor and above a minimum; a word after 3 such frames. */
const VOICE = { marginDb: 9, minDbfs: -50, onsetFrames: 3 } as const;
const FLOOR_RISE_DB_PER_S = 10;
const BEEP = { loHz: 800, hiHz: 2100, minFrames: 7, share: 0.8, runToleranceHz: 25, minDbfs: -45 } as const;

/** Words of a screening assistant, lower-case, ё as е; matched as substrings of the heard text. */
export const SCREENING_CUES: readonly string[] = [
  'помощник',
  'ассистент',
  'секретар',
  'представьтесь',
  'по какому вопросу',
  'кто звонит',
  'кто вы',
  'цель звонка',
  'цель вашего звонка',
  'assistant',
  'secretary',
  'who is calling',
  "who's calling",
  'state your name',
  'reason for your call',
];

export class AnsweringMachineDetector {
  readonly #initialSilenceMs: number;
  readonly #greetingMs: number;
  readonly #afterGreetingSilenceMs: number;
  readonly #totalMs: number;
  #nowMs = 0;
  #floorDb = Number.NaN;
  #voicedRun = 0;
  #unvoicedRun = 0;
  #inWord = false;
  #wordStartMs = 0;
  #lastVoicedMs = 0;
  #words = 0;
  /** Sum of the finished words' lengths, ms. */
  #closedMs = 0;
  /** When the last word ended (its last voiced frame), ms; NaN while none has. */
  #lastEndMs = Number.NaN;
  #toneFrames = 0;
  #toneHzSum = 0;
  #result: { verdict: AmdVerdict; cue: string; atMs: number } | null = null;

  constructor(opts: AmdOptions = {}) {
    this.#initialSilenceMs = opts.initialSilenceMs ?? 2500;
    this.#greetingMs = opts.greetingMs ?? 1500;
    this.#afterGreetingSilenceMs = opts.afterGreetingSilenceMs ?? 800;
    this.#totalMs = opts.totalMs ?? 3000;
  }

  get decided(): boolean {
    return this.#result !== null;
  }

  /** null until decided; then fixed (save a machine or notsure turning screening: see above) */
  verdict(): { verdict: AmdVerdict; cue: string; atMs: number } | null {
    return this.#result;
  }

  /** one 20 ms frame of the callee's audio */
  push(pcm: Int16Array): void {
    const frameStart = this.#nowMs;
    this.#nowMs += (pcm.length / 160) * FRAME_MS;
    if (this.#result) return;
    const now = this.#nowMs;
    this.#words += this.#segment(pcm, frameStart, now);

    const toneHz = toneFrequency(pcm);
    if (toneHz > 0 && (this.#toneFrames === 0 || Math.abs(toneHz - this.#toneHzSum / this.#toneFrames) <= BEEP.runToleranceHz)) {
      this.#toneFrames++;
      this.#toneHzSum += toneHz;
    } else if (toneHz > 0) {
      this.#toneFrames = 1;
      this.#toneHzSum = toneHz;
    } else this.#toneFrames = 0;
    if (this.#toneFrames >= BEEP.minFrames) {
      return this.#decide('machine', `beep ${Math.round(this.#toneHzSum / this.#toneFrames)} Hz`);
    }

    const greetingMs = this.#closedMs + (this.#inWord ? this.#lastVoicedMs - this.#wordStartMs : 0);
    if (greetingMs > this.#greetingMs) return this.#decide('machine', `greeting longer than ${this.#greetingMs} ms`);
    if (this.#words >= MAX_WORDS) return this.#decide('machine', `${this.#words} words without a pause`);
    if (this.#words === 0 && now >= this.#initialSilenceMs) return this.#decide('notsure', `no speech in ${this.#initialSilenceMs} ms`);
    if (this.#words > 0 && !this.#inWord && now - this.#lastEndMs >= this.#afterGreetingSilenceMs) {
      return this.#decide('human', `${Math.round(greetingMs)} ms of speech, then ${this.#afterGreetingSilenceMs} ms of silence`);
    }
    if (now >= this.#totalMs) this.#decide('notsure', `nothing decisive in ${this.#totalMs} ms`);
  }

  /** what the recogniser made of the callee's first words, if anything: screening-assistant cues */
  heard(text: string): void {
    const said = text.toLowerCase().replaceAll('ё', 'е');
    const cue = SCREENING_CUES.find((c) => said.includes(c));
    if (!cue) return;
    const r = this.#result;
    const upgradable = r && (r.verdict === 'machine' || r.verdict === 'notsure') && this.#nowMs <= this.#totalMs + SCREENING_GRACE_MS;
    if (r && !upgradable) return;
    this.#result = { verdict: 'screening', cue: `heard "${cue}"${r ? ` (was ${r.verdict}: ${r.cue})` : ''}`, atMs: this.#nowMs };
  }

  /**
   * Words, by frame energy over a noise floor (the approach of vad.ts). The floor starts at the
   * first frame's level, not at Vad's -65 dBFS: a line answered with steady hiss must not read as
   * seconds of speech. Returns 1 when a word starts.
   */
  #segment(pcm: Int16Array, frameStart: number, now: number): number {
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
    const db = sum > 0 ? 10 * Math.log10(sum / pcm.length / (32768 * 32768)) : -96;
    if (Number.isNaN(this.#floorDb) || db < this.#floorDb) this.#floorDb = db;
    else this.#floorDb += FLOOR_RISE_DB_PER_S * (FRAME_MS / 1000);
    const voiced = db >= VOICE.minDbfs && db >= this.#floorDb + VOICE.marginDb;
    if (voiced) {
      this.#voicedRun++;
      this.#unvoicedRun = 0;
      this.#lastVoicedMs = now;
      if (!this.#inWord && this.#voicedRun >= VOICE.onsetFrames) {
        this.#inWord = true;
        this.#wordStartMs = frameStart - (VOICE.onsetFrames - 1) * FRAME_MS;
        return 1;
      }
      return 0;
    }
    this.#voicedRun = 0;
    this.#unvoicedRun++;
    if (this.#inWord && this.#unvoicedRun * FRAME_MS >= WORD_GAP_MS) {
      this.#inWord = false;
      this.#closedMs += this.#lastVoicedMs - this.#wordStartMs;
      this.#lastEndMs = this.#lastVoicedMs;
    }
    return 0;
  }

  #decide(verdict: AmdVerdict, cue: string): void {
    this.#result = { verdict, cue, atMs: this.#nowMs };
  }
}

/**
 * The frequency of a frame that is one steady tone of the beep band, else 0: estimated from rising
 * crossings of +-0.3 RMS (dated at whole samples), then checked by a Goertzel bin at that frequency
 * holding >= 80% of the energy; both measures are in tone.ts.
 */
function toneFrequency(pcm: Int16Array): number {
  const n = pcm.length;
  let energy = 0;
  for (let i = 0; i < n; i++) energy += pcm[i]! * pcm[i]!;
  if (n < 2 || energy <= 0 || 10 * Math.log10(energy / n / (32768 * 32768)) < BEEP.minDbfs) return 0;
  const hz = crossingFrequency(pcm, 0.3 * Math.sqrt(energy / n), 'sample');
  if (hz < BEEP.loHz - 5 || hz > BEEP.hiHz + 5) return 0;
  return goertzelShare(pcm, hz, energy) >= BEEP.share ? hz : 0;
}
