/**
 * RTP in a worker thread (config `media.worker`): the MediaFactory whose sessions are proxies
 * for RtpSessions living in media-worker.ts. SDP is negotiated here (sdp-negotiation.ts), so its
 * errors throw where the caller called; everything on the wire happens in the worker. Commands go
 * out once per microtask turn, in one message; frames and events come back in one message per
 * turn of the worker's loop. This is an adapter: only src/app imports it.
 *
 * What differs from the in-process RtpSession: `stats` are the worker's figures of up to
 * STATS_MS ago (and final once close() has been answered); play() resolves a message later.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { InvalidStateError, MediaError } from '../core/index.js';
import { dtmfEvent } from './dtmf.js';
import { ListenerTable } from './listeners.js';
import type { Batch, Command, OpenOptions, Stats, WorkerEvent, WorkerOptions } from './media-worker.js';
import type { Codec, MediaFactory, MediaSession, MediaSessionEvents } from './media-session.js';
import type { SourceLock } from './rtp-receiver.js';
import { SdpNegotiation, type Negotiated } from './sdp-negotiation.js';

const FRAME = 160;
/** How often the worker sends each session's counters: the attempt's media figures are this fresh. */
const STATS_MS = 1000;

const NO_STATS: Stats = {
  packetsSent: 0, packetsWithheld: 0, octetsSent: 0, packetsReceived: 0, packetsLost: 0, packetsLate: 0, packetsDropped: 0,
  packetsReordered: 0, packetsIgnored: 0, packetsForeign: 0, jitterMs: 0, rttMs: null, farEndLostPercent: null, farEndJitterMs: null,
  rtcpReportsSent: 0, rtcpReportsReceived: 0, socketErrors: 0, echoDelayMs: null, echoLossDb: null, framesEchoSuppressed: 0,
};

export interface WorkerMediaOptions {
  /** the RTP port range; any free port without it */
  portMin?: number;
  portMax?: number;
  host?: string;
  publicAddress?: string;
  codecs?: readonly Codec[];
  sourceLock?: SourceLock;
  timeoutMs?: number;
  rtcpIntervalMs?: number;
  /** told when a worker dies, with the number of sessions it carried (a new one carries the next calls) */
  onDeath?: (err: Error, sessions: number) => void;
  /** the worker's module; tests put a wrapper here that injects faults */
  workerFile?: URL;
  /** a worker that died this soon after its start is not replaced before this long (RESTART_HOLD_MS) */
  restartHoldMs?: number;
}

/** The media worker and the factory of its sessions; close() ends the thread (sessions still open are closed with it). */
export interface WorkerMedia extends MediaFactory {
  /**
   * The thread's RTP counters (see rtp-traffic.ts) and how long its event loop has been busy, ms;
   * `reset` starts a new send-jitter histogram after reading them.
   */
  traffic(reset?: boolean): Promise<WorkerTraffic>;
  close(): Promise<void>;
}

export type WorkerTraffic = Omit<Extract<WorkerEvent, { t: 'traffic' }>, 't' | 'id'>;


class WorkerMediaSession implements MediaSession {
  readonly id = randomUUID();
  readonly num: number;
  #stats: Stats = NO_STATS;
  #codec: Codec | null = null;
  #sendsDtmf = false;
  #closed = false;
  readonly #sdp: SdpNegotiation;
  /** false when the worker is gone and the command was not sent */
  readonly #post: (c: Command) => boolean;
  readonly #done = new Map<number, (ok: boolean) => void>();
  #n = 0;
  readonly listeners = new ListenerTable();

  constructor(num: number, opened: Extract<WorkerEvent, { t: 'opened' }>, codecs: readonly Codec[] | undefined, post: (c: Command) => boolean) {
    this.num = num;
    this.#post = post;
    this.#sdp = new SdpNegotiation({ address: opened.address, port: opened.port, family: opened.family, codecs, id: this.id });
  }

  get stats(): Readonly<Stats> {
    return this.#stats;
  }

  get codec(): Codec | null {
    return this.#codec;
  }

  offer(): string {
    this.#assertOpen('offer');
    return this.#sdp.offer();
  }

  answer(sdp: string): void {
    this.#assertOpen('answer');
    this.#apply(this.#sdp.answer(sdp));
  }

  accept(sdpOffer: string): string {
    this.#assertOpen('accept');
    const { answer, negotiated } = this.#sdp.accept(sdpOffer);
    this.#apply(negotiated);
    return answer;
  }

  play(pcm: Int16Array): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#codec === null) return Promise.reject(new InvalidStateError(`media ${this.id}: play() before answer() or accept()`));
    if (pcm.length === 0) return Promise.resolve(true);
    return this.#ask((n) => ({ op: 'play', id: this.num, n, pcm }));
  }

  sendDtmf(digit: string, durationMs = 100): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#codec === null) return Promise.reject(new InvalidStateError(`media ${this.id}: sendDtmf() before answer() or accept()`));
    if (dtmfEvent(digit) < 0) return Promise.reject(new RangeError(`sendDtmf: "${digit}" is not a DTMF digit (0-9 * # A-D)`));
    if (!this.#sendsDtmf) {
      return Promise.reject(
        new MediaError('SDP_INVALID', 'the far end did not negotiate telephone-event/8000', { callId: this.id }, { hint: 'send the digit as SIP INFO instead' }),
      );
    }
    return this.#ask((n) => ({ op: 'dtmf', id: this.num, n, digit, durationMs }));
  }

  pause(): void {
    if (!this.#closed) this.#post({ op: 'pause', id: this.num });
  }

  resume(): void {
    if (!this.#closed) this.#post({ op: 'resume', id: this.num });
  }

  flush(): void {
    if (!this.#closed) this.#post({ op: 'flush', id: this.num });
  }

  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void {
    return this.listeners.on(event, fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#post({ op: 'close', id: this.num });
    for (const resolve of this.#done.values()) resolve(false);
    this.#done.clear();
    this.listeners.close();
  }

  /** The worker died: what waits on it is dropped, as close() would. */
  abandon(): void {
    for (const resolve of this.#done.values()) resolve(false);
    this.#done.clear();
  }

  /** From the worker: a play or a digit has left (or was dropped), the line's news, the counters. */
  told(e: WorkerEvent): void {
    if (e.t === 'done') {
      const resolve = this.#done.get(e.n);
      this.#done.delete(e.n);
      resolve?.(e.ok);
    } else if (e.t === 'stats') {
      this.#stats = e.stats;
    } else if (e.t === 'dtmf') {
      for (const fn of this.listeners.table.dtmf) fn(e.digit, e.durationMs);
    } else if (e.t === 'timeout') {
      for (const fn of this.listeners.table.timeout) fn(e.silentMs);
    }
  }

  #ask(command: (n: number) => Command): Promise<boolean> {
    const n = ++this.#n;
    return new Promise<boolean>((resolve) => {
      this.#done.set(n, resolve);
      if (!this.#post(command(n))) this.abandon(); // the worker is gone: nothing will be sent
    });
  }

  #apply(negotiated: Negotiated): void {
    this.#codec = negotiated.remote.codec;
    this.#sendsDtmf = negotiated.remote.dtmfPayloadType !== null;
    this.#post({ op: 'apply', id: this.num, negotiated });
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new InvalidStateError(`media ${this.id}: ${op}() after close()`);
  }
}

/**
 * The worker's module: beside this one once built. Run from TypeScript sources (vitest), the
 * built one in dist/ (npm test builds first): a worker thread cannot load .ts here.
 */
function workerFile(): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('../../dist/src/media/media-worker.js', import.meta.url);
  return new URL('./media-worker.js', import.meta.url);
}

/**
 * A worker that died this soon after it started is not started again before this long has
 * passed since: a worker that cannot run fails each call at once rather than in a tight loop.
 */
const RESTART_HOLD_MS = 5_000;

/** One worker thread and the sessions it carries; a dead one is replaced by a new Thread. */
class Thread {
  readonly worker: Worker;
  readonly startedAt = performance.now();
  readonly sessions = new Map<number, WorkerMediaSession>();
  readonly opening = new Map<number, { resolve: (e: Extract<WorkerEvent, { t: 'opened' }>) => void; reject: (err: Error) => void }>();
  readonly trafficWaiters: ((t: WorkerTraffic) => void)[] = [];
  dead: Error | null = null;
  #queue: Command[] = [];
  #live = 0;

  constructor(file: URL, data: WorkerOptions, onDeath: (err: Error) => void) {
    this.worker = new Worker(file, { workerData: data });
    this.worker.on('message', (b: Batch) => this.#onBatch(b));
    // a worker that dies takes its calls' media with it: fail what waits, and say so on each session
    const die = (err: Error): void => {
      if (this.dead) return;
      this.#fail(err);
      for (const s of this.sessions.values()) for (const fn of s.listeners.table.timeout) fn(0);
      onDeath(err);
    };
    this.worker.on('error', die);
    // an exit nobody asked for (process.exit() in the worker, a fatal error) is a death too
    this.worker.on('exit', (code) => die(new Error(`the media worker exited with code ${code}`)));
    // the worker keeps the process alive while it carries calls, as their sockets would in-process
    this.worker.unref();
  }

  /** false when the worker is gone and the command was not sent */
  readonly post = (c: Command): boolean => {
    if (this.dead) return false;
    if (this.#queue.length === 0) queueMicrotask(this.send);
    this.#queue.push(c);
    return true;
  };

  readonly send = (): void => {
    const q = this.#queue;
    this.#queue = [];
    if (!this.dead && q.length) this.worker.postMessage(q);
  };

  hold(d: 1 | -1): void {
    this.#live += d;
    if (this.#live === 1 && d === 1) this.worker.ref();
    if (this.#live === 0) this.worker.unref();
  }

  async close(): Promise<void> {
    if (!this.dead) this.#fail(new Error('the media worker was closed'));
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  /** Nothing more will come from the worker: what waits on it is failed or dropped. */
  #fail(err: Error): void {
    this.dead = err;
    for (const o of this.opening.values()) o.reject(new MediaError('MEDIA_UNAVAILABLE', `the media worker failed: ${err.message}`, {}, { cause: err }));
    this.opening.clear();
    for (const s of this.sessions.values()) s.abandon();
    for (const w of this.trafficWaiters.splice(0)) w({ sent: 0, received: 0, sendJitterP99Ms: 0, busyMs: 0 });
  }

  #onBatch(b: Batch): void {
    for (let k = 0; k < b.ids.length; k++) {
      const s = this.sessions.get(b.ids[k]!);
      if (!s) continue;
      const frame = b.frames.subarray(k * FRAME, (k + 1) * FRAME);
      for (const fn of s.listeners.table.audio) fn(frame);
    }
    for (const e of b.events) {
      if (e.t === 'traffic') {
        const { t: _t, id: _id, ...traffic } = e;
        this.trafficWaiters.shift()?.(traffic);
        continue;
      }
      if (e.t === 'opened' || e.t === 'failed') {
        const o = this.opening.get(e.id);
        this.opening.delete(e.id);
        if (e.t === 'opened') o?.resolve(e);
        else o?.reject(new MediaError('MEDIA_UNAVAILABLE', e.message, {}, { permanent: e.permanent, ...(e.hint ? { hint: e.hint } : {}) }));
        continue;
      }
      this.sessions.get(e.id)?.told(e);
    }
  }
}

/**
 * Starts the media worker; its sessions bind ports of [portMin, portMax] (any free port without
 * them). A worker that dies (an uncaught error, an exit) ends the media of the calls it carried
 * (each session's 'timeout' fires, as for a dead line) and the next allocate() starts a new one.
 */
export function startWorkerMedia(opts: WorkerMediaOptions = {}): WorkerMedia {
  const file = opts.workerFile ?? workerFile();
  const data: WorkerOptions = { portMin: opts.portMin, portMax: opts.portMax, statsMs: STATS_MS };
  let next = 0;
  let closed = false;
  let holdUntil = 0;
  const holdMs = opts.restartHoldMs ?? RESTART_HOLD_MS;
  const start = (): Thread => {
    const t: Thread = new Thread(file, data, (err) => {
      if (performance.now() - t.startedAt < holdMs) holdUntil = performance.now() + holdMs;
      opts.onDeath?.(err, t.sessions.size);
    });
    return t;
  };
  let thread = start();
  /** the live worker, a new one in place of a dead one */
  const current = (): Thread => {
    if (closed) throw new MediaError('MEDIA_UNAVAILABLE', 'the media worker was closed', {}, { permanent: true });
    if (!thread.dead) return thread;
    if (performance.now() < holdUntil) {
      throw new MediaError('MEDIA_UNAVAILABLE', `the media worker failed: ${thread.dead.message}`, {}, {
        cause: thread.dead, hint: `it died within ${holdMs / 1000} s of its start; the next one starts ${Math.ceil((holdUntil - performance.now()) / 1000)} s from now`,
      });
    }
    thread = start();
    return thread;
  };
  const open: OpenOptions = {
    host: opts.host ?? '127.0.0.1',
    ...(opts.publicAddress !== undefined ? { publicAddress: opts.publicAddress } : {}),
    ...(opts.sourceLock !== undefined ? { sourceLock: opts.sourceLock } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.rtcpIntervalMs !== undefined ? { rtcpIntervalMs: opts.rtcpIntervalMs } : {}),
  };
  return {
    allocate: async () => {
      const t = current();
      const id = ++next;
      t.hold(1);
      let opened: Extract<WorkerEvent, { t: 'opened' }>;
      try {
        opened = await new Promise((resolve, reject) => {
          t.opening.set(id, { resolve, reject });
          t.post({ op: 'open', id, opts: open });
        });
      } catch (err) {
        t.hold(-1);
        throw err;
      }
      const s = new WorkerMediaSession(id, opened, opts.codecs, t.post);
      t.sessions.set(id, s);
      s.on('close', () => t.hold(-1));
      // its final counters come after close(), in the worker's answer
      s.on('close', () => setTimeout(() => t.sessions.delete(id), 2 * STATS_MS).unref());
      return s;
    },
    traffic: (reset = false) => new Promise((resolve) => {
      const t = current();
      t.trafficWaiters.push(resolve);
      t.post({ op: 'traffic', id: 0, reset });
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const s of [...thread.sessions.values()]) s.close();
      thread.send();
      await thread.close();
    },
  };
}
