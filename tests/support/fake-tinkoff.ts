/**
 * A local fake of Tinkoff VoiceKit (SpeechToText/StreamingRecognize and
 * TextToSpeech/StreamingSynthesize) on 127.0.0.1, serving the subset in proto/vendor/tinkoff over
 * plain-text HTTP/2. The real api.tinkoff.ai cannot be reached from the test machines; this fake
 * checks what zvonar sends against the public examples and answers in their shapes.
 *
 * It checks the JWT as VoiceKit's examples build it (HS256 over the base64 secret, kid = API key,
 * aud = the service, exp in the future), "recognises" the modem voice exactly (ModemListener),
 * and "speaks" with modemSpeak() brought up to 48 kHz, since its examples say LINEAR16 comes at
 * 48 kHz only (and so the fake refuses other rates).
 */
import { createHmac } from 'node:crypto';
import { Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerDuplexStream, ServerWritableStream, ServiceDefinition } from '@grpc/grpc-js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import { tinkoffServices } from '../../src/speech/adapters/tinkoff/wire.js';
import type {
  DurationMsg,
  RecognitionConfigMsg,
  StreamingRecognizeRequestMsg,
  StreamingRecognizeResponseMsg,
  StreamingSynthesizeSpeechResponseMsg,
  SynthesizeSpeechRequestMsg,
} from '../../src/speech/adapters/tinkoff/wire.js';

export type FakeMode = 'ok' | 'unavailable-mid-stream' | 'stall' | 'malformed';

export interface FakeTinkoff {
  address: string;
  mode: FakeMode;
  pauseAfterFirstChunk: boolean;
  release(): void;
  seen: {
    configs: RecognitionConfigMsg[];
    interim: boolean[];
    synthesis: SynthesizeSpeechRequestMsg[];
    /** the JWT claims of each accepted call */
    claims: Record<string, unknown>[];
    cancelled: number;
    halfClosed: number;
  };
  open: number;
  close(): Promise<void>;
}

const CHUNK_SAMPLES_48K = 4800; // 100 ms

export async function startFakeTinkoff(keys: { apiKey: string; secretKey: string }): Promise<FakeTinkoff> {
  let gate: (() => void) | null = null;
  const fake: FakeTinkoff = {
    address: '',
    mode: 'ok',
    pauseAfterFirstChunk: false,
    release: () => {
      gate?.();
      gate = null;
    },
    seen: { configs: [], interim: [], synthesis: [], claims: [], cancelled: 0, halfClosed: 0 },
    open: 0,
    close: () => Promise.resolve(),
  };

  /** null when the call may go on; else the status it ends with (naming the key id presented, as a careless service might). */
  const refuse = (md: Metadata, aud: string): { code: number; details: string } | null => {
    const bearer = /^Bearer (.+)$/.exec(String(md.get('authorization')[0] ?? ''))?.[1];
    if (!bearer) return { code: status.UNAUTHENTICATED, details: 'no bearer token' };
    const [h, p, sig] = bearer.split('.');
    let header: { kid?: string; alg?: string };
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as typeof header;
      payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      return { code: status.UNAUTHENTICATED, details: 'malformed token' };
    }
    if (header.alg !== 'HS256' || header.kid !== keys.apiKey) return { code: status.UNAUTHENTICATED, details: `unknown api key ${header.kid}` };
    const want = createHmac('sha256', Buffer.from(keys.secretKey, 'base64')).update(`${h}.${p}`).digest('base64url');
    if (sig !== want) return { code: status.UNAUTHENTICATED, details: `bad signature for key ${header.kid}` };
    if (payload.aud !== aud) return { code: status.PERMISSION_DENIED, details: `token is for ${String(payload.aud)}` };
    if (!(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000)) return { code: status.UNAUTHENTICATED, details: 'token expired' };
    fake.seen.claims.push(payload);
    return null;
  };

  const lifecycle = (call: { on(ev: 'cancelled', f: () => void): unknown; emit(ev: 'error', e: unknown): unknown; end(): unknown }) => {
    fake.open++;
    const state = { ended: false };
    // grpc-js emits 'cancelled' on every stream close; a cancel is a close before the status.
    call.on('cancelled', () => {
      if (state.ended) return;
      state.ended = true;
      fake.open--;
      fake.seen.cancelled++;
    });
    const finish = (s?: { code: number; details: string }): void => {
      if (state.ended) return;
      state.ended = true;
      fake.open--;
      if (s) call.emit('error', s);
      else call.end();
    };
    return { state, finish };
  };

  const recognize = (call: ServerDuplexStream<StreamingRecognizeRequestMsg, StreamingRecognizeResponseMsg>): void => {
    const { state, finish } = lifecycle(call);
    const denied = refuse(call.metadata, 'tinkoff.cloud.stt');
    if (denied) return finish(denied);
    const mode = fake.mode;
    let listener: ModemListener | null = null;
    let interim = false;
    let chunks = 0;
    call.on('data', (req: StreamingRecognizeRequestMsg) => {
      if (state.ended || mode === 'stall') return;
      if (!listener) {
        const c = req.streamingConfig?.config;
        if (req.streamingRequest !== 'streamingConfig' || !c) return finish({ code: status.INVALID_ARGUMENT, details: 'streaming_config must come first' });
        if (c.encoding !== 'LINEAR16' || c.sampleRateHertz !== 8000 || c.numChannels !== 1) return finish({ code: status.INVALID_ARGUMENT, details: 'unsupported audio' });
        fake.seen.configs.push(c);
        interim = req.streamingConfig!.interimResultsConfig?.enableInterimResults === true;
        fake.seen.interim.push(interim);
        listener = new ModemListener();
        return;
      }
      if (req.streamingRequest !== 'audioContent' || !req.audioContent) return finish({ code: status.INVALID_ARGUMENT, details: 'expected audio_content' });
      chunks++;
      if (mode === 'unavailable-mid-stream' && chunks === 3) return finish({ code: status.UNAVAILABLE, details: 'recognizer restarting' });
      const bytes = req.audioContent;
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      for (const ev of listener.push(pcm)) {
        if (ev.type !== 'message') continue;
        const startMs = Math.round(ev.startSample / 8);
        const endMs = Math.round(ev.endSample / 8);
        const words = ev.text.split(/\s+/);
        const half = words.slice(0, Math.ceil(words.length / 2));
        const midMs = startMs + Math.round(((endMs - startMs) * half.length) / words.length);
        if (interim) call.write({ results: [result(half.join(' '), startMs, midMs, false)] });
        if (mode === 'malformed') {
          call.write({ results: [{ recognitionResult: { alternatives: [], channel: 0, startTime: dur(startMs), endTime: dur(endMs) }, isFinal: true, stability: 0 }] });
        } else call.write({ results: [result(ev.text, startMs, endMs, true)] });
      }
    });
    call.on('end', () => {
      fake.seen.halfClosed++;
      if (mode !== 'stall') finish();
    });
  };

  const synthesize = async (call: ServerWritableStream<SynthesizeSpeechRequestMsg, StreamingSynthesizeSpeechResponseMsg>): Promise<void> => {
    const { state, finish } = lifecycle(call);
    const denied = refuse(call.metadata, 'tinkoff.cloud.tts');
    if (denied) return finish(denied);
    const req = call.request;
    fake.seen.synthesis.push(req);
    const a = req.audioConfig;
    if (!a || a.audioEncoding !== 'LINEAR16' || a.sampleRateHertz !== 48000) {
      return finish({ code: status.INVALID_ARGUMENT, details: 'LINEAR16 is only supported at 48000 Hz' });
    }
    const text = req.input?.text || req.input?.ssml?.replace(/<[^>]+>/g, '') || '';
    if (text === '') return finish({ code: status.INVALID_ARGUMENT, details: 'empty input' });
    const mode = fake.mode;
    if (mode === 'stall') return;
    const pcm = upsample6(modemSpeak(text));
    for (let at = 0, n = 0; at < pcm.length; at += CHUNK_SAMPLES_48K, n++) {
      if (state.ended) return;
      if (mode === 'unavailable-mid-stream' && n === 1) return finish({ code: status.UNAVAILABLE, details: 'synthesizer restarting' });
      const part = pcm.subarray(at, at + CHUNK_SAMPLES_48K);
      // an odd split: a sample's two bytes in two responses, which the client must join
      const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      call.write({ audioChunk: bytes.subarray(0, bytes.length - 1) });
      call.write({ audioChunk: bytes.subarray(bytes.length - 1) });
      if (n === 0 && fake.pauseAfterFirstChunk) await new Promise<void>((resolve) => (gate = resolve));
      else await new Promise((resolve) => setImmediate(resolve));
    }
    finish();
  };

  const server = new Server();
  const s = tinkoffServices();
  server.addService(s.stt as unknown as ServiceDefinition, { StreamingRecognize: recognize });
  server.addService(s.tts as unknown as ServiceDefinition, { StreamingSynthesize: synthesize });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fake.address = `127.0.0.1:${port}`;
  fake.close = () => {
    fake.release();
    server.forceShutdown();
    return Promise.resolve();
  };
  return fake;
}

const dur = (ms: number): DurationMsg => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** A result with its words spread evenly over the phrase. */
function result(text: string, startMs: number, endMs: number, isFinal: boolean): StreamingRecognizeResponseMsg['results'][number] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const step = (endMs - startMs) / Math.max(1, words.length);
  return {
    recognitionResult: {
      alternatives: [
        {
          transcript: text,
          confidence: 0.9,
          words: words.map((w, i) => ({ word: w, startTime: dur(Math.round(startMs + i * step)), endTime: dur(Math.round(startMs + (i + 1) * step)), confidence: 0.9 })),
        },
      ],
      channel: 0,
      startTime: dur(startMs),
      endTime: dur(endMs),
    },
    isFinal,
    stability: 0,
  };
}

/** 8 kHz to 48 kHz by linear interpolation: a plausible 48 kHz voice for the client to bring down. */
function upsample6(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length * 6);
  for (let i = 0; i < pcm.length; i++) {
    const a = pcm[i]!;
    const b = pcm[i + 1] ?? 0;
    for (let k = 0; k < 6; k++) out[i * 6 + k] = Math.round(a + ((b - a) * k) / 6);
  }
  return out;
}
