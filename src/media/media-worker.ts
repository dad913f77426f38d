/**
 * The media worker's thread: every RTP session of the process, their sockets and their one
 * pacer, away from the main event loop (issue 9). The main thread's dialogs, gRPC and registry
 * work come in bursts of tens of milliseconds; here nothing else runs, so packets leave on time.
 *
 *   main ──[commands, batched]──▶ worker: RtpSession per leg (rtp-session.ts, unchanged)
 *   main ◀──[frames + events, one message per loop turn]── worker
 *
 * Received audio goes back as whole 20 ms frames gathered over one turn of this thread's event
 * loop (setImmediate): one message for all calls, not one per packet. worker-media.ts is the other
 * end; this file is only ever loaded as a Worker.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { MediaError, ZvonarError } from '../core/index.js';
import { threadTraffic } from './native-io.js';
import { RtpPortAllocator } from './port-allocator.js';
import { RtpSession, type SourceLock } from './rtp-session.js';
import type { ThreadTraffic } from './rtp-traffic.js';
import type { Negotiated } from './sdp-negotiation.js';

export interface WorkerOptions {
  portMin?: number;
  portMax?: number;
  /** how often each session's counters are sent */
  statsMs: number;
}

export interface OpenOptions {
  host: string;
  publicAddress?: string;
  sourceLock?: SourceLock;
  timeoutMs?: number;
  rtcpIntervalMs?: number;
  keepSending?: boolean;
}

/** main -> worker */
export type Command =
  | { op: 'open'; id: number; opts: OpenOptions }
  | { op: 'apply'; id: number; negotiated: Negotiated }
  | { op: 'play'; id: number; n: number; pcm: Int16Array }
  | { op: 'dtmf'; id: number; n: number; digit: string; durationMs: number }
  | { op: 'pause' | 'resume' | 'flush' | 'close'; id: number }
  /** the thread's RTP counters (rtp-traffic.ts), and a fresh send-jitter histogram after them if `reset` */
  | { op: 'traffic'; id: 0; reset: boolean };

export type Stats = RtpSession['stats'];

/** worker -> main, inside a Batch */
export type WorkerEvent =
  | { t: 'opened'; id: number; port: number; address: string; family: 4 | 6 }
  | { t: 'failed'; id: number; message: string; permanent: boolean; hint?: string }
  | { t: 'done'; id: number; n: number; ok: boolean; error?: string }
  | { t: 'dtmf'; id: number; digit: string; durationMs: number }
  | { t: 'timeout'; id: number; silentMs: number }
  | { t: 'stats'; id: number; stats: Stats }
  | ({ t: 'traffic'; id: 0; busyMs: number } & ThreadTraffic);

export interface Batch {
  /** frames.length / 160 frames of received audio, frame k for session ids[k] */
  frames: Int16Array;
  ids: Int32Array;
  events: WorkerEvent[];
}

const FRAME = 160;

function serve(port: NonNullable<typeof parentPort>, opts: WorkerOptions): void {
  const allocator = new RtpPortAllocator({ portMin: opts.portMin, portMax: opts.portMax });
  const sessions = new Map<number, RtpSession>();
  let frames = new Int16Array(FRAME * 256);
  let ids: number[] = [];
  let events: WorkerEvent[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (ids.length === 0 && events.length === 0) return;
    const batch: Batch = { frames: frames.slice(0, ids.length * FRAME), ids: Int32Array.from(ids), events };
    ids = [];
    events = [];
    port.postMessage(batch, [batch.frames.buffer as ArrayBuffer, batch.ids.buffer as ArrayBuffer]);
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const event = (e: WorkerEvent): void => {
    events.push(e);
    schedule();
  };

  const open = (id: number, o: OpenOptions): void => {
    RtpSession.open({ ...o, allocator }).then((s) => {
      sessions.set(id, s);
      s.on('audio', (pcm) => {
        const k = ids.length;
        if ((k + 1) * FRAME > frames.length) {
          const bigger = new Int16Array(frames.length * 2);
          bigger.set(frames.subarray(0, k * FRAME));
          frames = bigger;
        }
        frames.set(pcm, k * FRAME);
        ids.push(id);
        schedule();
      });
      s.on('dtmf', (digit, durationMs) => event({ t: 'dtmf', id, digit, durationMs }));
      s.on('timeout', (silentMs) => event({ t: 'timeout', id, silentMs }));
      event({ t: 'opened', id, port: s.port, address: s.address, family: isIP(o.host) === 6 ? 6 : 4 });
    }, (err: unknown) => {
      const z = err instanceof ZvonarError ? err : null;
      event({ t: 'failed', id, message: (err as Error).message, permanent: z?.permanent ?? false, ...(z?.hint ? { hint: z.hint } : {}) });
    });
  };

  const run = (c: Command): void => {
    if (c.op === 'open') return open(c.id, c.opts);
    if (c.op === 'traffic') {
      event({ t: 'traffic', id: 0, ...threadTraffic(c.reset), busyMs: performance.eventLoopUtilization().active });
      return;
    }
    const s = sessions.get(c.id);
    if (!s) return;
    switch (c.op) {
      case 'apply':
        s.apply(c.negotiated);
        return;
      case 'play':
        void s.play(c.pcm).then((ok) => event({ t: 'done', id: c.id, n: c.n, ok }), (err: Error) => event({ t: 'done', id: c.id, n: c.n, ok: false, error: err.message }));
        return;
      case 'dtmf':
        void s.sendDtmf(c.digit, c.durationMs).then((ok) => event({ t: 'done', id: c.id, n: c.n, ok }), (err: Error) => event({ t: 'done', id: c.id, n: c.n, ok: false, error: err.message }));
        return;
      case 'pause':
        return s.pause();
      case 'resume':
        return s.resume();
      case 'flush':
        return s.flush();
      case 'close':
        s.close();
        sessions.delete(c.id);
        event({ t: 'stats', id: c.id, stats: s.stats });
    }
  };

  port.on('message', (commands: Command[]) => {
    for (const c of commands) {
      try {
        run(c);
      } catch (err) {
        // a command the session refuses (it is closed, a bad argument): the proxy checked what it could
        if ('n' in c) event({ t: 'done', id: c.id, n: c.n, ok: false, error: (err as Error).message });
      }
    }
  });
  setInterval(() => {
    for (const [id, s] of sessions) events.push({ t: 'stats', id, stats: s.stats });
    if (sessions.size) schedule();
  }, opts.statsMs).unref();
}

if (parentPort) serve(parentPort, workerData as WorkerOptions);
else throw new MediaError('MEDIA_UNAVAILABLE', 'media-worker.ts runs only as a worker thread (worker-media.ts starts it)');
