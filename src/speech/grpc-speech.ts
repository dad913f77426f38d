import { Metadata, connectivityState, status } from '@grpc/grpc-js';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { SpeechError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';
import { AudioReplay } from './audio-replay.js';
import { ChannelPool } from './channel-pool.js';
import { SAMPLE_RATE_HZ, type Asr, type AsrEvent, type AsrStream, type RecognizeOptions, type SpeechCapabilities, type SynthesizeRequest, type Tts } from './ports.js';
import { linear16ToPcm, pcmToLinear16, speechService } from './speech-contract.js';
import type { RecognizeRequestMsg, RecognizeResponseMsg, SynthesizeResponseMsg } from './speech-contract.js';

/** A connection to one speech engine that implements proto/zvonar/speech/v1/speech.proto. */
export interface SpeechConnection {
  tts: Tts;
  asr: Asr;
  /** The engine's own report. Rejects with SpeechError('ASR_UNAVAILABLE' (there is no code for both halves) | 'SPEECH_PROTOCOL'). */
  capabilities(): Promise<SpeechCapabilities>;
  /** Closes the channels: calls already open run to their end, new ones fail. Idempotent. */
  close(): void;
  /** Counts since connect, for benches and health checks. */
  stats(): SpeechStats;
}

export interface SpeechStats {
  /** RST_STREAMs zvonar sent: Synthesize stopped early, Recognize broken or not finished by the engine */
  resets: number;
  /** streams re-opened on another connection after losing theirs */
  reopened: number;
}

export interface ConnectSpeechOptions {
  /**
   * How long the engine may keep zvonar waiting (default 5000 ms): to connect, to answer
   * GetCapabilities, and between two Synthesize chunks. Recognize streams have no overall
   * deadline, since a callee may stay silent; they only have to connect in this time. A stream
   * that loses its connection is re-opened only within this time of the loss.
   */
  deadlineMs?: number;
  /**
   * HTTP/2 connections to the engine (default 4); streams take them in turn, so one lost
   * connection interrupts 1/connections of the calls' streams, and those re-open on another.
   */
  connections?: number;
}

const DEFAULT_DEADLINE_MS = 5000;
const DEFAULT_CONNECTIONS = 4;
/**
 * Streams a request may re-open after losing its connection. Two: one loss is a connection the
 * engine closed, a second may be another connection closed in the same wave (issue 7); a third
 * means the engine itself is down, which the call must hear about.
 */
const MAX_RECONNECTS = 2;

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
 * The status says the connection went, not what the engine answered: the same request on
 * another connection can succeed. grpc-js 1.14 reports a dropped TCP connection as UNAVAILABLE,
 * Node's synthesized NGHTTP2_CANCEL as CANCELLED, and a connection the server closes under a live
 * stream (GOAWAY INTERNAL_ERROR, as Node's rapid-reset limit does) as INTERNAL "Received
 * RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2"
 * (subchannel-call.js): no trailers, so not the engine's status.
 */
function lostConnection(err: ServiceError): boolean {
  if (err.code === status.UNAVAILABLE || err.code === status.CANCELLED) return true;
  return err.code === status.INTERNAL && typeof err.details === 'string' && err.details.startsWith('Received RST_STREAM');
}

/** Counts one request's re-opened streams; they must come within deadlineMs of the first loss. */
class Reconnects {
  readonly #deadlineMs: number;
  #count = 0;
  #firstLossAt: number | null = null;

  constructor(deadlineMs: number) {
    this.#deadlineMs = deadlineMs;
  }

  /** A stream was lost: may the request go on a new one? */
  allow(): boolean {
    const now = performance.now();
    this.#firstLossAt ??= now;
    if (this.#count >= MAX_RECONNECTS || now - this.#firstLossAt > this.#deadlineMs) return false;
    this.#count++;
    return true;
  }
}

/**
 * Connects lazily to the engine at address ("host:port"). Nothing is sent until the first call;
 * a dead engine shows up as SpeechError on that call, within deadlineMs, never as a hang.
 */
export function connectSpeech(address: string, opts: ConnectSpeechOptions = {}): SpeechConnection {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const service = speechService();
  const pool = new ChannelPool(address, opts.connections ?? DEFAULT_CONNECTIONS);
  const ctx: Ctx = { pool, address, deadlineMs, stats: { resets: 0, reopened: 0 } };

  return {
    tts: { synthesize: (req, signal) => synthesize(ctx, req, signal) },
    asr: { recognize: (o) => new GrpcAsrStream(ctx, o) },
    capabilities: () =>
      new Promise<SpeechCapabilities>((resolve, reject) => {
        const m = service.GetCapabilities;
        pool.pick().makeUnaryRequest(
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
    close: () => pool.close(),
    stats: () => ({ ...ctx.stats }),
  };
}

interface Ctx {
  pool: ChannelPool;
  address: string;
  deadlineMs: number;
  stats: SpeechStats;
}

function fromStatus(ctx: Ctx, unavailable: ErrorCode, rpc: string, err: ServiceError, callId: string | undefined): SpeechError {
  const failure = lostConnection(err) ? 'unavailable' : (STATUS_FAILURE.get(err.code) ?? 'protocol');
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

/**
 * Speaks req.text. A stream that loses its connection before any audio is asked again on
 * another connection (at most MAX_RECONNECTS times, within deadlineMs); one that loses it
 * mid-speech fails, since a second synthesis need not give the same audio to resume from.
 */
async function* synthesize(ctx: Ctx, req: SynthesizeRequest, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  const reconnects = new Reconnects(ctx.deadlineMs);
  let client: Client | undefined;
  for (;;) {
    client = ctx.pool.pick(client);
    let heard = false;
    try {
      for await (const pcm of synthesizeOn(ctx, client, req, signal)) {
        heard = true;
        yield pcm;
      }
      return;
    } catch (err) {
      const lost = err instanceof SpeechError && isServiceError(err.cause) && lostConnection(err.cause);
      if (heard || !lost || signal?.aborted || !reconnects.allow()) throw err;
      ctx.stats.reopened++;
    }
  }
}

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
}

/** One Synthesize call on one channel. */
async function* synthesizeOn(ctx: Ctx, client: Client, req: SynthesizeRequest, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  if (signal?.aborted) return;
  const m = speechService().Synthesize;
  const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, {
    text: req.text,
    language: req.language,
    voice: req.voice ?? '',
    format: { encoding: 'LINEAR16', sampleRateHz: SAMPLE_RATE_HZ },
    callId: req.callId ?? '',
  });
  let cancelled = false;
  let finished = false;
  call.on('status', () => {
    finished = true;
  });
  // The only RST_STREAM zvonar sends on a healthy engine: barge-in and hang-up stop a prompt
  // being spoken. A few per call at most, spread over the pool's connections: at 300 calls of
  // 30 s, about 10 a second, a third of what one connection's rapid-reset limit refills.
  const stop = (): void => {
    if (cancelled || finished) return;
    cancelled = true;
    ctx.stats.resets++;
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

/** Audio a re-opened Recognize stream may replay: the longest answer a listen waits for (15 s) and some. */
const REPLAY_MAX_SAMPLES = 20 * SAMPLE_RATE_HZ;
/**
 * Audio kept before the engine reports speech: its speech-start comes within a chunk or two
 * (20-100 ms) of the speech, far inside this, so an answer cut by a lost connection is replayed whole.
 */
const REPLAY_LEAD_SAMPLES = 2 * SAMPLE_RATE_HZ;
const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
/**
 * Audio per Recognize message: 100 ms, the size vendors' streaming APIs suggest. It delays what
 * the engine hears by 80 ms at most; barge-in does not wait for it (it listens to the VAD).
 */
const WRITE_SAMPLES = 100 * SAMPLES_PER_MS;
/** A stream holding less than a message that got no audio for this long sends it as it is. */
const IDLE_FLUSH_MS = 30;

/** The streams holding audio, looked at by one timer for the whole process while any hold some. */
const idleFlush = new (class {
  readonly #streams = new Set<GrpcAsrStream>();
  #timer: NodeJS.Timeout | undefined;

  add(s: GrpcAsrStream): void {
    this.#streams.add(s);
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const stream of this.#streams) if (stream.flushIfIdle(now)) this.#streams.delete(stream);
      if (this.#streams.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, IDLE_FLUSH_MS);
    this.#timer.unref();
  }

  delete(s: GrpcAsrStream): void {
    this.#streams.delete(s);
  }
})();
/**
 * How long the engine may take to finish a stream zvonar half-closed before it is reset; it
 * guards against leaking streams on a hung engine, nothing more. Not deadlineMs: the half-close
 * waits behind the audio already queued, and with 300 calls on a starved 2-core machine (load
 * average 9, decoder not yet optimised, finals 2.1 s late at p50) most half-closed streams were
 * still open after 5 s, so a 5 s limit sent 2717 resets in 49 s: the very burst to avoid.
 */
const FINISH_GRACE_MS = 30_000;

/**
 * One recognition, on one Recognize call, or on a few when connections are lost.
 *
 * Wire states: open -> ended (half-closed by end() or cancel(); the engine flushes and ends the
 * call) -> done (status received, or reset). open | ended -> done on the engine's status, on a
 * broken response, on a connect timeout, or on an engine that does not finish a half-closed
 * stream within FINISH_GRACE_MS (only these three send RST_STREAM).
 *
 * A call that ends with a lost connection (lostConnection()) is re-opened on another channel,
 * and the audio since the engine's last final result is sent again first (AudioReplay), so the
 * answer the callee was giving is still heard; events the new call repeats are dropped.
 */
class GrpcAsrStream implements AsrStream {
  readonly #ctx: Ctx;
  readonly #opts: RecognizeOptions;
  readonly #queue: EventQueue<AsrEvent>;
  readonly #replay = new AudioReplay(REPLAY_MAX_SAMPLES);
  readonly #reconnects: Reconnects;
  #client!: Client;
  #call!: ClientDuplexStream<RecognizeRequestMsg, RecognizeResponseMsg>;
  /** The stream's sample index of the current call's first sample: its offsets start there. */
  #baseSample = 0;
  #state: 'open' | 'ended' | 'done' = 'open';
  #cancelled = false;
  /** A speech-start was delivered and no final since: a re-opened call's speech-start repeats it. */
  #inSpeech = false;
  #lastFinalAtMs = -1;
  #watchdog: NodeJS.Timeout | undefined;
  #resetTimer: NodeJS.Timeout | undefined;
  /** audio not yet sent: less than WRITE_SAMPLES */
  readonly #pending = new Int16Array(WRITE_SAMPLES);
  #pendingSamples = 0;
  #wroteAt = 0;

  constructor(ctx: Ctx, opts: RecognizeOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#reconnects = new Reconnects(ctx.deadlineMs);
    this.#queue = new EventQueue<AsrEvent>(() => this.cancel());
    this.#open(ctx.pool.pick());
  }

  /**
   * Sends 8 kHz PCM as LINEAR16, gathered into WRITE_SAMPLES messages (RTP brings 20 ms frames;
   * a message per frame cost the engine a fifth of its CPU at 100 calls). Ignored after end(),
   * cancel() or a failure.
   */
  write(pcm: Int16Array): void {
    if (this.#state !== 'open') return;
    let at = 0;
    while (at < pcm.length) {
      const n = Math.min(pcm.length - at, WRITE_SAMPLES - this.#pendingSamples);
      this.#pending.set(pcm.subarray(at, at + n), this.#pendingSamples);
      this.#pendingSamples += n;
      at += n;
      if (this.#pendingSamples === WRITE_SAMPLES) this.#flush();
    }
    this.#wroteAt = performance.now();
    if (this.#pendingSamples > 0) idleFlush.add(this);
  }

  /** Sends what is gathered if no audio came for IDLE_FLUSH_MS (a phone that stopped sending: the engine must hear the answer's end). */
  flushIfIdle(now: number): boolean {
    if (now - this.#wroteAt < IDLE_FLUSH_MS && this.#state === 'open') return false;
    if (this.#state === 'open') this.#flush();
    return true;
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#flush();
    this.#state = 'ended';
    this.#call.end();
  }

  #flush(): void {
    idleFlush.delete(this);
    if (this.#pendingSamples === 0) return;
    const audio = pcmToLinear16(this.#pending.subarray(0, this.#pendingSamples));
    this.#pendingSamples = 0;
    this.#replay.push(audio);
    if (!this.#inSpeech) this.#replay.dropBefore(this.#replay.written - REPLAY_LEAD_SAMPLES);
    this.#call.write({ audio });
  }

  /**
   * Ends events() at once. On the wire it is a half-close, not a reset: Node's HTTP/2 server
   * closes a connection whose client sends RST_STREAMs faster than 33 a second (1000 burst), and
   * a cancel per listen step did that from about 80 calls (issue 7). The engine finishes the call
   * (the reference engine at once); only one that does not within FINISH_GRACE_MS is reset.
   */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#queue.close(true);
    if (this.#state === 'done') return;
    this.end();
    this.#resetTimer = setTimeout(() => this.#reset(), Math.max(FINISH_GRACE_MS, this.#ctx.deadlineMs));
    this.#resetTimer.unref();
  }

  /**
   * The engine's speech starts and final results, in order ('final' atMs is the utterance's
   * end). Breaking out of the loop cancels the stream.
   */
  events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  #open(client: Client): void {
    const m = speechService().Recognize;
    const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
    this.#client = client;
    this.#call = call;
    this.#baseSample = this.#replay.start;
    let failure: ServiceError | null = null;
    let finished = false;
    call.on('data', (res: RecognizeResponseMsg) => {
      if (call === this.#call) this.#onResponse(res);
    });
    call.on('error', (err: ServiceError) => {
      // The first error is the call's status; anything after it is grpc-js tearing down.
      failure ??= err;
    });
    // 'end' (not 'status') finishes it: grpc-js emits the status before a flowing stream has
    // delivered its last buffered messages.
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (call === this.#call) this.#onFinish(failure);
    };
    call.on('end', finish);
    call.on('close', finish);
    const o = this.#opts;
    call.write({
      config: {
        language: o.language,
        format: { encoding: 'LINEAR16', sampleRateHz: SAMPLE_RATE_HZ },
        hints: o.hints ?? [],
        callId: o.callId ?? '',
        interimResults: false,
      },
    });
    for (const audio of this.#replay.chunks()) call.write({ audio });
    if (this.#state !== 'open') call.end();
    // With waitForReady false (the default) a refused connection fails the call at once; this
    // covers an engine that neither accepts nor refuses (a dropped SYN, a hung process).
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      if (this.#state === 'done' || call !== this.#call) return;
      if (client.getChannel().getConnectivityState(false) === connectivityState.READY) return;
      this.#queue.fail(silent(this.#ctx, 'ASR_UNAVAILABLE', 'Recognize', 'could not connect', o.callId));
      this.#reset();
    }, this.#ctx.deadlineMs);
    this.#watchdog.unref();
  }

  #onFinish(failure: ServiceError | null): void {
    if (failure && !this.#cancelled && !this.#queue.done && lostConnection(failure) && this.#reconnects.allow()) {
      this.#ctx.stats.reopened++;
      this.#open(this.#ctx.pool.pick(this.#client));
      return;
    }
    this.#settle();
    if (failure && !this.#cancelled) this.#queue.fail(fromStatus(this.#ctx, 'ASR_UNAVAILABLE', 'Recognize', failure, this.#opts.callId));
    else this.#queue.close();
  }

  #settle(): void {
    this.#state = 'done';
    clearTimeout(this.#watchdog);
    clearTimeout(this.#resetTimer);
  }

  /** RST_STREAM: for an engine that is broken, unreachable or does not finish. */
  #reset(): void {
    if (this.#state === 'done') return;
    this.#cancelled = true;
    this.#settle();
    this.#ctx.stats.resets++;
    this.#call.cancel();
  }

  #onResponse(res: RecognizeResponseMsg): void {
    if (this.#queue.done) return;
    const ev = this.#toEvent(res);
    if (typeof ev === 'string') {
      this.#queue.fail(broken(this.#ctx, 'Recognize', ev, this.#opts.callId));
      this.#reset();
      return;
    }
    if (!ev) return;
    if (ev.type === 'speech-start') {
      if (this.#inSpeech) return;
      this.#inSpeech = true;
    } else {
      if (ev.atMs <= this.#lastFinalAtMs) return;
      this.#inSpeech = false;
      this.#lastFinalAtMs = ev.atMs;
      this.#replay.dropBefore(ev.atMs * SAMPLES_PER_MS);
    }
    this.#queue.push(ev);
  }

  /**
   * An event with offsets from the stream's first sample, null for what zvonar does not use
   * (SPEECH_END, interim results, unknown event types), or why it breaks the contract.
   */
  #toEvent(res: RecognizeResponseMsg): AsrEvent | null | string {
    const base = Math.round(this.#baseSample / SAMPLES_PER_MS);
    if (res.response === 'event' && res.event) {
      const { type, offsetMs } = res.event;
      if (type === 'TYPE_UNSPECIFIED') return 'a SpeechEvent without a type';
      if (type === 'SPEECH_START') return { type: 'speech-start', atMs: base + offsetMs };
      return null;
    }
    if (res.response === 'result' && res.result) {
      const r = res.result;
      if (!r.isFinal) return null;
      if (r.transcript === '') return 'a final RecognitionResult with an empty transcript';
      if (!(r.confidence >= 0 && r.confidence <= 1)) return `confidence ${r.confidence} outside 0..1`;
      if (r.endOffsetMs < r.startOffsetMs) return `end_offset_ms ${r.endOffsetMs} before start_offset_ms ${r.startOffsetMs}`;
      return { type: 'final', text: r.transcript, confidence: r.confidence, atMs: base + r.endOffsetMs };
    }
    return 'a RecognizeResponse with neither event nor result';
  }
}
