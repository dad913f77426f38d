/**
 * Media hot paths: G.711 frame coding, and whole RTP packets through a loopback RtpSession pair
 * (send: queue + frame + encode + header; receive: parse + sequence check + decode + emit).
 * The sender runs on a ManualClock, so frames leave as fast as the bench steps it, not every 20 ms.
 * Bounded to about 3 s in all.
 */
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/core/index.js';
import { decodeG711, encodeG711, type Codec } from '../src/media/index.js';
import { RtpSession } from '../src/media/rtp-session.js';

const FRAME = 160;
/** Frames sent per clock step: below the session's 32-buffer send ring, which turns once per event-loop tick. */
const BATCH = 16;
/** Packets allowed in flight: far below what a default Linux UDP receive buffer (212 992 bytes) holds. */
const WINDOW = 64;

function tone(samples: number): Int16Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return pcm;
}

function g711FramesPerSecond(codec: Codec, budgetMs: number): number {
  const pcm = tone(FRAME);
  const bytes = new Uint8Array(FRAME);
  const out = new Int16Array(FRAME);
  let frames = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 1000; i++) {
      encodeG711(codec, pcm, bytes);
      decodeG711(codec, bytes, out);
    }
    frames += 1000;
    elapsed = performance.now() - start;
  }
  return Math.round((frames / elapsed) * 1000);
}

async function loopbackPacketsPerSecond(budgetMs: number): Promise<{ packetsPerSecond: number; sent: number; lost: number; dropped: number }> {
  const clock = new ManualClock();
  const a = await RtpSession.open({ clock });
  const b = await RtpSession.open();
  try {
    a.answer(b.accept(a.offer()));
    let received = 0;
    let waiter: { target: number; resolve: () => void } | null = null;
    b.on('audio', () => {
      received++;
      if (waiter && received >= waiter.target) {
        const w = waiter;
        waiter = null;
        w.resolve();
      }
    });
    /** Waits until B has caught up to `target` frames; gives up after 200 ms (a lost packet). */
    const caughtUp = (target: number): Promise<void> =>
      received >= target
        ? Promise.resolve()
        : new Promise((resolve) => {
            const timer = setTimeout(() => {
              waiter = null;
              resolve();
            }, 200);
            waiter = {
              target,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            };
          });

    // One second of tone queued many times over: the queue never runs dry within the budget.
    const clip = tone(50 * FRAME);
    for (let i = 0; i < 4000; i++) void a.play(clip);
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      clock.advance(20 * BATCH);
      // Let dgram take the bytes of this batch (it reads them on the next tick) before the ring turns.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await caughtUp(a.stats.packetsSent - WINDOW);
    }
    const sent = a.stats.packetsSent;
    await caughtUp(sent);
    const elapsed = performance.now() - start;
    return { packetsPerSecond: Math.round((received / elapsed) * 1000), sent, lost: sent - received, dropped: b.stats.packetsDropped };
  } finally {
    a.close();
    b.close();
  }
}

export async function benchMedia(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const pcmu = g711FramesPerSecond('PCMU', 400);
  const pcma = g711FramesPerSecond('PCMA', 400);
  const loop = await loopbackPacketsPerSecond(1500);
  return {
    name: 'media',
    figures: {
      'g711 PCMU encode+decode, 20 ms frames/s': pcmu,
      'g711 PCMA encode+decode, 20 ms frames/s': pcma,
      'rtp loopback pair, packets/s (send+receive, one core)': loop.packetsPerSecond,
      'rtp loopback pair, packets sent': loop.sent,
      'rtp loopback pair, packets lost': loop.lost,
      'rtp loopback pair, packets dropped as duplicate or late': loop.dropped,
      // A call carries 50 packets/s each way; the process both sends and receives them.
      'rtp calls per core, estimate': Math.floor(loop.packetsPerSecond / 50),
    },
  };
}
