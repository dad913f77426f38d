/**
 * The engine's view of a speech engine. Audio on both ports is 8 kHz mono 16-bit PCM,
 * the rate of the G.711 phone line, so nothing is resampled on the call path.
 */
export const SAMPLE_RATE_HZ = 8000;
export interface SynthesizeRequest {
  text: string;
  /** BCP 47, e.g. ru-RU, en-US */
  language: string;
  voice?: string;
  callId?: string;
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
  callId?: string;
}

/** Offsets (atMs) count milliseconds of audio from the first sample written to the stream. */
export type AsrEvent =
  /** The engine hears speech start (used for barge-in and for timing). */
  | { type: 'speech-start'; atMs: number }
  /** A finished utterance; atMs is where it ended, confidence runs from 0 to 1. */
  | { type: 'final'; text: string; confidence: number; atMs: number };

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
  streamingRecognize: boolean;
  streamingSynthesize: boolean;
}
