import { Client, Metadata, connectivityState, credentials, status } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { SpeechError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';
import { SAMPLE_RATE_HZ } from './modem/bell202.js';
import type { Asr, AsrEvent, AsrStream, RecognizeOptions, SpeechCapabilities, SynthesizeRequest, Tts } from './ports.js';
import { linear16ToPcm, pcmToLinear16, speechService } from './speech-contract.js';
import type { RecognizeRequestMsg, RecognizeResponseMsg, SynthesizeResponseMsg } from './speech-contract.js';

/** A connection to one speech engine that implements proto/zvonar/speech/v1/speech.proto. */
export interface SpeechConnection {
  tts: Tts;
  asr: Asr;
  /** The engine's own report. Rejects with SpeechError('ASR_UNAVAILABLE' (there is no code for both halves) | 'SPEECH_PROTOCOL'). */
  capabilities(): Promise<SpeechCapabilities>;
  /** Closes the channel: calls already open run to their end, new ones fail. Idempotent. */
  close(): void;
}

export interface ConnectSpeechOptions {
  /**
   * How long the engine may keep zvonar waiting (default 5000 ms): to connect, to answer
   * GetCapabilities, and between two Synthesize chunks. Recognize streams have no overall
   * deadline, since a callee may stay silent; they only have to connect in this time.
   */
  deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 5000;

type Failure = 'unavailable' | 'protocol';

/**
 * What a status from the engine means to zvonar (the table in speech.proto, "Status codes").
 * CANCELLED is not listed: it is either zvonar's own cancel (not an error) or the engine going
 * away (unavailable).
 */
const STATUS_FAILURE: ReadonlyMap<number, Failure> = new Map<number, Failure>([
  [status.UNAVAILABLE, 'unavailable'],
  [status.DEADLINE_EXCEEDED, 'unavailable'],
  [status.RESOURCE_EXHAUSTED, 'unavailable'],
  [status.ABORTED, 'unavailable'],
  [status.CANCELLED, 'unavailable'],
  [status.INVALID_ARGUMENT, 'protocol'],
  [status.INTERNAL, 'protocol'],
  [status.UNIMPLEMENTED, 'protocol'],
  [status.UNKNOWN, 'protocol'],
  [status.FAILED_PRECONDITION, 'protocol'],
  [status.OUT_OF_RANGE, 'protocol'],
  [status.DATA_LOSS, 'protocol'],
  [status.NOT_FOUND, 'protocol'],
  [status.ALREADY_EXISTS, 'protocol'],
  [status.PERMISSION_DENIED, 'protocol'],
  [status.UNAUTHENTICATED, 'protocol'],
]);

/**
 * Connects lazily to the engine at address ("host:port"). Nothing is sent until the first call;
 * a dead engine shows up as SpeechError on that call, within deadlineMs, never as a hang.
 */
export function connectSpeech(address: string, opts: ConnectSpeechOptions = {}): SpeechConnection {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const service = speechService();
  const client = new Client(address, credentials.createInsecure(), {
    // gRPC's reconnect backoff grows to 120 s by default (doc/connection-backoff.md); a local
    // engine that restarts should be back in use within seconds.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 5000,
  });
  const ctx: Ctx = { client, address, deadlineMs };

  return {
    tts: { synthesize: (req, signal) => synthesize(ctx, req, signal) },
    asr: { recognize: (o) => new GrpcAsrStream(ctx, o) },
    capabilities: () =>
      new Promise<SpeechCapabilities>((resolve, reject) => {
        const m = service.GetCapabilities;
        client.makeUnaryRequest(
          m.path,
          m.requestSerialize,
          m.responseDeserialize,
          {},
          new Metadata(),
          { deadline: Date.now() + deadlineMs },
          (err, res) => {
            if (err) return reject(fromStatus(ctx, 'ASR_UNAVAILABLE', 'GetCapabilities', err, undefined));
            if (!res || typeof res.engine !== 'string' || !Array.isArray(res.languages)) {
              return reject(broken(ctx, 'GetCapabilities', 'Capabilities without engine or languages', undefined));
            }
            resolve({
              engine: res.engine,
              languages: [...res.languages],
              streamingRecognize: res.streamingRecognize === true,
              streamingSynthesize: res.streamingSynthesize === true,
            });
          },
        );
      }),
    close: () => client.close(),
  };
}

interface Ctx {
  client: Client;
  address: string;
  deadlineMs: number;
}

function fromStatus(ctx: Ctx, unavailable: ErrorCode, rpc: string, err: ServiceError, callId: string | undefined): SpeechError {
  const failure = STATUS_FAILURE.get(err.code) ?? 'protocol';
  const name = status[err.code] ?? String(err.code);
  const where = { address: ctx.address, callId };
  if (failure === 'unavailable') {
    const who = unavailable === 'TTS_UNAVAILABLE' ? 'TTS' : 'ASR';
    return new SpeechError(unavailable, `${who} ${ctx.address} unreachable: ${rpc} ended ${name}: ${err.details}`, where, {
      permanent: false,
      cause: err,
      hint: `is the speech engine running and listening at ${ctx.address}?`,
    });
  }
  return new SpeechError('SPEECH_PROTOCOL', `speech engine ${ctx.address} rejected ${rpc}: ${name}: ${err.details}`, where, {
    permanent: true,
    cause: err,
  });
}

function broken(ctx: Ctx, rpc: string, why: string, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_PROTOCOL', `speech engine ${ctx.address} broke the contract in ${rpc}: ${why}`, { address: ctx.address, callId }, {
    permanent: true,
  });
}

function silent(ctx: Ctx, code: ErrorCode, rpc: string, what: string, callId: string | undefined): SpeechError {
  const who = code === 'TTS_UNAVAILABLE' ? 'TTS' : 'ASR';
  return new SpeechError(code, `${who} ${ctx.address} unreachable: ${rpc} ${what} within ${ctx.deadlineMs} ms`, { address: ctx.address, callId }, {
    permanent: false,
    hint: `is the speech engine running and listening at ${ctx.address}?`,
  });
}

/**
 * A single-consumer queue between grpc-js stream events and an async iterator. Items queued
 * before a failure are delivered first, then the failure is thrown.
 */
class EventQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  #done = false;
  #error: unknown = null;
  #onReturn: () => void;

  constructor(onReturn: () => void) {
    this.#onReturn = onReturn;
  }

  get done(): boolean {
    return this.#done;
  }

  push(item: T): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w.resolve({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** Ends the iteration after the queued items; drop = true discards them too. */
  close(drop = false): void {
    if (drop) this.#items.length = 0;
    if (this.#done) return;
    this.#done = true;
    this.#wake();
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = err;
    this.#wake();
  }

  #wake(): void {
    if (!this.#waiter || this.#items.length > 0) return;
    const w = this.#waiter;
    this.#waiter = null;
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      w.reject(err);
    } else w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#done) {
          if (this.#error === null) return Promise.resolve({ value: undefined, done: true });
          const err = this.#error;
          this.#error = null;
          return Promise.reject(err);
        }
        return new Promise((resolve, reject) => {
          this.#waiter = { resolve, reject };
        });
      },
      return: () => {
        // The consumer stopped listening: the call has no one to serve.
        this.#onReturn();
        this.close(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/**
 * Feeds a grpc-js client stream into a queue. 'end' (not 'status') finishes it, because
 * grpc-js emits the status before a flowing stream has delivered its last buffered messages.
 */
function pipe<R>(
  call: NodeJS.EventEmitter,
  queue: { close(): void; fail(err: unknown): void },
  onData: (msg: R) => void,
  onError: (err: ServiceError) => unknown,
): void {
  let errored = false;
  let failure: unknown = null;
  const finish = (): void => (failure === null ? queue.close() : queue.fail(failure));
  call.on('data', onData);
  call.on('error', (err: ServiceError) => {
    // The first error is the call's status; anything after it is grpc-js tearing down.
    if (errored) return;
    errored = true;
    failure = onError(err);
  });
  call.on('end', finish);
  call.on('close', finish);
}

async function* synthesize(ctx: Ctx, req: SynthesizeRequest, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  if (signal?.aborted) return;
  const m = speechService().Synthesize;
  const call = ctx.client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, {
    text: req.text,
    language: req.language,
    voice: req.voice ?? '',
    format: { encoding: 'LINEAR16', sampleRateHz: SAMPLE_RATE_HZ },
    callId: req.callId ?? '',
  });
  let cancelled = false;
  const stop = (): void => {
    cancelled = true;
    call.cancel();
  };
  const queue = new EventQueue<Int16Array>(stop);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      queue.fail(silent(ctx, 'TTS_UNAVAILABLE', 'Synthesize', 'sent no audio', req.callId));
      stop();
    }, ctx.deadlineMs);
  };
  pipe<SynthesizeResponseMsg>(
    call,
    queue,
    (res) => {
      if (queue.done) return;
      const audio = res.audio;
      if (!(audio instanceof Uint8Array) || audio.length % 2 !== 0) {
        queue.fail(broken(ctx, 'Synthesize', `a LINEAR16 chunk of ${audio?.length} bytes (must be even)`, req.callId));
        stop();
        return;
      }
      arm();
      if (audio.length > 0) queue.push(linear16ToPcm(audio));
    },
    (err) => (cancelled || timedOut ? null : fromStatus(ctx, 'TTS_UNAVAILABLE', 'Synthesize', err, req.callId)),
  );
  signal?.addEventListener('abort', stop, { once: true });
  arm();
  try {
    for await (const pcm of queue) {
      if (signal?.aborted) return;
      yield pcm;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    if (!queue.done || signal?.aborted) stop();
  }
}

/**
 * One Recognize call. States: open -> ended (end(): half-closed, results still come) -> done;
 * open | ended -> done on cancel(), on the engine's status, or on a broken response.
 */
class GrpcAsrStream implements AsrStream {
  readonly #ctx: Ctx;
  readonly #callId: string | undefined;
  readonly #call: ClientDuplexStream<RecognizeRequestMsg, RecognizeResponseMsg>;
  readonly #queue: EventQueue<AsrEvent>;
  #state: 'open' | 'ended' | 'done' = 'open';
  #cancelled = false;
  #watchdog: NodeJS.Timeout;

  constructor(ctx: Ctx, opts: RecognizeOptions) {
    this.#ctx = ctx;
    this.#callId = opts.callId;
    const m = speechService().Recognize;
    this.#call = ctx.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
    this.#queue = new EventQueue<AsrEvent>(() => this.cancel());
    pipe<RecognizeResponseMsg>(this.#call, this.#queue, (res) => this.#onResponse(res), (err) =>
      this.#cancelled ? null : fromStatus(ctx, 'ASR_UNAVAILABLE', 'Recognize', err, this.#callId),
    );
    this.#call.on('status', () => this.#settle());
    this.#call.write({
      config: {
        language: opts.language,
        format: { encoding: 'LINEAR16', sampleRateHz: SAMPLE_RATE_HZ },
        hints: opts.hints ?? [],
        callId: opts.callId ?? '',
        interimResults: false,
      },
    });
    // With waitForReady false (the default) a refused connection fails the call at once; this
    // covers an engine that neither accepts nor refuses (a dropped SYN, a hung process).
    this.#watchdog = setTimeout(() => {
      if (this.#state === 'done') return;
      if (ctx.client.getChannel().getConnectivityState(false) === connectivityState.READY) return;
      this.#queue.fail(silent(ctx, 'ASR_UNAVAILABLE', 'Recognize', 'could not connect', this.#callId));
      this.#abort();
    }, ctx.deadlineMs);
    this.#watchdog.unref();
  }

  /** Sends 8 kHz PCM as LINEAR16. Ignored after end(), cancel() or a failure. */
  write(pcm: Int16Array): void {
    if (this.#state !== 'open') return;
    this.#call.write({ audio: pcmToLinear16(pcm) });
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    this.#call.end();
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#queue.close(true);
    this.#abort();
  }

  /**
   * The engine's speech starts and final results, in order ('final' atMs is the utterance's
   * end). Breaking out of the loop cancels the stream.
   */
  events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  #settle(): void {
    this.#state = 'done';
    clearTimeout(this.#watchdog);
  }

  #abort(): void {
    this.#cancelled = true;
    this.#settle();
    this.#call.cancel();
  }

  #onResponse(res: RecognizeResponseMsg): void {
    if (this.#queue.done) return;
    const ev = this.#toEvent(res);
    if (typeof ev === 'string') {
      this.#queue.fail(broken(this.#ctx, 'Recognize', ev, this.#callId));
      this.#abort();
    } else if (ev) this.#queue.push(ev);
  }

  /** An event, null for what zvonar does not use (SPEECH_END, interim results, unknown event types), or why it breaks the contract. */
  #toEvent(res: RecognizeResponseMsg): AsrEvent | null | string {
    if (res.response === 'event' && res.event) {
      const { type, offsetMs } = res.event;
      if (type === 'TYPE_UNSPECIFIED') return 'a SpeechEvent without a type';
      if (type === 'SPEECH_START') return { type: 'speech-start', atMs: offsetMs };
      return null;
    }
    if (res.response === 'result' && res.result) {
      const r = res.result;
      if (!r.isFinal) return null;
      if (r.transcript === '') return 'a final RecognitionResult with an empty transcript';
      if (!(r.confidence >= 0 && r.confidence <= 1)) return `confidence ${r.confidence} outside 0..1`;
      if (r.endOffsetMs < r.startOffsetMs) return `end_offset_ms ${r.endOffsetMs} before start_offset_ms ${r.startOffsetMs}`;
      return { type: 'final', text: r.transcript, confidence: r.confidence, atMs: r.endOffsetMs };
    }
    return 'a RecognizeResponse with neither event nor result';
  }
}
