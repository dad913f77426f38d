/**
 * What the cloud vendors' adapters (adapters/yandex, adapters/tinkoff) share: both speak gRPC
 * to one endpoint per side, stream recognition both ways and synthesis one way, and their
 * statuses mean the same. Each adapter supplies a wire (the vendor's messages: the first
 * request, an audio request, a response's events); this module runs the calls.
 *
 *   write() -> 100 ms LINEAR16 requests -> call;  call responses -> wire.read() -> EventQueue -> events()
 *   end() / cancel() -> half-close; the vendor finishes within deadlineMs, or the stream is reset
 *   status -> vendorStatusError(): credentials -> SPEECH_PROTOCOL with a hint, lost/full -> SPEECH_UNAVAILABLE
 *
 * Unlike adapters/grpc, a recognition stream that loses its connection is not re-opened: a
 * vendor bills the audio again and numbers its results afresh, so the call hears
 * SPEECH_UNAVAILABLE (retryable) instead. A synthesis that loses its connection before any
 * audio is asked again (Reconnects), as in adapters/grpc.
 */
import { Client, connectivityState, credentials, Metadata, status } from '@grpc/grpc-js';
import type { ClientDuplexStream, ClientReadableStream, MethodDefinition, ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { SpeechError } from '../core/index.js';
import { EventQueue, IdleFlush, isServiceError, lostConnection, pipe, Reconnects, statusFailure } from './grpc-plumbing.js';
import { linear16ToPcm, pcmToLinear16 } from './contract.js';
import { SAMPLE_RATE_HZ, type AsrEvent, type AsrStream } from './ports.js';
import { redact } from './vendor-credentials.js';

export type SpeechSide = 'asr' | 'tts';

/** One side (recognition or synthesis) of a vendor engine: where it is and how to call it. */
export interface VendorEndpoint {
  /** "yandex", "tinkoff": names the engine in errors */
  engine: string;
  side: SpeechSide;
  /** host:port, for errors */
  address: string;
  client: Client;
  deadlineMs: number;
  /** the authorization metadata for one call */
  metadata(): Metadata;
  /** values that must never appear in an error message */
  secrets(): readonly string[];
  /** what to check when the vendor refuses the credentials (names variables, never values) */
  credentialsHint: string;
  /** streams this process has open on the engine (both sides share one counter) */
  streams: { open: number };
}

/** A channel to a vendor: TLS unless insecure (a local fake in tests). */
export function vendorClient(address: string, insecure: boolean): Client {
  return new Client(address, insecure ? credentials.createInsecure() : credentials.createSsl(), {
    // gRPC's reconnect backoff grows to 120 s by default; a vendor back after a blip should be used within seconds.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 5000,
  });
}

/** True unless the channel is failing to connect now. */
export function channelUp(client: Client): boolean {
  return client.getChannel().getConnectivityState(false) !== connectivityState.TRANSIENT_FAILURE;
}

const label = (v: VendorEndpoint): string => `${v.engine} ${v.side.toUpperCase()} ${v.address}`;
const where = (v: VendorEndpoint, callId: string | undefined) => ({ address: v.address, engine: v.engine, side: v.side, callId });

/** The vendor's status as a SpeechError; secrets are scrubbed from it and from its cause. */
export function vendorStatusError(v: VendorEndpoint, rpc: string, err: ServiceError, callId: string | undefined): SpeechError {
  const secrets = v.secrets();
  const details = redact(String(err.details ?? ''), secrets);
  // The cause travels into logs: it must not carry what the vendor echoed back.
  Object.assign(err, { details, message: redact(err.message, secrets), metadata: new Metadata() });
  const name = status[err.code] ?? String(err.code);
  if (err.code === status.UNAUTHENTICATED || err.code === status.PERMISSION_DENIED) {
    return new SpeechError('SPEECH_PROTOCOL', `${label(v)} refused the credentials: ${rpc} ended ${name}: ${details}`, where(v, callId), {
      permanent: true,
      cause: err,
      hint: v.credentialsHint,
    });
  }
  if (statusFailure(err) === 'unavailable') {
    return new SpeechError('SPEECH_UNAVAILABLE', `${label(v)} unreachable: ${rpc} ended ${name}: ${details}`, where(v, callId), {
      permanent: false,
      cause: err,
      hint: `can this host reach ${v.address}? RESOURCE_EXHAUSTED means the account's quota of streams is spent`,
    });
  }
  return new SpeechError('SPEECH_PROTOCOL', `${label(v)} rejected ${rpc}: ${name}: ${details}`, where(v, callId), { permanent: true, cause: err });
}

/** The vendor sent a message zvonar cannot read. */
export function vendorBroken(v: VendorEndpoint, rpc: string, why: string, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_PROTOCOL', `${label(v)} sent a response zvonar cannot use in ${rpc}: ${redact(why, v.secrets())}`, where(v, callId), {
    permanent: true,
  });
}

/** The vendor kept zvonar waiting past the deadline. */
export function vendorSilent(v: VendorEndpoint, rpc: string, what: string, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_UNAVAILABLE', `${label(v)} unreachable: ${rpc} ${what} within ${v.deadlineMs} ms`, where(v, callId), {
    permanent: false,
    hint: `can this host reach ${v.address}?`,
  });
}

/** A call asked of an engine after close(): grpc-js throws "Channel has been shut down" at once. */
function closedError(v: VendorEndpoint, rpc: string, err: unknown, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_UNAVAILABLE', `${label(v)}: ${rpc} asked after the engine was closed`, where(v, callId), { permanent: false, cause: err });
}

/** A vendor's recognition messages, for one stream (it may keep state: what it has reported). */
export interface AsrWire<Req, Res> {
  readonly rpc: string;
  readonly method: MethodDefinition<Req, Res>;
  /** the stream's first message */
  config(): Req;
  /** one message of LINEAR16 audio */
  audio(bytes: Buffer): Req;
  /** a response's events, offsets in ms of the stream's audio; or why it breaks the protocol */
  read(res: Res): AsrEvent[] | string;
  /** the call ended: what the wire still held (a final waiting for its normalised text) */
  flush(): AsrEvent[];
}

const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
/** Audio per request: 100 ms, what both vendors' examples send; RTP brings 20 ms frames. */
const WRITE_SAMPLES = 100 * SAMPLES_PER_MS;
/** A stream holding less than a request that got no audio for this long sends it as it is. */
const IDLE_FLUSH_MS = 30;
const idleFlush = new IdleFlush<VendorAsrStream<unknown, unknown>>(IDLE_FLUSH_MS);

/**
 * One recognition on one bidi call.
 *
 * Wire states: open -> ended (half-closed by end() or cancel()) -> done (status received, or
 * reset). A vendor that does not finish a half-closed stream within deadlineMs is reset, and
 * events() fails with SPEECH_UNAVAILABLE (after cancel() nobody hears it).
 */
export class VendorAsrStream<Req, Res> implements AsrStream {
  readonly #v: VendorEndpoint;
  readonly #wire: AsrWire<Req, Res>;
  readonly #callId: string | undefined;
  readonly #queue: EventQueue<AsrEvent>;
  readonly #call: ClientDuplexStream<Req, Res> | null;
  #state: 'open' | 'ended' | 'done' = 'open';
  #cancelled = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #pending = new Int16Array(WRITE_SAMPLES);
  #pendingSamples = 0;
  #wroteAt = 0;

  constructor(v: VendorEndpoint, wire: AsrWire<Req, Res>, callId: string | undefined) {
    this.#v = v;
    this.#wire = wire;
    this.#callId = callId;
    this.#queue = new EventQueue<AsrEvent>(() => this.cancel());
    const m = wire.method;
    let call: ClientDuplexStream<Req, Res>;
    try {
      call = v.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, v.metadata(), {});
    } catch (err) {
      // The port's promise: failures surface from events(), not from recognize().
      this.#call = null;
      this.#state = 'done';
      this.#queue.fail(closedError(v, wire.rpc, err, callId));
      return;
    }
    this.#call = call;
    v.streams.open++;
    let failure: ServiceError | null = null;
    let finished = false;
    call.on('data', (res: Res) => this.#onResponse(res));
    call.on('error', (err: ServiceError) => {
      failure ??= err; // the first error is the call's status; later ones are grpc-js tearing down
    });
    // 'end', not 'status': grpc-js emits the status before a flowing stream has delivered its last messages.
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.#onFinish(failure);
    };
    call.on('end', finish);
    call.on('close', finish);
    call.write(wire.config());
    // A refused connection fails the call at once; this covers a vendor that neither accepts nor refuses.
    this.#arm(() => {
      if (v.client.getChannel().getConnectivityState(false) === connectivityState.READY) return;
      this.#queue.fail(vendorSilent(v, wire.rpc, 'could not connect', callId));
      this.#reset();
    });
  }

  /** Sends 8 kHz PCM as LINEAR16 in 100 ms requests. Ignored after end(), cancel() or a failure. */
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
    if (this.#pendingSamples > 0) idleFlush.add(this as VendorAsrStream<unknown, unknown>);
  }

  /** Sends what is gathered if no audio came for IDLE_FLUSH_MS: the vendor must hear the answer's end. */
  flushIfIdle(now: number): boolean {
    if (now - this.#wroteAt < IDLE_FLUSH_MS && this.#state === 'open') return false;
    if (this.#state === 'open') this.#flush();
    return true;
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#flush();
    this.#state = 'ended';
    this.#call?.end();
    this.#arm(() => {
      this.#queue.fail(vendorSilent(this.#v, this.#wire.rpc, 'did not finish after the end of the audio', this.#callId));
      this.#reset();
    });
  }

  /** Ends events() at once; on the wire a half-close, so the vendor ends the call itself (a reset only if it does not). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#queue.close(true);
    this.end();
  }

  events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  #flush(): void {
    idleFlush.delete(this as VendorAsrStream<unknown, unknown>);
    if (this.#pendingSamples === 0) return;
    const audio = pcmToLinear16(this.#pending.subarray(0, this.#pendingSamples));
    this.#pendingSamples = 0;
    this.#call?.write(this.#wire.audio(audio));
  }

  #arm(onTimeout: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.#state !== 'done') onTimeout();
    }, this.#v.deadlineMs);
    this.#timer.unref();
  }

  #onResponse(res: Res): void {
    if (this.#queue.done) return;
    const events = this.#wire.read(res);
    if (typeof events === 'string') {
      this.#queue.fail(vendorBroken(this.#v, this.#wire.rpc, events, this.#callId));
      this.#reset();
      return;
    }
    for (const ev of events) this.#queue.push(ev);
  }

  #onFinish(failure: ServiceError | null): void {
    if (this.#state !== 'done') this.#settle();
    for (const ev of this.#wire.flush()) this.#queue.push(ev);
    if (failure && !this.#cancelled) this.#queue.fail(vendorStatusError(this.#v, this.#wire.rpc, failure, this.#callId));
    else this.#queue.close();
  }

  #settle(): void {
    this.#state = 'done';
    clearTimeout(this.#timer);
    idleFlush.delete(this as VendorAsrStream<unknown, unknown>);
    this.#v.streams.open--;
  }

  /** RST_STREAM: for a vendor that is broken, unreachable or does not finish. */
  #reset(): void {
    if (this.#state === 'done') return;
    this.#cancelled = true;
    this.#settle();
    this.#call?.cancel();
  }
}

/** A vendor's synthesis messages. */
export interface TtsWire<Req, Res> {
  readonly rpc: string;
  readonly method: MethodDefinition<Req, Res>;
  /** a response's LINEAR16 bytes (any length: a sample split between two responses is joined), or why it breaks the protocol */
  audio(res: Res): Uint8Array | string;
  /** turns the vendor's samples into 8 kHz ones, per request (state across its chunks); none: already 8 kHz */
  resampler?(): (pcm: Int16Array) => Int16Array;
}

/**
 * Speaks the requests one after another (a vendor's per-request text limit splits a prompt), as
 * 8 kHz PCM chunks as they come. A request that loses its connection before any audio is asked
 * again (Reconnects); once audio was heard, a loss fails the prompt. Stops when signal aborts.
 */
export async function* vendorSynthesize<Req, Res>(
  v: VendorEndpoint,
  wire: TtsWire<Req, Res>,
  requests: readonly Req[],
  signal: AbortSignal | undefined,
  callId: string | undefined,
): AsyncGenerator<Int16Array> {
  for (const req of requests) {
    const reconnects = new Reconnects(v.deadlineMs);
    for (;;) {
      let heard = false;
      try {
        for await (const pcm of synthesizeOne(v, wire, req, signal, callId)) {
          heard = true;
          yield pcm;
        }
        break;
      } catch (err) {
        const lost = err instanceof SpeechError && isServiceError(err.cause) && lostConnection(err.cause);
        if (heard || !lost || signal?.aborted || !reconnects.allow()) throw err;
      }
    }
    if (signal?.aborted) return;
  }
}

async function* synthesizeOne<Req, Res>(
  v: VendorEndpoint,
  wire: TtsWire<Req, Res>,
  req: Req,
  signal: AbortSignal | undefined,
  callId: string | undefined,
): AsyncGenerator<Int16Array> {
  if (signal?.aborted) return;
  const m = wire.method;
  let call: ClientReadableStream<Res>;
  try {
    call = v.client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, req, v.metadata(), {});
  } catch (err) {
    throw closedError(v, wire.rpc, err, callId);
  }
  v.streams.open++;
  let cancelled = false;
  let finished = false;
  call.on('status', () => {
    if (!finished) v.streams.open--;
    finished = true;
  });
  // Barge-in and hang-up stop a prompt being spoken: the only reset on a healthy vendor.
  const stop = (): void => {
    if (cancelled || finished) return;
    cancelled = true;
    call.cancel();
  };
  const queue = new EventQueue<Int16Array>(stop);
  const resample = wire.resampler?.();
  let carry: Buffer | null = null;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      queue.fail(vendorSilent(v, wire.rpc, 'sent no audio', callId));
      stop();
    }, v.deadlineMs);
  };
  pipe<Res>(
    call,
    queue,
    (res) => {
      if (queue.done) return;
      const audio = wire.audio(res);
      if (typeof audio === 'string') {
        queue.fail(vendorBroken(v, wire.rpc, audio, callId));
        stop();
        return;
      }
      arm();
      let bytes = carry ? Buffer.concat([carry, audio]) : audio;
      carry = null;
      if (bytes.length % 2 !== 0) {
        carry = Buffer.from(bytes.subarray(bytes.length - 1));
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      if (bytes.length === 0) return;
      const pcm = resample ? resample(linear16ToPcm(bytes)) : linear16ToPcm(bytes);
      if (pcm.length > 0) queue.push(pcm);
    },
    (err) => (cancelled || timedOut ? null : vendorStatusError(v, wire.rpc, err, callId)),
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
