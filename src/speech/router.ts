/**
 * The composite speech engine: several engines behind the ports, one request routed to the engine
 * that serves its language and voice, and moved to the next when that one is unavailable.
 *
 *   synthesize(req) -> candidates (voice's engine first, then the language's, in configured order)
 *                   -> the first whose breaker allows and which gives audio; later audio streams on
 *   recognize(opts) -> candidates (grammar engines first when a grammar is given)
 *                   -> audio since the last result is kept, and replayed to the next engine if the
 *                      current one fails mid-listen; events go on from there
 *
 * Only SPEECH_UNAVAILABLE moves a request on and counts against an engine's breaker
 * (breaker.ts); SPEECH_PROTOCOL (the engine refused this request) also moves it on, since another
 * engine may serve it, but says nothing about the engine's health. When no engine is left the
 * caller gets SPEECH_UNAVAILABLE naming every engine and why: the dialog's apology path.
 */
import { SpeechError } from '../core/index.js';
import { Breaker, type BreakerOptions, type BreakerState } from './breaker.js';
import type { Asr, AsrEvent, AsrStream, RecognizeOptions, SpeechCapabilities, SpeechEngine, SpeechHealth, SynthesizeRequest, Tts } from './ports.js';
import { SAMPLE_RATE_HZ } from './ports.js';

export interface SpeechRouterOptions {
  breaker?: BreakerOptions;
  /** Told when a request leaves an engine for the next (for logs and metrics). */
  onFallback?: (e: { side: 'asr' | 'tts'; from: string; to: string | null; code: string }) => void;
}

export interface SpeechRouter extends SpeechEngine {
  /** Asks every engine for its capabilities, so requests go where they can be served. Never rejects. */
  start(): Promise<void>;
  /** Each engine's name, circuit and what it reported. */
  engines(): { name: string; asr: BreakerState | null; tts: BreakerState | null; capabilities: SpeechCapabilities | null }[];
}

/** Audio kept for a replay to the next engine: the longest answer a listen waits for, and some. */
const REPLAY_MAX_SAMPLES = 20 * SAMPLE_RATE_HZ;

interface Member {
  engine: SpeechEngine;
  caps: SpeechCapabilities | null;
  asr: Breaker;
  tts: Breaker;
}

function serves(caps: SpeechCapabilities | null, language: string): boolean {
  if (!caps) return true;
  const lang = language.toLowerCase();
  return caps.languages.some((l) => l === '*' || l.toLowerCase() === lang || lang.startsWith(`${l.toLowerCase()}-`) || l.toLowerCase().startsWith(`${lang}-`));
}

export function routeSpeech(engines: readonly SpeechEngine[], opts: SpeechRouterOptions = {}): SpeechRouter {
  if (engines.length === 0) throw new RangeError('routeSpeech needs at least one engine');
  const members: Member[] = engines.map((engine) => ({ engine, caps: null, asr: new Breaker(opts.breaker), tts: new Breaker(opts.breaker) }));
  const name = members.map((m) => m.engine.name).join('+');

  const ttsCandidates = (req: SynthesizeRequest): Member[] => {
    const able = members.filter((m) => m.engine.tts && serves(m.caps, req.language));
    const voiced = req.voice ? able.filter((m) => m.caps?.voices.includes(req.voice!)) : [];
    return [...voiced, ...able.filter((m) => !voiced.includes(m))];
  };
  const asrCandidates = (o: RecognizeOptions): Member[] => {
    const able = members.filter((m) => m.engine.asr && serves(m.caps, o.language));
    if (!o.grammar?.length) return able;
    const grammar = able.filter((m) => m.caps?.grammar);
    return [...grammar, ...able.filter((m) => !grammar.includes(m))];
  };
  const fellBack = (side: 'asr' | 'tts', from: Member, to: Member | undefined, err: unknown): void => {
    opts.onFallback?.({ side, from: from.engine.name, to: to?.engine.name ?? null, code: err instanceof SpeechError ? err.code : 'INTERNAL' });
  };

  const tts: Tts = {
    async *synthesize(req, signal) {
      const tried: string[] = [];
      const list = ttsCandidates(req);
      for (let i = 0; i < list.length; i++) {
        const m = list[i]!;
        if (!m.tts.allow()) {
          tried.push(`${m.engine.name}: circuit open`);
          continue;
        }
        // a voice this engine does not have: its default voice for the language
        const own = req.voice && m.caps && !m.caps.voices.includes(req.voice) ? { ...req, voice: undefined } : req;
        let heard = false;
        try {
          for await (const pcm of m.engine.tts!.synthesize(own, signal)) {
            if (!heard) m.tts.success();
            heard = true;
            yield pcm;
          }
          if (!heard) m.tts.release();
          return;
        } catch (err) {
          if (!(err instanceof SpeechError)) throw err;
          if (err.code === 'SPEECH_UNAVAILABLE') m.tts.failure();
          else m.tts.release();
          // audio already played cannot be resumed on another voice
          if (heard || signal?.aborted) throw err;
          tried.push(`${m.engine.name}: ${err.message}`);
          fellBack('tts', m, list.slice(i + 1).find((n) => n.tts.state !== 'open'), err);
        }
      }
      throw nobody('tts', req.language, req.callId, tried);
    },
  };

  const asr: Asr = {
    recognize: (o) => new RoutedAsrStream(asrCandidates(o), o, fellBack),
  };

  return {
    name,
    tts,
    asr,
    async start() {
      await Promise.all(members.map(async (m) => {
        m.caps = await m.engine.capabilities().catch(() => null);
      }));
    },
    engines: () => members.map((m) => ({
      name: m.engine.name,
      asr: m.engine.asr ? m.asr.state : null,
      tts: m.engine.tts ? m.tts.state : null,
      capabilities: m.caps,
    })),
    async capabilities() {
      const all = await Promise.all(members.map((m) => m.engine.capabilities().catch(() => null)));
      const got = all.filter((c): c is SpeechCapabilities => c !== null);
      if (got.length === 0) throw nobody('asr', '*', undefined, members.map((m) => `${m.engine.name}: no capabilities`));
      return {
        engine: got.map((c) => c.engine).join(' + '),
        languages: [...new Set(got.flatMap((c) => c.languages))],
        voices: [...new Set(got.flatMap((c) => c.voices))],
        streamingRecognize: got.some((c) => c.streamingRecognize),
        streamingSynthesize: got.some((c) => c.streamingSynthesize),
        grammar: got.some((c) => c.grammar),
        interim: got.some((c) => c.interim),
        maxStreams: got.every((c) => c.maxStreams !== null) ? got.reduce((n, c) => n + c.maxStreams!, 0) : null,
      };
    },
    async health(): Promise<SpeechHealth> {
      const all = await Promise.all(members.map((m) => m.engine.health().catch(() => null)));
      const up = all.filter((h): h is SpeechHealth => h !== null && h.serving);
      return {
        serving: up.length > 0,
        streamsInUse: up.reduce((n, h) => n + h.streamsInUse, 0),
        maxStreams: up.length > 0 && up.every((h) => h.maxStreams !== null) ? up.reduce((n, h) => n + h.maxStreams!, 0) : null,
        // requests go to the first engine that serves them, not the least busy: the worst one counts
        backlogMs: Math.max(0, ...up.map((h) => h.backlogMs ?? 0)),
        requestMs: Math.max(0, ...up.map((h) => h.requestMs ?? 0)),
      };
    },
    close() {
      for (const m of members) m.engine.close();
    },
  };
}

function nobody(side: 'asr' | 'tts', language: string, callId: string | undefined, tried: string[]): SpeechError {
  const what = side === 'tts' ? 'speak' : 'recognise';
  const why = tried.length > 0 ? tried.join('; ') : `no engine is configured for ${language}`;
  return new SpeechError('SPEECH_UNAVAILABLE', `no speech engine can ${what} ${language} now: ${why}`, { side, callId, language }, {
    permanent: false,
    hint: 'check that the speech engines run (zvonar speech serve) and the `speech` section of the config',
  });
}

/**
 * One listen across engines: the current engine's stream, and the audio since its last result,
 * so that a failure mid-answer moves the answer to the next engine whole.
 */
class RoutedAsrStream implements AsrStream {
  readonly #list: Member[];
  readonly #opts: RecognizeOptions;
  readonly #fellBack: (side: 'asr', from: Member, to: Member | undefined, err: unknown) => void;
  #at = -1;
  #member: Member | undefined;
  #inner: AsrStream | undefined;
  /** audio since the last final (copies), and where it starts in the stream's samples */
  #held: Int16Array[] = [];
  #heldSamples = 0;
  #heldFrom = 0;
  #ended = false;
  #cancelled = false;
  readonly #tried: string[] = [];

  constructor(list: Member[], opts: RecognizeOptions, fellBack: (side: 'asr', from: Member, to: Member | undefined, err: unknown) => void) {
    this.#list = list;
    this.#opts = opts;
    this.#fellBack = fellBack;
    this.#next();
  }

  /** Opens the next engine whose breaker allows; false when none is left. */
  #next(): boolean {
    while (++this.#at < this.#list.length) {
      const m = this.#list[this.#at]!;
      if (!m.asr.allow()) {
        this.#tried.push(`${m.engine.name}: circuit open`);
        continue;
      }
      this.#member = m;
      this.#inner = m.engine.asr!.recognize(this.#opts);
      for (const pcm of this.#held) this.#inner.write(pcm);
      if (this.#ended) this.#inner.end();
      return true;
    }
    this.#member = undefined;
    this.#inner = undefined;
    return false;
  }

  write(pcm: Int16Array): void {
    if (this.#ended || this.#cancelled) return;
    // with no engine after this one there is nothing to move the answer to (the usual single
    // engine): a copy of every frame would only be garbage
    if (this.#at === this.#list.length - 1) {
      this.#heldFrom += pcm.length;
      this.#inner?.write(pcm);
      return;
    }
    this.#held.push(pcm.slice());
    this.#heldSamples += pcm.length;
    while (this.#heldSamples - (this.#held[0]?.length ?? 0) >= REPLAY_MAX_SAMPLES) {
      const first = this.#held.shift()!;
      this.#heldSamples -= first.length;
      this.#heldFrom += first.length;
    }
    this.#inner?.write(pcm);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#inner?.end();
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#member?.asr.release();
    this.#inner?.cancel();
  }

  async *events(): AsyncGenerator<AsrEvent> {
    // a replayed stream's offsets start where its audio starts
    let baseMs = 0;
    let lastFinalMs = -1;
    let succeeded = false;
    try {
      while (this.#inner && !this.#cancelled) {
        const m = this.#member!;
        try {
          for await (const ev of this.#inner.events()) {
            const shifted = shift(ev, baseMs);
            if (shifted.type === 'final' || shifted.type === 'no-match') {
              if (shifted.atMs <= lastFinalMs) continue;
              lastFinalMs = shifted.atMs;
              if (!succeeded) m.asr.success();
              succeeded = true;
              this.#dropHeldBefore(shifted.atMs);
            }
            yield shifted;
          }
          if (!succeeded) m.asr.release();
          return;
        } catch (err) {
          if (!(err instanceof SpeechError) || this.#cancelled) throw err;
          if (err.code === 'SPEECH_UNAVAILABLE') m.asr.failure();
          else m.asr.release();
          this.#tried.push(`${m.engine.name}: ${err.message}`);
          const from = m;
          baseMs = Math.round(this.#heldFrom / (SAMPLE_RATE_HZ / 1000));
          const more = this.#next();
          this.#fellBack('asr', from, this.#member, err);
          if (!more) throw nobody('asr', this.#opts.language, this.#opts.callId, this.#tried);
        }
      }
      if (!this.#inner && !this.#cancelled) throw nobody('asr', this.#opts.language, this.#opts.callId, this.#tried);
    } finally {
      this.cancel();
    }
  }

  #dropHeldBefore(atMs: number): void {
    const at = atMs * (SAMPLE_RATE_HZ / 1000);
    while (this.#held.length > 0 && this.#heldFrom + this.#held[0]!.length <= at) {
      const first = this.#held.shift()!;
      this.#heldSamples -= first.length;
      this.#heldFrom += first.length;
    }
  }
}

function shift(ev: AsrEvent, baseMs: number): AsrEvent {
  if (baseMs === 0) return ev;
  switch (ev.type) {
    case 'final':
      return {
        ...ev,
        atMs: ev.atMs + baseMs,
        ...(ev.startMs !== undefined ? { startMs: ev.startMs + baseMs } : {}),
        ...(ev.words ? { words: ev.words.map((w) => ({ ...w, startMs: w.startMs + baseMs, endMs: w.endMs + baseMs })) } : {}),
      };
    default:
      return { ...ev, atMs: ev.atMs + baseMs };
  }
}
