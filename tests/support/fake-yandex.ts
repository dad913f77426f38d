/**
 * A local fake of Yandex SpeechKit v3 (Recognizer/RecognizeStreaming and
 * Synthesizer/UtteranceSynthesis) on 127.0.0.1, serving the subset in proto/vendor/yandex over
 * plain-text HTTP/2. The real service cannot be reached from the test machines; this fake checks
 * what zvonar sends against the public API reference and answers in its shapes.
 *
 * It "recognises" the modem voice exactly (ModemListener) and "speaks" with modemSpeak(): each
 * decoded message gives two partials, a final (raw text: lower case, no punctuation), an
 * eou_update and, with normalisation on, a final_refinement carrying the text as spoken.
 */
import { Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerDuplexStream, ServerWritableStream, ServiceDefinition } from '@grpc/grpc-js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import { yandexServices } from '../../src/speech/adapters/yandex/wire.js';
import type {
  AlternativeMsg,
  StreamingOptionsMsg,
  StreamingRequestMsg,
  StreamingResponseMsg,
  UtteranceSynthesisRequestMsg,
  UtteranceSynthesisResponseMsg,
} from '../../src/speech/adapters/yandex/wire.js';

export type FakeMode = 'ok' | 'unavailable-mid-stream' | 'stall' | 'malformed';

export interface FakeYandex {
  address: string;
  /** how the next calls behave */
  mode: FakeMode;
  /** synthesis waits after its first chunk until release() */
  pauseAfterFirstChunk: boolean;
  release(): void;
  seen: {
    sessionOptions: StreamingOptionsMsg[];
    synthesis: UtteranceSynthesisRequestMsg[];
    /** calls the client reset (RST_STREAM) before the fake ended them */
    cancelled: number;
    /** recognition streams the client half-closed */
    halfClosed: number;
  };
  /** calls open now */
  open: number;
  close(): Promise<void>;
}

const LIMIT_CHARS = 250;
const CHUNK_BYTES = 1600; // 100 ms at 8 kHz

export async function startFakeYandex(creds: { apiKey: string; folderId?: string }): Promise<FakeYandex> {
  let gate: (() => void) | null = null;
  const fake: FakeYandex = {
    address: '',
    mode: 'ok',
    pauseAfterFirstChunk: false,
    release: () => {
      gate?.();
      gate = null;
    },
    seen: { sessionOptions: [], synthesis: [], cancelled: 0, halfClosed: 0 },
    open: 0,
    close: () => Promise.resolve(),
  };

  /** null when the call may go on; else the status it ends with (echoing what was presented, as a careless service might). */
  const refuse = (md: Metadata): { code: number; details: string } | null => {
    const presented = String(md.get('authorization')[0] ?? '');
    if (presented !== `Api-Key ${creds.apiKey}`) return { code: status.UNAUTHENTICATED, details: `unknown credentials "${presented}"` };
    if (creds.folderId !== undefined && md.get('x-folder-id')[0] !== creds.folderId) return { code: status.PERMISSION_DENIED, details: 'no access to the folder' };
    return null;
  };

  const recognize = (call: ServerDuplexStream<StreamingRequestMsg, StreamingResponseMsg>): void => {
    fake.open++;
    let ended = false;
    const finish = (s?: { code: number; details: string }): void => {
      if (ended) return;
      ended = true;
      fake.open--;
      if (s) call.emit('error', s);
      else call.end();
    };
    // grpc-js emits 'cancelled' on every stream close; a cancel is a close before the status.
    call.on('cancelled', () => {
      if (ended) return;
      ended = true;
      fake.open--;
      fake.seen.cancelled++;
    });
    const denied = refuse(call.metadata);
    if (denied) return finish(denied);
    const mode = fake.mode;
    let listener: ModemListener | null = null;
    let normalize = false;
    let chunks = 0;
    let finalIndex = -1;
    call.on('data', (req: StreamingRequestMsg) => {
      if (ended || mode === 'stall') return;
      if (!listener) {
        const o = req.sessionOptions;
        const raw = o?.recognitionModel?.audioFormat?.rawAudio;
        if (req.Event !== 'sessionOptions' || !o || !raw) return finish({ code: status.INVALID_ARGUMENT, details: 'session_options must come first' });
        if (raw.audioEncoding !== 'LINEAR16_PCM' || raw.sampleRateHertz !== 8000 || raw.audioChannelCount !== 1) {
          return finish({ code: status.INVALID_ARGUMENT, details: 'unsupported audio format' });
        }
        fake.seen.sessionOptions.push(o);
        normalize = o.recognitionModel.textNormalization?.textNormalization === 'TEXT_NORMALIZATION_ENABLED';
        listener = new ModemListener();
        call.write({ statusCode: { codeType: 'WORKING', message: '' } });
        return;
      }
      if (req.Event !== 'chunk' || !req.chunk) return finish({ code: status.INVALID_ARGUMENT, details: 'expected an audio chunk' });
      chunks++;
      if (mode === 'unavailable-mid-stream' && chunks === 3) return finish({ code: status.UNAVAILABLE, details: 'recognizer restarting' });
      const bytes = req.chunk.data;
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      for (const ev of listener.push(pcm)) {
        if (ev.type !== 'message') continue;
        const startMs = Math.round(ev.startSample / 8);
        const endMs = Math.round(ev.endSample / 8);
        const raw = ev.text.toLowerCase().replace(/[^\p{L}\p{N}\s:]/gu, '').replace(/\s+/g, ' ').trim();
        const rawWords = raw.split(' ');
        const half = rawWords.slice(0, Math.ceil(rawWords.length / 2));
        const midMs = startMs + Math.round(((endMs - startMs) * half.length) / rawWords.length);
        call.write({ partial: { alternatives: [alternative(half.join(' '), startMs, midMs)] } });
        call.write({ partial: { alternatives: [alternative(raw, startMs, endMs)] } });
        finalIndex++;
        const final = alternative(raw, startMs, endMs);
        if (mode === 'malformed') final.endTimeMs = startMs - 100;
        const cursors = { receivedDataMs: 0, resetTimeMs: 0, partialTimeMs: endMs, finalTimeMs: endMs, finalIndex, eouTimeMs: endMs };
        call.write({ audioCursors: cursors, final: { alternatives: [final] } });
        call.write({ audioCursors: cursors, eouUpdate: { timeMs: endMs } });
        if (normalize) call.write({ audioCursors: cursors, finalRefinement: { finalIndex, normalizedText: { alternatives: [alternative(ev.text, startMs, endMs)] } } });
      }
    });
    call.on('end', () => {
      fake.seen.halfClosed++;
      if (mode !== 'stall') finish();
    });
  };

  const synthesize = async (call: ServerWritableStream<UtteranceSynthesisRequestMsg, UtteranceSynthesisResponseMsg>): Promise<void> => {
    fake.open++;
    let ended = false;
    const finish = (s?: { code: number; details: string }): void => {
      if (ended) return;
      ended = true;
      fake.open--;
      if (s) call.emit('error', s);
      else call.end();
    };
    // grpc-js emits 'cancelled' on every stream close; a cancel is a close before the status.
    call.on('cancelled', () => {
      if (ended) return;
      ended = true;
      fake.open--;
      fake.seen.cancelled++;
    });
    const denied = refuse(call.metadata);
    if (denied) return finish(denied);
    const req = call.request;
    fake.seen.synthesis.push(req);
    const raw = req.outputAudioSpec?.rawAudio;
    if (!raw || raw.audioEncoding !== 'LINEAR16_PCM' || raw.sampleRateHertz !== 8000) return finish({ code: status.INVALID_ARGUMENT, details: 'unsupported audio spec' });
    if (req.text.length > LIMIT_CHARS) return finish({ code: status.INVALID_ARGUMENT, details: `text longer than ${LIMIT_CHARS} characters` });
    if (!req.hints.some((h) => 'voice' in h && h.voice)) return finish({ code: status.INVALID_ARGUMENT, details: 'no voice' });
    const mode = fake.mode;
    if (mode === 'stall') return;
    const pcm = modemSpeak(req.text);
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    for (let at = 0, n = 0; at < bytes.length; at += CHUNK_BYTES, n++) {
      if (ended) return;
      if (mode === 'unavailable-mid-stream' && n === 1) return finish({ code: status.UNAVAILABLE, details: 'synthesizer restarting' });
      call.write({ audioChunk: { data: bytes.subarray(at, at + CHUNK_BYTES) }, startMs: at / 16, lengthMs: CHUNK_BYTES / 16 });
      if (n === 0 && fake.pauseAfterFirstChunk) await new Promise<void>((resolve) => (gate = resolve));
      else await new Promise((resolve) => setImmediate(resolve));
    }
    finish();
  };

  const server = new Server();
  const s = yandexServices();
  server.addService(s.stt as unknown as ServiceDefinition, { RecognizeStreaming: recognize });
  server.addService(s.tts as unknown as ServiceDefinition, { UtteranceSynthesis: synthesize });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fake.address = `127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      fake.release();
      server.forceShutdown();
      resolve();
    });
  return fake;
}

/** The words spread evenly over the utterance: what the fake reports as word timings. */
function alternative(text: string, startMs: number, endMs: number): AlternativeMsg {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const step = (endMs - startMs) / Math.max(1, words.length);
  return {
    text,
    startTimeMs: startMs,
    endTimeMs: endMs,
    confidence: 0,
    words: words.map((w, i) => ({ text: w, startTimeMs: Math.round(startMs + i * step), endTimeMs: Math.round(startMs + (i + 1) * step) })),
  };
}
