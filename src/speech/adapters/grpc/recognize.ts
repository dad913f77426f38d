/**
 * The Recognize side of the gRPC speech client (index.ts): one AsrStream per listen, on one
 * bidi stream, or on a few when connections are lost.
 *
 *   write() -> WRITE_SAMPLES messages (idleFlush: after IDLE_FLUSH_MS) -> AudioReplay -> call
 *   the call's responses -> #toEvent() -> drop repeats -> EventQueue -> events()
 *   end() / cancel() -> half-close; the engine finishes, or FINISH_GRACE_MS later a reset
 *
 * The plumbing it shares with Synthesize is in calls.ts and ../../grpc-plumbing.ts.
 */
import { connectivityState } from '@grpc/grpc-js';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { AudioReplay } from './audio-replay.js';
import { broken, fromStatus, silent, type Ctx } from './calls.js';
import { EventQueue, IdleFlush, lostConnection, Reconnects } from '../../grpc-plumbing.js';
import { SAMPLE_RATE_HZ, type AsrEvent, type AsrStream, type RecognizeOptions } from '../../ports.js';
import { pcmToLinear16, speechService } from '../../contract.js';
import type { RecognizeRequestMsg, RecognizeResponseMsg } from '../../contract.js';

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
const idleFlush = new IdleFlush<GrpcAsrStream>(IDLE_FLUSH_MS);
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
export class GrpcAsrStream implements AsrStream {
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
        interimResults: o.interim === true,
        grammar: o.grammar && o.grammar.length > 0 ? { phrases: o.grammar } : null,
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
      this.#queue.fail(silent(this.#ctx, 'asr', 'Recognize', 'could not connect', o.callId));
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
    if (failure && !this.#cancelled) this.#queue.fail(fromStatus(this.#ctx, 'asr', 'Recognize', failure, this.#opts.callId));
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
    } else if (ev.type === 'speech-end' || ev.type === 'interim') {
      if (ev.atMs <= this.#lastFinalAtMs) return;
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
   * (interim results it did not ask for, unknown event types), or why it breaks the contract.
   */
  #toEvent(res: RecognizeResponseMsg): AsrEvent | null | string {
    const base = Math.round(this.#baseSample / SAMPLES_PER_MS);
    if (res.response === 'event' && res.event) {
      const { type, offsetMs } = res.event;
      if (type === 'TYPE_UNSPECIFIED') return 'a SpeechEvent without a type';
      if (type === 'SPEECH_START') return { type: 'speech-start', atMs: base + offsetMs };
      if (type === 'SPEECH_END') return { type: 'speech-end', atMs: base + offsetMs };
      return null;
    }
    if (res.response === 'result' && res.result) {
      const r = res.result;
      if (r.endOffsetMs < r.startOffsetMs) return `end_offset_ms ${r.endOffsetMs} before start_offset_ms ${r.startOffsetMs}`;
      if (!r.isFinal) return this.#opts.interim === true ? { type: 'interim', text: r.transcript, atMs: base + r.endOffsetMs } : null;
      if (r.transcript === '') return 'a final RecognitionResult with an empty transcript';
      if (!(r.confidence >= 0 && r.confidence <= 1)) return `confidence ${r.confidence} outside 0..1`;
      const words = (r.words ?? []).map((w) => ({ word: w.word, startMs: base + w.startOffsetMs, endMs: base + w.endOffsetMs }));
      return {
        type: 'final',
        text: r.transcript,
        confidence: r.confidence,
        atMs: base + r.endOffsetMs,
        startMs: base + r.startOffsetMs,
        ...(words.length > 0 ? { words } : {}),
      };
    }
    if (res.response === 'noMatch' && res.noMatch) {
      const n = res.noMatch;
      if (n.endOffsetMs < n.startOffsetMs) return `no_match end_offset_ms ${n.endOffsetMs} before start_offset_ms ${n.startOffsetMs}`;
      if (!(n.confidence >= 0 && n.confidence <= 1)) return `no_match confidence ${n.confidence} outside 0..1`;
      return { type: 'no-match', atMs: base + n.endOffsetMs, confidence: n.confidence };
    }
    return 'a RecognizeResponse with neither event, result nor no_match';
  }
}
