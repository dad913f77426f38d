/**
 * Fakes of the speech ports for tests: an engine that can be told to be down, to stall, or to
 * refuse, and that counts its streams. Real engines are tested over real gRPC
 * (tests/integration/speech-*.test.ts); these stand in where a test is about what zvonar does
 * around an engine (routing, fallback, the breaker, the dialog's apology path).
 */
import { SpeechError } from '../../core/index.js';
import type { AsrEvent, AsrStream, RecognizeOptions, SpeechCapabilities, SpeechEngine, SpeechHealth, SynthesizeRequest } from '../ports.js';
import { SAMPLE_RATE_HZ } from '../ports.js';

export type FakeMode =
  /** answers */
  | 'up'
  /** SPEECH_UNAVAILABLE at once, as a refused connection */
  | 'down'
  /** never answers: a synthesis gives no audio, a recognition no events, until cancelled */
  | 'stall'
  /** SPEECH_PROTOCOL: the engine rejects the request */
  | 'refuse';

export interface FakeEngineOptions {
  name?: string;
  languages?: string[];
  voices?: string[];
  grammar?: boolean;
  maxStreams?: number | null;
  /** what a recognition hears for this request: the events after the audio ends (default: one final "да") */
  hears?: (opts: RecognizeOptions) => AsrEvent[];
  /** ms of audio a synthesis gives per character (default 60: a prompt is real-length) */
  msPerChar?: number;
  /** a recognition that has heard this many samples fails SPEECH_UNAVAILABLE (a crash mid-answer) */
  failAfterSamples?: number;
}

export interface FakeEngine extends SpeechEngine {
  mode: FakeMode;
  /** requests seen: synthesize texts and recognize languages, in order */
  readonly seen: { side: 'asr' | 'tts'; what: string; voice?: string }[];
  /** streams open now */
  readonly open: number;
}

function unavailable(name: string, side: 'asr' | 'tts', callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_UNAVAILABLE', `${side.toUpperCase()} ${name} unreachable (fake: down)`, { address: name, side, callId }, { permanent: false });
}
function refused(name: string, side: 'asr' | 'tts', callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_PROTOCOL', `speech engine ${name} rejected the request (fake: refuse)`, { address: name, side, callId }, { permanent: true });
}

/** A speech engine in memory (see FakeMode). Synthesis is a quiet tone, 20 ms per chunk. */
export function fakeEngine(o: FakeEngineOptions = {}): FakeEngine {
  const name = o.name ?? 'fake';
  const seen: FakeEngine['seen'] = [];
  let open = 0;
  const engine: FakeEngine = {
    name,
    mode: 'up',
    seen,
    get open() {
      return open;
    },
    tts: {
      async *synthesize(req: SynthesizeRequest, signal?: AbortSignal) {
        seen.push({ side: 'tts', what: req.text, ...(req.voice ? { voice: req.voice } : {}) });
        if (engine.mode === 'down') throw unavailable(name, 'tts', req.callId);
        if (engine.mode === 'refuse') throw refused(name, 'tts', req.callId);
        open++;
        try {
          if (engine.mode === 'stall') {
            await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
            return;
          }
          const samples = Math.round((req.text.length * (o.msPerChar ?? 60) * SAMPLE_RATE_HZ) / 1000);
          for (let at = 0; at < samples && !signal?.aborted; at += 160) {
            const pcm = new Int16Array(Math.min(160, samples - at));
            for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(1000 * Math.sin((2 * Math.PI * 440 * (at + i)) / SAMPLE_RATE_HZ));
            yield pcm;
          }
        } finally {
          open--;
        }
      },
    },
    asr: {
      recognize(opts: RecognizeOptions): AsrStream {
        seen.push({ side: 'asr', what: opts.language });
        return new FakeAsrStream(engine, name, opts, o, (d) => {
          open += d;
        });
      },
    },
    async capabilities(): Promise<SpeechCapabilities> {
      if (engine.mode === 'down') throw unavailable(name, 'asr', undefined);
      return {
        engine: name,
        languages: o.languages ?? ['*'],
        voices: o.voices ?? [],
        streamingRecognize: true,
        streamingSynthesize: true,
        grammar: o.grammar ?? false,
        interim: false,
        maxStreams: o.maxStreams ?? null,
      };
    },
    async health(): Promise<SpeechHealth> {
      if (engine.mode === 'down') throw unavailable(name, 'asr', undefined);
      return { serving: true, streamsInUse: open, maxStreams: o.maxStreams ?? null };
    },
    close() {},
  };
  return engine;
}

class FakeAsrStream implements AsrStream {
  readonly #engine: FakeEngine;
  readonly #name: string;
  readonly #opts: RecognizeOptions;
  readonly #o: FakeEngineOptions;
  readonly #count: (d: number) => void;
  #samples = 0;
  #done = false;
  #wake: (() => void) | null = null;
  #failed: SpeechError | null = null;
  #ended = false;

  constructor(engine: FakeEngine, name: string, opts: RecognizeOptions, o: FakeEngineOptions, count: (d: number) => void) {
    this.#engine = engine;
    this.#name = name;
    this.#opts = opts;
    this.#o = o;
    this.#count = count;
    count(1);
  }

  write(pcm: Int16Array): void {
    if (this.#done || this.#ended) return;
    this.#samples += pcm.length;
    if (this.#o.failAfterSamples !== undefined && this.#samples >= this.#o.failAfterSamples && this.#engine.mode === 'up') {
      this.#failed = unavailable(this.#name, 'asr', this.#opts.callId);
      this.#wake?.();
    }
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#count(-1);
    this.#wake?.();
  }

  async *events(): AsyncGenerator<AsrEvent> {
    try {
      if (this.#engine.mode === 'down') throw unavailable(this.#name, 'asr', this.#opts.callId);
      if (this.#engine.mode === 'refuse') throw refused(this.#name, 'asr', this.#opts.callId);
      while (!this.#done && !this.#failed && (!this.#ended || this.#engine.mode === 'stall')) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
      if (this.#failed) throw this.#failed;
      if (this.#done) return;
      const atMs = Math.round(this.#samples / (SAMPLE_RATE_HZ / 1000));
      const events = this.#o.hears?.(this.#opts) ?? [{ type: 'final', text: 'да', confidence: 1, atMs }];
      for (const ev of events) yield ev;
    } finally {
      this.cancel();
    }
  }
}
