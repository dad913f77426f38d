/**
 * The engine's view of a speech engine. Audio on both ports is 8 kHz mono 16-bit PCM,
 * the rate of the G.711 phone line, so nothing is resampled on the call path.
 */
export const SAMPLE_RATE_HZ = 8000;
export interface SynthesizeRequest {
  /** plain text, or SSML when it starts with <speak> (the subset in speech.proto: break, say-as, prosody rate) */
  text: string;
  /** BCP 47, e.g. ru-RU, en-US */
  language: string;
  voice?: string;
  /** speaking rate: 1 normal (default), 0.8 slower, 1.2 faster */
  rate?: number;
  callId?: string;
  /** a fixed prompt, the same for every call (no patient's data in it): its audio may be kept and played again */
  fixed?: boolean;
}

/** SynthesizeRequest.text is SSML when it starts with <speak>. */
export function isSsml(text: string): boolean {
  return /^\s*<speak[\s>]/.test(text);
}

export interface Tts {
  /**
   * Streams the spoken text as PCM chunks as the engine produces them.
   * The iterator throws SpeechError('SPEECH_UNAVAILABLE') when the server cannot be reached (a
   * connection lost before the first chunk is asked again first), SpeechError('SPEECH_PROTOCOL')
   * when it answers nonsense; it stops early when signal aborts.
   */
  synthesize(req: SynthesizeRequest, signal?: AbortSignal): AsyncIterable<Int16Array>;
}

export interface RecognizeOptions {
  language: string;
  /** Phrases the dialog expects; engines that can bias recognition use them. */
  hints?: string[];
  /**
   * A closed grammar: the only phrases the listen step can act on. An engine that supports
   * grammars answers one of them or 'no-match' (never a forced match); others take them as hints.
   */
  grammar?: string[];
  /** ask for 'interim' events while the callee speaks (engines that cannot just send finals) */
  interim?: boolean;
  callId?: string;
}

/** A recognised word and where it lies, in ms of the stream's audio. */
export interface WordTiming {
  word: string;
  startMs: number;
  endMs: number;
}

/** Offsets (atMs) count milliseconds of audio from the first sample written to the stream. */
export type AsrEvent =
  /** The engine hears speech start (used for barge-in and for timing). */
  | { type: 'speech-start'; atMs: number }
  /** The utterance ended (trailing silence reached); its final or no-match follows. */
  | { type: 'speech-end'; atMs: number }
  /** What is heard so far of an utterance still going on; a later interim or final replaces it. */
  | { type: 'interim'; text: string; atMs: number }
  /** A finished utterance; atMs is where it ended, confidence runs from 0 to 1. */
  | { type: 'final'; text: string; confidence: number; atMs: number; startMs?: number; words?: WordTiming[] }
  /** Speech was heard but none of the grammar's phrases was said (only with a grammar). */
  | { type: 'no-match'; atMs: number; confidence: number };

/** One recognition stream: audio goes in with write(), events come out of events(). */
export interface AsrStream {
  write(pcm: Int16Array): void;
  /** No more audio; the engine flushes its last result and ends the events. */
  end(): void;
  /**
   * Stops listening at once: events() ends without error, and later events are dropped. A
   * listen step calls it every time, so it must be cheap for the engine: adapters end the
   * stream gracefully (a gRPC half-close), not with a reset, since servers close connections
   * that reset streams fast (issue 7). Idempotent.
   */
  cancel(): void;
  /**
   * Events in order; leaving the loop early is cancel(). Throws SpeechError('SPEECH_UNAVAILABLE')
   * when the server cannot be reached or stays away (a connection lost mid-stream is re-opened
   * first, and the events go on), SpeechError('SPEECH_PROTOCOL') on a message that breaks the contract.
   */
  events(): AsyncIterable<AsrEvent>;
}

export interface Asr {
  /** Opens a stream at once; connection failures surface from events(), not here. */
  recognize(opts: RecognizeOptions): AsrStream;
}

/** What a speech engine can do, as it reports it (LiveKit agents-style capabilities). */
export interface SpeechCapabilities {
  engine: string;
  /** BCP 47 tags; the single entry '*' means any language. */
  languages: string[];
  /** voices the engine speaks (empty: one voice, or it does not say) */
  voices: string[];
  streamingRecognize: boolean;
  streamingSynthesize: boolean;
  /** it honours RecognizeOptions.grammar (answers 'no-match' outside it) */
  grammar: boolean;
  /** it sends 'interim' events when asked */
  interim: boolean;
  /** streams (recognition + synthesis) it serves at once across all its clients; null: it does not say */
  maxStreams: number | null;
}

/** How loaded the engine is now, across every client (Health in speech.proto). */
export interface SpeechHealth {
  serving: boolean;
  /** streams open now, from every process */
  streamsInUse: number;
  maxStreams: number | null;
  /** the wait (ms) a request arriving now can expect before the engine's workers start on it; absent when the engine does not say */
  backlogMs?: number;
  /** what one more request adds to backlogMs (0 or absent: unknown) */
  requestMs?: number;
}

/**
 * One speech engine as zvonar uses it: an adapter (adapters/<engine>/) gives one of these. An
 * engine may do recognition, synthesis or both.
 */
export interface SpeechEngine {
  /** for logs and metrics: "reference", "yandex", "tinkoff", "vosk" */
  readonly name: string;
  readonly tts?: Tts;
  readonly asr?: Asr;
  /** Rejects with SpeechError('SPEECH_UNAVAILABLE' | 'SPEECH_PROTOCOL'). */
  capabilities(): Promise<SpeechCapabilities>;
  /** Current load; engines that cannot tell answer from capabilities with streamsInUse counted by this client. */
  health(): Promise<SpeechHealth>;
  /** Closes connections: open streams run to their end. Idempotent. */
  close(): void;
}
