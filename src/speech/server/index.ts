/**
 * zvonar's own speech server: proto/zvonar/speech/v1/speech.proto over real gRPC, wrapping engines
 * installed on the machine (engines.ts): synthesisers (RHVoice, espeak-ng, the modem voice) and a
 * closed-grammar recogniser (pocketsphinx), with the modem voice always decoded exactly. It is the
 * embedded default, what `zvonar speech serve` runs, and what tests talk to.
 *
 *   synthesize.ts  Synthesize: checks, the voice, SSML and words for numbers, audio out
 *   recognize.ts   Recognize: the modem decoder and utterances by voice activity -> the recogniser
 *   formats.ts     encodings, language tags, and what is wrong with a request
 *
 * Streams are counted against maxStreams across every client; beyond it, RESOURCE_EXHAUSTED.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { SpeechError } from '../../core/index.js';
import { SAMPLE_RATE_HZ } from '../ports.js';
import { speechService } from '../contract.js';
import type { CapabilitiesMsg, GetCapabilitiesRequestMsg, HealthRequestMsg, HealthStatusMsg } from '../contract.js';
import type { GrammarRecognizer, VoiceEngine } from './engines.js';
import { CODECS } from './formats.js';
import { modemVoice } from './modem-voice.js';
import { recognize } from './recognize.js';
import type { PrepareText } from './prepare.js';
import { plainText, synthesize } from './synthesize.js';

export type { GrammarRecognizer, VoiceEngine } from './engines.js';
export { MODEM_VOICE, modemVoice } from './modem-voice.js';
export { textPreparer } from './prepare.js';
export { loadPronunciation } from '../pronunciation.js';
export { startRhvoice } from './rhvoice.js';
export { startEspeak } from './espeak.js';

export interface SpeechServer {
  /** "host:port" as bound, e.g. "127.0.0.1:40123". */
  readonly address: string;
  /** streams open now */
  readonly streams: number;
  /** Stops accepting calls; calls still open after 2 s are cut. Resolves once; later calls too. */
  close(): Promise<void>;
}

export interface SpeechServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
  /** synthesisers, in order of preference for a language (default: the modem voice alone) */
  voices?: VoiceEngine[];
  /** BCP 47 tag -> the voice for it when a request names none (else the first engine's for the language) */
  defaultVoices?: Record<string, string>;
  /** the closed-grammar recogniser for human speech; without one, speech outside the modem voice is no_match */
  recognizer?: GrammarRecognizer | null;
  /** SSML and words for numbers, for natural voices (default: plain text as it is) */
  prepare?: PrepareText;
  /** streams served at once, from every client together (default 1000) */
  maxStreams?: number;
  /** silence that ends an utterance (default 500 ms) */
  endSilenceMs?: number;
  /** how the server names itself in Capabilities */
  engine?: string;
}

/** How long close() lets open calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Starts the server on host:port. Rejects with SpeechError('SPEECH_UNAVAILABLE') when the address
 * cannot be bound. The engines are the caller's: close() does not close them.
 */
export async function startSpeechServer(opts: SpeechServerOptions = {}): Promise<SpeechServer> {
  const host = opts.host ?? '127.0.0.1';
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${opts.port ?? 0}`;
  const voices = opts.voices ?? [modemVoice()];
  const recognizer = opts.recognizer ?? null;
  const maxStreams = opts.maxStreams ?? 1000;
  let streams = 0;
  const open = (): string | null => {
    if (streams >= maxStreams) return `${streams} streams are open; this engine serves at most ${maxStreams} at once`;
    streams++;
    return null;
  };
  const close = (): void => {
    streams--;
  };
  const worst = (f: (e: Pick<VoiceEngine, 'backlogMs' | 'requestMs'>) => number): number => Math.round(Math.max(0, ...[...voices, ...(recognizer ? [recognizer] : [])].map(f)));
  const backlog = (): number => worst((e) => e.backlogMs?.() ?? 0);
  const requestMs = (): number => worst((e) => e.requestMs?.() ?? 0);
  const languages = [...new Set([...voices.flatMap((v) => v.voices.map((x) => x.language)), ...(recognizer?.languages ?? [])])];
  const capabilities: CapabilitiesMsg = {
    engine: opts.engine ?? `zvonar speech server (${[...voices.map((v) => v.name), ...(recognizer ? [recognizer.name] : [])].join(', ')})`,
    languages: languages.includes('*') ? ['*'] : languages,
    voices: voices.flatMap((v) => v.voices.map((x) => x.name)),
    voiceInfo: voices.flatMap((v) => v.voices.map((x) => ({ name: x.name, language: x.language }))),
    encodings: [...CODECS.keys()],
    sampleRatesHz: [SAMPLE_RATE_HZ],
    streamingRecognize: true,
    streamingSynthesize: true,
    interimResults: false,
    grammar: recognizer !== null,
    maxConcurrentStreams: maxStreams,
    ssml: opts.prepare !== undefined,
  };

  const server = new Server();
  server.addService(speechService(), {
    Recognize: (call: Parameters<typeof recognize>[1]) => recognize({ recognizer, endSilenceMs: opts.endSilenceMs ?? 500, open, close }, call),
    Synthesize: (call: Parameters<typeof synthesize>[1]) => synthesize({ voices, defaultVoices: opts.defaultVoices ?? {}, prepare: opts.prepare ?? plainText, open, close }, call),
    GetCapabilities: (_call: ServerUnaryCall<GetCapabilitiesRequestMsg, CapabilitiesMsg>, done: sendUnaryData<CapabilitiesMsg>) => done(null, capabilities),
    Health: (_call: ServerUnaryCall<HealthRequestMsg, HealthStatusMsg>, done: sendUnaryData<HealthStatusMsg>) =>
      done(null, { serving: closing === undefined, streamsInUse: streams, maxConcurrentStreams: maxStreams, backlogMs: backlog(), requestMs: requestMs() }),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        reject(
          new SpeechError('SPEECH_UNAVAILABLE', `speech server cannot listen on ${hostPort}: ${err.message}`, { address: hostPort }, {
            permanent: false,
            cause: err,
            hint: 'pick a free port, or 0 for any',
          }),
        );
      } else resolve(bound);
    });
  });
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    address,
    get streams() {
      return streams;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      });
      return closing;
    },
  };
}

/** The modem voice alone: exact and fast, for tests and benches. */
export function startReferenceSpeechServer(opts: { host?: string; port?: number } = {}): Promise<SpeechServer> {
  return startSpeechServer({ ...opts, engine: 'zvonar-modem 1 (Bell 202 FSK reference voice)' });
}
