/**
 * The speech engines from configuration: the embedded speech server with the engines installed on
 * this machine, a remote one, a Vosk server; all behind one router (src/speech/router.ts) with a
 * breaker per engine. The only place that picks speech adapters.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Logger } from '../core/index.js';
import type { Config } from '../config/index.js';
import { connectSpeech } from '../speech/adapters/grpc/index.js';
import { connectTinkoff } from '../speech/adapters/tinkoff/index.js';
import { connectVosk } from '../speech/adapters/vosk/index.js';
import { connectYandex } from '../speech/adapters/yandex/index.js';
import { routeSpeech, type SpeechRouter } from '../speech/router.js';
import { cachingTts, type TtsCache } from '../speech/tts-cache.js';
import { watchSpeechCapacity, type SpeechCapacity } from '../speech/capacity.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  loadPronunciation,
  modemVoice,
  startEspeak,
  startRhvoice,
  startSpeechServer,
  textPreparer,
  type GrammarRecognizer,
  type SpeechServer,
  type VoiceEngine,
} from '../speech/server/index.js';
import { pronunciationFrom, type SpeechEngine } from '../speech/index.js';
import { fixedPrompts, type Script } from '../dialog/index.js';
import { performance } from 'node:perf_hooks';

type EmbeddedConfig = Extract<Config['speech']['engines'][number], { kind: 'embedded' }>;

export interface EmbeddedEngines {
  voices: VoiceEngine[];
  recognizer: GrammarRecognizer | null;
  /** one line per engine, for the start-up log: what runs, and what is missing and why */
  notes: string[];
  close(): Promise<void>;
}

/**
 * Starts the engines an embedded (or `zvonar speech serve`) server wraps. A natural voice that is
 * not installed is left out with a note (the next in the list speaks); none at all is an error.
 */
export async function startEmbeddedEngines(cfg: Pick<EmbeddedConfig, 'voices' | 'recognizer'>): Promise<EmbeddedEngines> {
  const voices: VoiceEngine[] = [];
  const notes: string[] = [];
  for (const name of cfg.voices) {
    try {
      const engine = name === 'rhvoice' ? await startRhvoice() : name === 'espeak-ng' ? await startEspeak() : modemVoice();
      voices.push(engine);
      notes.push(`${name}: ${engine.voices.map((v) => v.name).slice(0, 8).join(', ')}${engine.voices.length > 8 ? ', ...' : ''}`);
    } catch (err) {
      notes.push(`${name}: not available (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (voices.length === 0) {
    throw new ConfigError('CONFIG_INVALID', `speech: none of the voices ${cfg.voices.join(', ')} can start: ${notes.join('; ')}`, { path: 'speech.engines' }, {
      hint: 'install rhvoice (Debian non-free) or espeak-ng, or add modem to voices',
    });
  }
  let recognizer: GrammarRecognizer | null = null;
  if (cfg.recognizer === 'pocketsphinx') {
    try {
      const { startPocketsphinx } = await import('../speech/server/pocketsphinx/index.js');
      const started = await startPocketsphinx();
      recognizer = started;
      notes.push(`pocketsphinx: closed-grammar recognition for ${started.languages.join(', ')}`);
    } catch (err) {
      notes.push(`pocketsphinx: not available (${err instanceof Error ? err.message : String(err)}); speech other than the modem voice is heard as no match`);
    }
  }
  return {
    voices,
    recognizer,
    notes,
    async close() {
      await Promise.all([...voices.map((v) => v.close()), recognizer?.close()]);
    },
  };
}

export interface Speech {
  router: SpeechRouter;
  /** the router's synthesis with fixed prompts kept (what calls use); warm() it when a campaign starts */
  tts: TtsCache;
  /** the engines' room for more calls (the dialer starts no more) */
  capacity: SpeechCapacity;
  /** where the embedded server listens, if one runs */
  embedded: SpeechServer | null;
  /** what each engine is, for the start-up line */
  describe: string[];
  close(): Promise<void>;
}

export async function startSpeech(cfg: Config['speech'], log: Logger, metrics?: Registry): Promise<Speech> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const engines: SpeechEngine[] = [];
    const describe: string[] = [];
    let embedded: SpeechServer | null = null;
    for (const e of cfg.engines) {
      if (e.kind === 'embedded') {
        const local = await startEmbeddedEngines(e);
        closers.push(() => local.close());
        const dictionaries = e.pronunciation.map((file) => loadPronunciation(file, readFileSync(file)));
        const server = await startSpeechServer({
          host: '127.0.0.1',
          port: 0,
          voices: local.voices,
          recognizer: local.recognizer,
          defaultVoices: e.defaultVoices,
          prepare: textPreparer(dictionaries),
          maxStreams: e.maxStreams,
        });
        closers.push(() => server.close());
        embedded ??= server;
        const conn = connectSpeech(server.address, { deadlineMs: cfg.deadlineMs, name: 'embedded' });
        closers.push(() => conn.close());
        engines.push(conn);
        describe.push(`embedded speech server at ${server.address}: ${local.notes.join('; ')}`);
      } else if (e.kind === 'grpc') {
        const conn = connectSpeech(e.address, { deadlineMs: cfg.deadlineMs, name: `grpc ${e.address}` });
        closers.push(() => conn.close());
        engines.push(conn);
        describe.push(`speech engine at ${e.address}`);
      } else if (e.kind === 'yandex' || e.kind === 'tinkoff') {
        const o = {
          deadlineMs: cfg.deadlineMs, voice: e.voice, recognition: e.recognition, synthesis: e.synthesis,
          ...(e.credentialsFile ? { credentialsFile: e.credentialsFile } : {}), ...(e.maxStreams ? { maxStreams: e.maxStreams } : {}),
        };
        const vendor = e.kind === 'yandex' ? connectYandex(o) : connectTinkoff(o);
        closers.push(() => vendor.close());
        engines.push(vendor);
        describe.push(`${e.kind === 'yandex' ? 'Yandex SpeechKit' : 'Tinkoff VoiceKit'} (${[e.recognition ? 'recognition' : '', e.synthesis ? `synthesis, voice ${e.voice}` : ''].filter(Boolean).join(', ')})`);
      } else {
        const vosk = connectVosk({ url: e.url, deadlineMs: cfg.deadlineMs, languages: e.languages, ...(e.maxStreams ? { maxStreams: e.maxStreams } : {}) });
        closers.push(() => vosk.close());
        engines.push(vosk);
        describe.push(`Vosk server at ${e.url} (recognition, ${e.languages.join(', ')})`);
      }
    }
    let circuits: () => ReturnType<SpeechRouter['engines']> = () => [];
    const m = metrics ? speechMetrics(metrics, () => circuits()) : null;
    const router = routeSpeech(engines, {
      breaker: cfg.breaker,
      onFallback: (f) => {
        m?.fallbacks.inc({ side: f.side, engine: f.from });
        log.warn({ side: f.side, from: f.from, to: f.to, code: f.code }, 'speech engine failed; request moved to the next');
      },
    });
    await router.start();
    const capacity = watchSpeechCapacity(router, {
      maxBacklogMs: cfg.maxBacklogMs,
      onPoll: (h, backlogMs) => {
        m?.headroom.set(h ?? -1);
        m?.backlog.set(backlogMs / 1000);
      },
    });
    closers.push(() => capacity.stop());
    circuits = () => router.engines();
    return { router, tts: cachingTts(router.tts!), capacity, embedded, describe, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Renders a script's fixed prompts into the cache before its campaign's first call (and after an
 * edit), so no call waits on synthesis for them. A prompt that fails is said live later.
 */
export async function warmPrompts(speech: Speech, script: Script, clinic: { name: string; phone?: string }, log: Logger, words?: { language: string; words: Record<string, string> }): Promise<void> {
  // as the calls will ask for them: with the campaign's pronunciation dictionary applied
  const dict = words ? pronunciationFrom(words) : null;
  const texts = fixedPrompts(script, clinic).map((t) => (dict?.appliesTo(script.language) ? dict.apply(t) : t));
  const started = performance.now();
  const r = await speech.tts.warm(texts.map((text) => ({ text, language: script.language })));
  log.info({ dialog: script.id, kept: r.kept, prompts: texts.length, ms: Math.round(performance.now() - started) }, 'fixed prompts rendered before the first call');
  if (r.failed.length > 0) log.warn({ dialog: script.id, failed: r.failed.length, first: r.failed[0] }, 'some fixed prompts could not be rendered; they are synthesised when said');
}

/** The speech engines' health as metrics: no patient data, engine names only. */
function speechMetrics(registry: Registry, engines: () => ReturnType<SpeechRouter['engines']>) {
  return {
    headroom: new Gauge({
      name: 'zvonar_speech_headroom_streams',
      help: 'Streams the speech engines can still open (declared capacity less streams in use, all processes); -1: no declared limit',
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'zvonar_speech_backlog_seconds',
      help: 'How long a request arriving now would wait for the speech engines\' workers; calls start only while they keep it within speech.maxBacklogMs',
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'zvonar_speech_fallbacks_total',
      help: 'Requests moved from a speech engine that failed to the next',
      labelNames: ['side', 'engine'] as const,
      registers: [registry],
    }),
    circuits: new Gauge({
      name: 'zvonar_speech_circuit_open',
      help: '1 while a speech engine is left alone after failing (its circuit breaker is open or half-open)',
      labelNames: ['engine', 'side'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const e of engines()) {
          for (const side of ['asr', 'tts'] as const) if (e[side] !== null) this.set({ engine: e.name, side }, e[side] === 'closed' ? 0 : 1);
        }
      },
    }),
  };
}
