import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerDuplexStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { SpeechError } from '../../core/index.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../media/index.js';
import { MAX_PAYLOAD_BYTES } from '../modem/bell202.js';
import { SAMPLE_RATE_HZ } from '../ports.js';
import { ModemListener } from '../modem/fsk-decoder.js';
import type { ModemEvent } from '../modem/fsk-decoder.js';
import { modemSpeak } from '../modem/fsk-encoder.js';
import { linear16ToPcm, pcmToLinear16, speechService } from '../contract.js';
import type {
  AudioFormatMsg,
  CapabilitiesMsg,
  Encoding,
  GetCapabilitiesRequestMsg,
  RecognizeRequestMsg,
  RecognizeResponseMsg,
  SynthesizeRequestMsg,
  SynthesizeResponseMsg,
} from '../contract.js';

/**
 * The reference speech engine: proto/zvonar/speech/v1/speech.proto served over real gRPC, with
 * the modem voice (src/speech/modem) as its recogniser and synthesiser. It is the embedded
 * default and what tests talk to; vendor engines implement the same contract.
 */
export interface ReferenceSpeechServer {
  /** "host:port" as bound, e.g. "127.0.0.1:40123". */
  readonly address: string;
  /** Stops accepting calls; calls still open after 2 s are cut. Resolves once; later calls too. */
  close(): Promise<void>;
}

const ENGINE = 'zvonar-modem 1 (Bell 202 FSK reference voice)';
/**
 * Synthesize chunks: 100 ms first, so playback can start at once, then 500 ms (8 kB): the whole
 * utterance is ready at once here, and each message costs the client a parse and a queue step
 * (at 100 ms each, 1,400 a second at 200 calls: a tenth of zvonar's CPU, bench/capacity.ts).
 */
const FIRST_CHUNK_SAMPLES = SAMPLE_RATE_HZ / 10;
const CHUNK_SAMPLES = SAMPLE_RATE_HZ / 2;
/** How long close() lets open calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 2000;

type Codec = { decode(bytes: Uint8Array): Int16Array | string; encode(pcm: Int16Array): Uint8Array };

/** Encoding name -> how its bytes map to samples. Anything else is INVALID_ARGUMENT. */
const CODECS: ReadonlyMap<Encoding | number, Codec> = new Map<Encoding | number, Codec>([
  [
    'LINEAR16',
    {
      decode: (b) => (b.length % 2 === 0 ? linear16ToPcm(b) : `a LINEAR16 audio chunk has ${b.length} bytes; it must hold whole 16-bit samples (an even number of bytes)`),
      encode: pcmToLinear16,
    },
  ],
  ['PCMU', { decode: (b: Uint8Array) => decodeUlaw(b), encode: (p: Int16Array) => encodeUlaw(p) }],
  ['PCMA', { decode: (b: Uint8Array) => decodeAlaw(b), encode: (p: Int16Array) => encodeAlaw(p) }],
]);

const CAPABILITIES: CapabilitiesMsg = {
  engine: ENGINE,
  // UTF-8 text of any language goes through the modem voice unchanged.
  languages: ['*'],
  voices: ['bell202'],
  encodings: [...CODECS.keys()],
  sampleRatesHz: [SAMPLE_RATE_HZ],
  streamingRecognize: true,
  streamingSynthesize: true,
  interimResults: false,
  grammar: false,
  maxConcurrentStreams: 0,
  voiceInfo: [],
  ssml: false,
};

/**
 * Starts the reference engine on host:port (default 127.0.0.1:0, any free port).
 * Rejects with SpeechError('SPEECH_UNAVAILABLE') when the address cannot be bound.
 */
export async function startReferenceSpeechServer(opts: { host?: string; port?: number } = {}): Promise<ReferenceSpeechServer> {
  const host = opts.host ?? '127.0.0.1';
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${opts.port ?? 0}`;
  const server = new Server();
  server.addService(speechService(), {
    Recognize: recognize,
    Synthesize: synthesize,
    GetCapabilities: getCapabilities,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        reject(
          new SpeechError('SPEECH_UNAVAILABLE', `reference speech server cannot listen on ${hostPort}: ${err.message}`, { address: hostPort }, {
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

function getCapabilities(_call: ServerUnaryCall<GetCapabilitiesRequestMsg, CapabilitiesMsg>, done: sendUnaryData<CapabilitiesMsg>): void {
  done(null, CAPABILITIES);
}

/** Ends the call with INVALID_ARGUMENT; grpc-js turns an 'error' event into the call's status. */
function rejectCall(call: ServerDuplexStream<unknown, unknown> | ServerWritableStream<unknown, unknown>, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code: status.INVALID_ARGUMENT, details }));
}

function recognize(call: ServerDuplexStream<RecognizeRequestMsg, RecognizeResponseMsg>): void {
  let listener: ModemListener | null = null;
  let codec: Codec | undefined;
  let failed = false;
  const fail = (details: string): void => {
    failed = true;
    rejectCall(call, details);
  };
  const send = (events: readonly ModemEvent[]): void => {
    for (const ev of events) call.write(toResponse(ev));
  };

  call.on('data', (req: RecognizeRequestMsg) => {
    if (failed || call.cancelled) return;
    if (req.request === 'config' && req.config) {
      if (listener) return fail('config arrived twice: only the first RecognizeRequest carries config');
      const cfg = req.config;
      const problem = checkLanguage('config.language', cfg.language) ?? checkFormat('config.format', cfg.format);
      if (problem) return fail(problem);
      codec = CODECS.get(cfg.format!.encoding);
      listener = new ModemListener();
      return;
    }
    if (req.request === 'audio') {
      if (!listener || !codec) return fail('audio arrived before config: the first RecognizeRequest must carry config');
      const pcm = codec.decode(req.audio ?? new Uint8Array());
      if (typeof pcm === 'string') return fail(pcm);
      send(listener.push(pcm));
      return;
    }
    fail('a RecognizeRequest carries neither config nor audio');
  });
  call.on('end', () => {
    if (failed || call.cancelled) return;
    if (!listener) return fail('the request stream ended before config: the first RecognizeRequest must carry config');
    send(listener.end());
    call.end();
  });
}

function toResponse(ev: ModemEvent): RecognizeResponseMsg {
  switch (ev.type) {
    case 'carrier':
      return { event: { type: 'SPEECH_START', offsetMs: samplesToMs(ev.atSample) } };
    case 'carrier-lost':
      return { event: { type: 'SPEECH_END', offsetMs: samplesToMs(ev.atSample) } };
    case 'message':
      // A frame is only emitted when its CRC-16 holds: the modem voice is certain or silent.
      return {
        result: {
          transcript: ev.text,
          confidence: 1,
          isFinal: true,
          startOffsetMs: samplesToMs(ev.startSample),
          endOffsetMs: samplesToMs(ev.endSample),
          words: [],
          language: '',
        },
      };
  }
}

function samplesToMs(samples: number): number {
  return Math.round((samples * 1000) / SAMPLE_RATE_HZ);
}

async function synthesize(call: ServerWritableStream<SynthesizeRequestMsg, SynthesizeResponseMsg>): Promise<void> {
  const req = call.request;
  const bytes = Buffer.byteLength(req.text, 'utf8');
  const problem =
    (req.text.trim() === '' ? 'text is empty: there is nothing to say' : null) ??
    (bytes > MAX_PAYLOAD_BYTES ? `text is ${bytes} UTF-8 bytes; the modem voice carries at most ${MAX_PAYLOAD_BYTES}` : null) ??
    checkLanguage('language', req.language) ??
    checkFormat('format', req.format);
  if (problem) return rejectCall(call, problem);
  const codec = CODECS.get(req.format!.encoding)!;
  try {
    const pcm = modemSpeak(req.text);
    for (let at = 0, size = FIRST_CHUNK_SAMPLES; at < pcm.length && !call.cancelled; at += size, size = CHUNK_SAMPLES) {
      const more = call.write({ audio: codec.encode(pcm.subarray(at, at + size)) });
      if (!more) await drained(call);
    }
    if (!call.cancelled) call.end();
  } catch (err) {
    // A bug here must end this call, not the process: INTERNAL tells the client not to retry.
    const details = `reference engine failed: ${err instanceof Error ? err.message : String(err)}`;
    call.emit('error', Object.assign(new Error(details), { code: status.INTERNAL, details }));
  }
}

function drained(call: ServerWritableStream<SynthesizeRequestMsg, SynthesizeResponseMsg>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

/** BCP 47 (RFC 5646) well-formedness, as Intl checks it; the modem voice speaks every language. */
function checkLanguage(field: string, tag: string): string | null {
  if (tag === '') return `${field} is empty: give a BCP 47 tag such as ru-RU`;
  try {
    Intl.getCanonicalLocales(tag);
    return null;
  } catch {
    return `${field} "${tag}" is not a BCP 47 language tag (e.g. ru-RU, en-US)`;
  }
}

function checkFormat(field: string, format: AudioFormatMsg | null | undefined): string | null {
  if (!format) return `${field} is missing: give encoding and sample_rate_hz`;
  if (!CODECS.has(format.encoding)) {
    return `${field}.encoding ${format.encoding} is not supported: the reference engine takes ${[...CODECS.keys()].join(', ')}`;
  }
  if (format.sampleRateHz !== SAMPLE_RATE_HZ) {
    return `${field}.sample_rate_hz ${format.sampleRateHz} is not supported: the reference engine works at ${SAMPLE_RATE_HZ} Hz only`;
  }
  return null;
}
