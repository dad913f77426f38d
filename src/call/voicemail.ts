import type { Clock, TranscriptLine } from '../core/index.js';
import { EarlyMediaClassifier, Vad, type MediaSession } from '../media/index.js';
import type { Tts } from '../speech/index.js';

/** A mailbox that has not gone quiet this long after machine detection's verdict gets no message: someone is talking, or music plays. */
export const MAX_BEEP_WAIT_MS = 20_000;
/** Vad's hangover: it says the sound ended this long after its last voiced frame. */
const HANGOVER_MS = 300;
const POLL_MS = 50;

/**
 * Listens to a mailbox from the answer on, for the moment to leave a message. Its beep is the
 * early-media classifier's "speech, then a beep" cue: a mailbox's greeting and beep sound the same
 * after the answer as in early media (src/media/early-media.ts measured it on such greetings:
 * after >= 0.8 s of speech, a single 800-2100 Hz tone of 150 ms-2 s within 3 s). When the line
 * went quiet comes from a Vad, which takes a tone for sound: the quiet after a beep starts where
 * the beep ends. Quiet is clock time, and no frames at all are quiet too (a phone that sends
 * nothing while silent).
 */
export class MailboxEar {
  readonly #classifier = new EarlyMediaClassifier();
  readonly #vad = new Vad({ hangoverMs: HANGOVER_MS });
  readonly #clock: Clock;
  #beep: string | null = null;
  /** clock time the line went quiet; null while there is sound */
  #quietSince: number | null;
  /** clock time of the last frame */
  #lastFrameAt: number;

  readonly #onBeep: ((cue: string) => void) | undefined;

  /** `onBeep` hears the classifier's beep (speech, then a tone) as it is heard */
  constructor(clock: Clock, onBeep?: (cue: string) => void) {
    this.#clock = clock;
    this.#onBeep = onBeep;
    this.#quietSince = clock.now();
    this.#lastFrameAt = clock.now();
  }

  /** one 20 ms frame of the callee's audio */
  push(pcm: Int16Array): void {
    this.#lastFrameAt = this.#clock.now();
    this.#classifier.push(pcm);
    const ev = this.#vad.push(pcm);
    if (ev?.type === 'start') this.#quietSince = null;
    else if (ev?.type === 'end') this.#quietSince = this.#clock.now() - HANGOVER_MS;
    if (this.#beep === null && this.#classifier.settled) {
      const v = this.#classifier.verdict();
      if (v?.kind === 'voicemail') {
        this.#beep = v.cue;
        this.#onBeep?.(v.cue);
      }
    }
  }

  /** Machine detection heard the beep itself (a beep with no greeting before it). */
  heardBeep(cue: string): void {
    this.#beep ??= cue;
  }

  /** what told the beep, or null while none was heard */
  get beep(): string | null {
    return this.#beep;
  }

  /** ms the line has been quiet; 0 while there is sound */
  get quietMs(): number {
    const now = this.#clock.now();
    if (this.#quietSince !== null) return now - this.#quietSince;
    // no frames past the hangover: a phone that sends nothing while it is silent
    const unheard = now - this.#lastFrameAt;
    return unheard > HANGOVER_MS ? unheard : 0;
  }
}

/** left: said to its last frame. cut: the line went while it played. The rest: never said. */
/** 'skipped': left on an earlier attempt, and the script leaves it once */
export type VoicemailOutcome = 'left' | 'cut' | 'gone' | 'no-pause' | 'failed' | 'skipped';

/**
 * Says a message to a mailbox once it records: when its beep has ended, or after `beepWaitMs` of
 * quiet after its greeting (a mailbox that does not beep, or whose beep was not heard). A line that
 * never goes quiet for MAX_BEEP_WAIT_MS gets no message. `gone` aborts when the callee's side
 * hangs up or the line is lost: before the message that is 'gone', during it 'cut'. `after` is
 * the dialog's end: nothing else is said meanwhile. `line` is told the message as the robot's line,
 * and how the moment was chosen as a note. A synthesis that fails is 'failed', not thrown.
 */
export async function leaveMessage(p: {
  ear: MailboxEar; media: Pick<MediaSession, 'play' | 'flush'>; tts: Tts; clock: Clock;
  text: string; language: string; callId: string; beepWaitMs: number;
  gone: AbortSignal; after: Promise<unknown>; line: (line: TranscriptLine) => void;
}): Promise<VoicemailOutcome> {
  const { ear, clock } = p;
  await p.after;
  const t0 = clock.now();
  const cue = await new Promise<'beep' | 'quiet' | 'gone' | 'no-pause'>((resolve) => {
    const look = () => {
      if (p.gone.aborted) return resolve('gone');
      const quiet = ear.quietMs;
      if (quiet > 0 && ear.beep !== null) return resolve('beep');
      if (quiet >= p.beepWaitMs) return resolve('quiet');
      if (clock.now() - t0 >= MAX_BEEP_WAIT_MS) return resolve('no-pause');
      clock.setTimeout(look, POLL_MS);
    };
    look();
  });
  const note = (text: string) => p.line({ atMs: 0, who: 'system', text, step: 'voicemail' });
  if (cue === 'gone') return 'gone';
  if (cue === 'no-pause') {
    note(`(the mailbox never went quiet in ${MAX_BEEP_WAIT_MS / 1000} s; no message left)`);
    return 'no-pause';
  }
  note(cue === 'beep' ? `(mailbox beep: ${ear.beep})` : `(no beep; the mailbox was quiet for ${p.beepWaitMs} ms)`);
  p.line({ atMs: 0, who: 'robot', text: p.text, step: 'voicemail' });
  const flush = () => p.media.flush();
  p.gone.addEventListener('abort', flush, { once: true });
  try {
    let last: Promise<boolean> = Promise.resolve(true);
    for await (const pcm of p.tts.synthesize({ text: p.text, language: p.language, callId: p.callId }, p.gone)) {
      if (p.gone.aborted) break;
      last = p.media.play(pcm);
    }
    const played = await last;
    return played && !p.gone.aborted ? 'left' : 'cut';
  } catch {
    return p.gone.aborted ? 'cut' : 'failed';
  } finally {
    p.gone.removeEventListener('abort', flush);
  }
}
