/**
 * gRPC plumbing every speech adapter shares (adapters/grpc, adapters/yandex, adapters/tinkoff):
 * adapters may not import each other, so what is generic lives here. Moved from
 * adapters/grpc/calls.ts unchanged, except that the status table is exported and read through
 * statusFailure(); IdleFlush is the idle-audio timer of adapters/grpc/recognize.ts, made generic.
 *
 *   status -> statusFailure() / lostConnection() -> Reconnects.allow() ? re-open : SpeechError
 *   grpc-js stream events -> pipe() -> EventQueue -> for await in the caller
 */
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';

/** What a failed call means to zvonar: ask again later, or fix something first. */
export type Failure = 'unavailable' | 'protocol';

/**
 * What a status from the engine means to zvonar (the table in speech.proto, "Status codes";
 * the vendors' APIs use the same gRPC codes the same way). CANCELLED here is the engine going
 * away; zvonar's own cancel is never reported as an error.
 */
export const STATUS_FAILURE: ReadonlyMap<number, Failure> = new Map<number, Failure>([
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

/** The status's meaning: a lost connection is always 'unavailable', an unknown code 'protocol'. */
export function statusFailure(err: ServiceError): Failure {
  return lostConnection(err) ? 'unavailable' : (STATUS_FAILURE.get(err.code) ?? 'protocol');
}

/**
 * The status says the connection went, not what the engine answered: the same request on
 * another connection can succeed. grpc-js 1.14 reports a dropped TCP connection as UNAVAILABLE,
 * Node's synthesized NGHTTP2_CANCEL as CANCELLED, and a connection the server closes under a live
 * stream (GOAWAY INTERNAL_ERROR, as Node's rapid-reset limit does) as INTERNAL "Received
 * RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2"
 * (subchannel-call.js): no trailers, so not the engine's status.
 */
export function lostConnection(err: ServiceError): boolean {
  if (err.code === status.UNAVAILABLE || err.code === status.CANCELLED) return true;
  return err.code === status.INTERNAL && typeof err.details === 'string' && err.details.startsWith('Received RST_STREAM');
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
}

/**
 * Streams a request may re-open after losing its connection. Two: one loss is a connection the
 * engine closed, a second may be another connection closed in the same wave (issue 7); a third
 * means the engine itself is down, which the call must hear about.
 */
const MAX_RECONNECTS = 2;

/** Counts one request's re-opened streams; they must come within deadlineMs of the first loss. */
export class Reconnects {
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
 * Feeds a grpc-js client stream into a queue. 'end' (not 'status') finishes it, because
 * grpc-js emits the status before a flowing stream has delivered its last buffered messages.
 */
export function pipe<R>(
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
 * Streams holding audio not yet sent, looked at by one timer for the whole process while any
 * hold some (a timer per stream re-armed per 20 ms frame would cost more than the audio). A
 * stream's flushIfIdle(now) sends what it holds if it got no audio for a while and says whether
 * it is done with the timer.
 */
export class IdleFlush<S extends { flushIfIdle(now: number): boolean }> {
  readonly #streams = new Set<S>();
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  add(s: S): void {
    this.#streams.add(s);
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const stream of this.#streams) if (stream.flushIfIdle(now)) this.#streams.delete(stream);
      if (this.#streams.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, this.#everyMs);
    this.#timer.unref();
  }

  delete(s: S): void {
    this.#streams.delete(s);
  }
}

export { EventQueue } from './event-queue.js';
