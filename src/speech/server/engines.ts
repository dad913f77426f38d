/**
 * What the reference speech server (src/speech/server) wraps: engines installed on the machine,
 * each behind one of these two shapes. The server speaks the gRPC contract
 * (proto/zvonar/speech/v1) on their behalf: it checks requests, converts audio formats, cuts the
 * callee's audio into utterances, and counts streams against the declared capacity.
 *
 * Audio here is always 8 kHz mono 16-bit PCM, the phone line's rate.
 */

/** A voice the engine speaks. */
export interface VoiceInfo {
  /** engine-specific name, e.g. "anna" (RHVoice), "ru" (espeak-ng), "bell202" (the modem voice) */
  name: string;
  /** BCP 47 tag, e.g. "ru-RU" */
  language: string;
}

export interface SynthesisOptions {
  /** one of the engine's voices */
  voice: string;
  /** BCP 47 tag of the text */
  language: string;
  /** speaking rate: 1 normal, 0.5 half speed, 2 double */
  rate: number;
}

/** A synthesiser: RHVoice, espeak-ng, the modem voice. */
export interface VoiceEngine {
  readonly name: string;
  readonly voices: readonly VoiceInfo[];
  /**
   * true: the engine carries the characters as given (the modem voice), so the server writes
   * nothing out as words and takes no SSML.
   */
  readonly verbatim?: boolean;
  /** A reason this text cannot be spoken by this engine (too long for it...), or null. */
  check?(text: string): string | null;
  /** the wait (ms) a request arriving now can expect before a worker starts on it (server/backlog.ts) */
  backlogMs?(): number;
  /** what one more request adds to backlogMs(): a worker's mean time for one over the workers (0: unknown) */
  requestMs?(): number;
  /**
   * Speaks plain text (already normalised: numbers, dates and times written out as words) as
   * 8 kHz PCM chunks, the first as soon as the engine has it. Stops when signal aborts. Throws
   * an Error naming the engine when the engine fails.
   */
  synthesize(text: string, opts: SynthesisOptions, signal: AbortSignal): AsyncIterable<Int16Array>;
  close(): Promise<void>;
}

export interface RecognizedWord {
  word: string;
  /** milliseconds from the start of the utterance's audio */
  startMs: number;
  endMs: number;
}

export interface UtteranceResult {
  /** the grammar phrase heard; null when the speech is outside the grammar (never a forced match) */
  transcript: string | null;
  /** 0 (a guess) .. 1 (certain) that transcript is what was said (for null: that nothing in the grammar was) */
  confidence: number;
  words: RecognizedWord[];
}

/** A recogniser of one whole utterance against a closed grammar: pocketsphinx, the modem decoder. */
export interface GrammarRecognizer {
  readonly name: string;
  /** BCP 47 tags */
  readonly languages: readonly string[];
  /**
   * pcm: one utterance (8 kHz, with a little silence either side); grammar: the phrases the
   * listen step expects, in the request's language.
   */
  recognize(pcm: Int16Array, opts: { language: string; grammar: readonly string[] }, signal?: AbortSignal): Promise<UtteranceResult>;
  /** as VoiceEngine's */
  backlogMs?(): number;
  requestMs?(): number;
  close(): Promise<void>;
}
