import type { Clock } from '../core/index.js';
import type { CallAudio } from './ports.js';

/** What a voice activity detector tells (src/media/vad.ts implements it). */
export interface VoiceActivity {
  push(pcm: Int16Array): { type: 'start' | 'end' } | null;
  readonly speaking: boolean;
  /** how long the current speech has lasted, ms */
  readonly speechMs: number;
}

/** Speech shorter than this while the robot talks is a backchannel ("угу", "ага"): the prompt goes on. */
export const BACKCHANNEL_MS = 600;

/** The callee's last frames kept for a listen that follows a barge-in (2 s of 20 ms frames). */
const RING_FRAMES = 100;
/** Frames kept from before the detector's start (its onset, and a little breath before it). */
const PRE_ROLL_FRAMES = 5;
/**
 * A phone that suppresses silence sends nothing once its user stops talking: no packet this long
 * is heard as silence, so a paused prompt does not wait for frames that will never come.
 */
const QUIET_MS = 100;
const SILENCE = new Int16Array(160);

/**
 * Barge-in: the callee talking over an interruptible prompt.
 *
 *   callee starts talking ─▶ the prompt pauses at once (within the detector's onset, ~60 ms)
 *     ├─ stops within BACKCHANNEL_MS ("угу") ─▶ the prompt resumes where it paused
 *     └─ goes on past it ─▶ the rest of the prompt is dropped, and the next listen hears the
 *                           callee from the start of what they said (kept in a ring of frames)
 *
 * One per call: it hears every frame the callee sends, from the answer on.
 */
export class BargeIn {
  readonly #audio: CallAudio;
  readonly #vad: VoiceActivity;
  readonly #ring: Int16Array[] = Array.from({ length: RING_FRAMES }, () => new Int16Array(160));
  #frames = 0;
  /** the frame the callee's speech started at, while it is speaking */
  #speechFrom = -1;
  /** set by a barge-in: the frame the next listen starts from */
  #listenFrom = -1;
  #prompt: { interrupted: () => void; paused: boolean } | null = null;
  readonly #off: () => void;
  readonly #clock: Clock;
  #quiet: unknown = undefined;
  #lastFrameAt = 0;

  constructor(audio: CallAudio, vad: VoiceActivity, clock: Clock) {
    this.#audio = audio;
    this.#vad = vad;
    this.#clock = clock;
    this.#off = audio.on('audio', (pcm) => {
      this.#frame(pcm);
      // while the callee is heard talking, a stop in their packets is silence (see QUIET_MS): one
      // timer per stretch of speech, looking at when the last frame came (not one per frame)
      this.#lastFrameAt = this.#clock.now();
      if (this.#quiet === undefined && this.#vad.speaking) this.#quiet = this.#clock.setTimeout(this.#silent, QUIET_MS);
    });
  }

  readonly #silent = (): void => {
    this.#quiet = undefined;
    if (!this.#vad.speaking) return;
    const since = this.#clock.now() - this.#lastFrameAt;
    if (since < QUIET_MS) {
      this.#quiet = this.#clock.setTimeout(this.#silent, QUIET_MS - since);
      return;
    }
    for (let i = 0; i < 50 && this.#vad.speaking; i++) this.#frame(SILENCE);
  };

  /**
   * An interruptible prompt is playing: `interrupted` is called once if the callee talks over it
   * past a backchannel (the audio is flushed by then). Returns the end of the watch.
   */
  watch(interrupted: () => void): () => void {
    const prompt = { interrupted, paused: false };
    this.#prompt = prompt;
    return () => {
      if (this.#prompt !== prompt) return;
      this.#prompt = null;
      if (prompt.paused) this.#audio.resume?.();
    };
  }

  /** Frames the next listen should hear first (the callee's words since the barge-in), once. */
  takePreRoll(): Int16Array[] {
    if (this.#listenFrom < 0) return [];
    const from = Math.max(this.#listenFrom, this.#frames - RING_FRAMES);
    this.#listenFrom = -1;
    const out: Int16Array[] = [];
    for (let f = from; f < this.#frames; f++) out.push(this.#ring[f % RING_FRAMES]!.slice());
    return out;
  }

  close(): void {
    this.#off();
    if (this.#quiet !== undefined) this.#clock.clearTimeout(this.#quiet);
  }

  #frame(pcm: Int16Array): void {
    this.#ring[this.#frames % RING_FRAMES]!.set(pcm.subarray(0, 160));
    this.#frames++;
    const ev = this.#vad.push(pcm);
    if (ev?.type === 'start') this.#speechFrom = Math.max(0, this.#frames - PRE_ROLL_FRAMES);
    const prompt = this.#prompt;
    if (!prompt) return;
    if (ev?.type === 'start' && !prompt.paused) {
      prompt.paused = true;
      this.#audio.pause?.();
    } else if (ev?.type === 'end' && prompt.paused) {
      // a backchannel: the prompt goes on
      prompt.paused = false;
      this.#audio.resume?.();
    } else if (prompt.paused && this.#vad.speaking && this.#vad.speechMs >= BACKCHANNEL_MS) {
      this.#prompt = null;
      this.#listenFrom = this.#speechFrom;
      this.#audio.flush();
      this.#audio.resume?.();
      prompt.interrupted();
    }
  }
}
