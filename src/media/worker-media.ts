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
  rtcpReportsSent: 0, rtcpReportsReceived: 0, socketErrors: 0,
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

/** Starts the media worker; its sessions bind ports of [portMin, portMax] (any free port without them). */
export function startWorkerMedia(opts: WorkerMediaOptions = {}): WorkerMedia {
  const worker = new Worker(workerFile(), { workerData: { portMin: opts.portMin, portMax: opts.portMax, statsMs: STATS_MS } satisfies WorkerOptions });
  const sessions = new Map<number, WorkerMediaSession>();
  const opening = new Map<number, { resolve: (e: Extract<WorkerEvent, { t: 'opened' }>) => void; reject: (err: Error) => void }>();
  let queue: Command[] = [];
  const trafficWaiters: ((t: WorkerTraffic) => void)[] = [];
  let next = 0;
  let dead: Error | null = null;
  const post = (c: Command): boolean => {
    if (dead) return false;
    if (queue.length === 0) queueMicrotask(send);
    queue.push(c);
    return true;
  };
  const send = (): void => {
    const q = queue;
    queue = [];
    if (!dead) worker.postMessage(q);
  };
  worker.on('message', (b: Batch) => {
    for (let k = 0; k < b.ids.length; k++) {
      const s = sessions.get(b.ids[k]!);
      if (!s) continue;
      const frame = b.frames.subarray(k * FRAME, (k + 1) * FRAME);
      for (const fn of s.listeners.table.audio) fn(frame);
    }
    for (const e of b.events) {
      if (e.t === 'traffic') {
        const { t: _t, id: _id, ...traffic } = e;
        trafficWaiters.shift()?.(traffic);
        continue;
      }
      if (e.t === 'opened' || e.t === 'failed') {
        const o = opening.get(e.id);
        opening.delete(e.id);
        if (e.t === 'opened') o?.resolve(e);
        else o?.reject(new MediaError('MEDIA_UNAVAILABLE', e.message, {}, { permanent: e.permanent, ...(e.hint ? { hint: e.hint } : {}) }));
        continue;
      }
      sessions.get(e.id)?.told(e);
    }
  });
  // a worker that dies takes its calls' media with it: fail what waits, and say so on each session
  worker.on('error', (err) => {
    dead = err;
    for (const o of opening.values()) o.reject(new MediaError('MEDIA_UNAVAILABLE', `the media worker failed: ${err.message}`, {}, { cause: err }));
    opening.clear();
    for (const s of sessions.values()) {
      s.abandon();
      for (const fn of s.listeners.table.timeout) fn(0);
    }
  });
  // the worker keeps the process alive while it carries calls, as their sockets would in-process
  worker.unref();
  let live = 0;
  const hold = (d: 1 | -1): void => {
    live += d;
    if (live === 1 && d === 1) worker.ref();
    if (live === 0) worker.unref();
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
      if (dead) throw new MediaError('MEDIA_UNAVAILABLE', `the media worker failed: ${dead.message}`, {}, { cause: dead });
      const id = ++next;
      hold(1);
      let opened: Extract<WorkerEvent, { t: 'opened' }>;
      try {
        opened = await new Promise((resolve, reject) => {
          opening.set(id, { resolve, reject });
          post({ op: 'open', id, opts: open });
        });
      } catch (err) {
        hold(-1);
        throw err;
      }
      const s = new WorkerMediaSession(id, opened, opts.codecs, post);
      sessions.set(id, s);
      s.on('close', () => hold(-1));
      // its final counters come after close(), in the worker's answer
      s.on('close', () => setTimeout(() => sessions.delete(id), 2 * STATS_MS).unref());
      return s;
    },
    traffic: (reset = false) => new Promise((resolve) => {
      trafficWaiters.push(resolve);
      post({ op: 'traffic', id: 0, reset });
    }),
    close: async () => {
      for (const s of [...sessions.values()]) s.close();
      send();
      await worker.terminate();
    },
  };
}
