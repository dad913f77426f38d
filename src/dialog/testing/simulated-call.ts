import type { Clock } from '../../core/index.js';
import type { MediaSessionEvents } from '../../media/index.js';
import type { Asr, AsrEvent, AsrStream, Tts } from '../../speech/index.js';
import type { CallAudio } from '../ports.js';
import type { Persona, Turn } from './suite-file.js';

/**
 * One simulated call's line, voice, ears and callee, all on a fake clock: the dialog runs through
 * them as through a real call's MediaSession, TTS and ASR. Audio flows in 20 ms frames both ways,
 * so prompts take time, barge-in hears the callee's energy, and listens time out.
 */

export const FRAME_MS = 20;
const SAMPLES = 160;
/** The fake voice takes this long per word, so a prompt lasts as long as its text. */
export const WORD_MS = 300;
/** The callee starts answering this long after a listen opens (after the robot's prompt). */
const REACTION_MS = 400;
/**
 * An interruption lasts at least this long: past BACKCHANNEL_MS (600, barge-in.ts) plus the
 * detector's onset, so it cuts an interruptible prompt rather than being taken for "угу".
 */
const INTERRUPT_MIN_MS = 1200;
/** The fake recogniser ends an utterance after this much quiet (as a VAD's hangover, media/vad.ts). */
const END_QUIET_FRAMES = 300 / FRAME_MS;
/** A frame this loud (RMS) is speech to the fake recogniser; the callee's speech is far louder, silence is zero. */
const VOICED_RMS = 500;

/** A tone: 400 Hz (the callee) or 500 Hz (the robot), whole periods per frame, so frames join without clicks. */
function tone(hz: number, amplitude: number): Int16Array {
  const pcm = new Int16Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return pcm;
}
const CALLEE_SPEECH = tone(400, 8000);
const ROBOT_SPEECH = tone(500, 4000);
const SILENCE = new Int16Array(SAMPLES);

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The fake voice: a tone of WORD_MS per word, in 20 ms frames. */
export const toneTts: Tts = {
  async *synthesize(req, signal) {
    const frames = Math.max(1, words(req.text)) * (WORD_MS / FRAME_MS);
    for (let i = 0; i < frames && !signal?.aborted; i++) yield ROBOT_SPEECH;
  },
};

/**
 * The simulated callee: follows its persona's turns, one per listen, and speaks (a loud tone of
 * WORD_MS per word) or presses keys on the fake clock. It knows what it last said, which is what
 * the fake recogniser "hears" when its audio comes through.
 */
export class Callee {
  readonly #clock: Clock;
  readonly #persona: Persona;
  readonly #turns: Turn[];
  readonly #do: { hangUp(): void; press(digit: string): void };
  #next = 0;
  #robotLines = 0;
  #hangAfterPrompt = false;
  #gone = false;
  readonly #utterances: { text: string; from: number; until: number }[] = [];

  constructor(persona: Persona, turns: Turn[], clock: Clock, act: { hangUp(): void; press(digit: string): void }) {
    this.#persona = persona;
    this.#turns = turns;
    this.#clock = clock;
    this.#do = act;
  }

  /** The robot began an utterance (a transcript line). */
  robotSaid(): void {
    this.#robotLines++;
    const i = this.#persona.interrupts;
    if (i && i.prompt === this.#robotLines) this.#speak(i.say, i.after_ms, INTERRUPT_MIN_MS);
    if (this.#persona.hangs_up_after === this.#robotLines) this.#hangAfterPrompt = true;
  }

  /** The robot's audio ran out: a prompt was heard to its end. */
  promptEnded(): void {
    if (this.#hangAfterPrompt) this.#hangUp();
  }

  /** A listen opened: the callee takes its next turn, unless it is talking already (then that is its answer). */
  listening(): void {
    if (this.#gone) return;
    const last = this.#utterances.at(-1);
    if (last && this.#clock.now() < last.until) return;
    const turn: Turn = this.#turns[this.#next++] ?? (this.#persona.then === 'hang_up' ? { hang_up: true } : { silent: true });
    if ('say' in turn) this.#speak(turn.say, REACTION_MS, 0);
    else if ('key' in turn) this.#clock.setTimeout(() => !this.#gone && this.#do.press(turn.key), REACTION_MS);
    else if ('hang_up' in turn) this.#clock.setTimeout(() => this.#hangUp(), REACTION_MS);
  }

  /** The callee's next 20 ms frame on the line. */
  frame(): Int16Array {
    const now = this.#clock.now();
    const u = this.#utterances.at(-1);
    return !this.#gone && u && now >= u.from && now < u.until ? CALLEE_SPEECH : SILENCE;
  }

  /** What the callee is saying, or last said. */
  get saying(): string {
    const now = this.#clock.now();
    return this.#utterances.findLast((u) => u.from <= now)?.text ?? '';
  }

  #speak(text: string, inMs: number, minMs: number): void {
    const from = this.#clock.now() + inMs;
    this.#utterances.push({ text, from, until: from + Math.max(minMs, words(text) * WORD_MS) });
  }

  #hangUp(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#do.hangUp();
  }
}

/**
 * The call's line: plays the robot's frames one per 20 ms of the clock (pause/resume/flush as a
 * MediaSession does) and delivers the callee's frame every 20 ms to the `audio` listeners.
 */
export class SimulatedLine implements CallAudio {
  readonly #clock: Clock;
  readonly #callee: Callee;
  readonly #queue: { pcm: Int16Array; sent: number; done: (sent: boolean) => void }[] = [];
  readonly #audio = new Set<MediaSessionEvents['audio']>();
  readonly #dtmf = new Set<MediaSessionEvents['dtmf']>();
  readonly #cut: () => void;
  #paused = false;
  #timer: unknown;

  /** `cut`: the robot's speech was dropped while paused, which is how barge-in cuts a prompt (a hang-up drops it unpaused). */
  constructor(clock: Clock, callee: Callee, cut: () => void = () => {}) {
    this.#clock = clock;
    this.#callee = callee;
    this.#cut = cut;
    this.#timer = clock.setTimeout(this.#tick, FRAME_MS);
  }

  play(pcm: Int16Array): Promise<boolean> {
    return new Promise((done) => this.#queue.push({ pcm, sent: 0, done }));
  }

  flush(): void {
    if (this.#paused && this.#queue.length) this.#cut();
    for (const q of this.#queue.splice(0)) q.done(false);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void {
    const set = (event === 'audio' ? this.#audio : event === 'dtmf' ? this.#dtmf : null) as Set<MediaSessionEvents[E]> | null;
    if (!set) return () => {};
    set.add(fn);
    return () => set.delete(fn);
  }

  /** The callee pressed a key (RFC 4733 events are told once, with their length). */
  press(digit: string): void {
    for (const fn of [...this.#dtmf]) fn(digit, 100);
  }

  close(): void {
    this.#clock.clearTimeout(this.#timer);
    this.flush();
  }

  readonly #tick = (): void => {
    this.#timer = this.#clock.setTimeout(this.#tick, FRAME_MS);
    const q = this.#queue[0];
    if (q && !this.#paused) {
      q.sent += SAMPLES;
      if (q.sent >= q.pcm.length) {
        this.#queue.shift();
        q.done(true);
        if (!this.#queue.length) this.#callee.promptEnded();
      }
    }
    const frame = this.#callee.frame();
    for (const fn of [...this.#audio]) fn(frame);
  };
}

/**
 * The fake recogniser: it hears the audio the listen writes to it, by energy. Speech starts at
 * the first loud frame (speech-start) and ends after END_QUIET_FRAMES of quiet; the final's text
 * is what the callee was saying when its speech was first heard. Audio that never reaches it
 * (a listen that does not write, a barge-in that loses the callee's first words) is not heard.
 */
export function energyAsr(clock: Clock, callee: Callee, opened: () => void): Asr {
  return {
    recognize(): AsrStream {
      const events: AsrEvent[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      let text: string | null = null;
      let quiet = 0;
      const push = (e: AsrEvent | null) => {
        if (e) events.push(e);
        else ended = true;
        wake?.();
        wake = null;
      };
      const stream: AsrStream = {
        write(pcm) {
          if (ended) return;
          let sum = 0;
          for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
          const voiced = Math.sqrt(sum / Math.max(1, pcm.length)) >= VOICED_RMS;
          if (text === null) {
            if (!voiced) return;
            text = callee.saying;
            push({ type: 'speech-start', atMs: clock.now() });
          } else if (voiced) {
            quiet = 0;
          } else if (++quiet >= END_QUIET_FRAMES) {
            push({ type: 'final', text, confidence: 1, atMs: clock.now() });
            push(null);
          }
        },
        end: () => push(null),
        cancel: () => push(null),
        async *events() {
          for (;;) {
            const e = events.shift();
            if (e) yield e;
            else if (ended) return;
            else await new Promise<void>((r) => (wake = r));
          }
        },
      };
      opened();
      return stream;
    },
  };
}
