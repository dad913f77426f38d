import { afterAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/core/index.js';
import type { MediaSession } from '../../src/media/index.js';
import { RtpSession } from '../../src/media/rtp-session.js';
import { startWorkerMedia } from '../../src/media/worker-media.js';

/**
 * RTP in the media worker thread (media.worker), against an in-process RtpSession over real UDP
 * on 127.0.0.1. The worker runs the built module (dist/, which `npm test` builds first).
 */
const worker = startWorkerMedia({ portMin: 41_000, portMax: 41_999 });
const open: MediaSession[] = [];
afterAll(async () => {
  for (const s of open) s.close();
  await worker.close();
});

async function pair(): Promise<{ w: MediaSession; r: RtpSession }> {
  const w = await worker.allocate();
  const r = await RtpSession.open();
  open.push(w, r);
  w.answer(r.accept(w.offer()));
  return { w, r };
}

function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const look = () => (cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(look, 5));
    look();
  });
}

describe('RTP in the media worker', () => {
  it('carries audio both ways, paced: 1 s each way arrives as 50 frames with the samples sent', async () => {
    const { w, r } = await pair();
    const heardByR: number[] = [];
    const heardByW: number[] = [];
    r.on('audio', (pcm) => heardByR.push(pcm[80]!));
    w.on('audio', (pcm) => heardByW.push(pcm[80]!));
    const t0 = performance.now();
    const [a, b] = await Promise.all([w.play(new Int16Array(8000).fill(4000)), r.play(new Int16Array(8000).fill(-4000))]);
    expect([a, b]).toEqual([true, true]);
    expect(performance.now() - t0).toBeGreaterThan(900); // paced in real time, not sent at once
    await until(() => heardByR.length >= 50 && heardByW.length >= 50);
    // G.711 round trip: close to the level sent
    expect(Math.abs(heardByR[25]! - 4000)).toBeLessThan(200);
    expect(Math.abs(heardByW[25]! + 4000)).toBeLessThan(200);
    expect(w.codec).toBe('PCMU');
  });

  it('sends and hears RFC 4733 digits', async () => {
    const { w, r } = await pair();
    const atR: string[] = [];
    const atW: string[] = [];
    r.on('dtmf', (d) => atR.push(d));
    w.on('dtmf', (d) => atW.push(d));
    await expect(w.sendDtmf('7', 80)).resolves.toBe(true);
    await r.sendDtmf('#', 80);
    await until(() => atR.length === 1 && atW.length === 1);
    expect([atR, atW]).toEqual([['7'], ['#']]);
  });

  it('flush() drops the queued prompt at once: play() resolves false and nothing more arrives', async () => {
    const { w, r } = await pair();
    let frames = 0;
    r.on('audio', () => frames++);
    const playing = w.play(new Int16Array(8000 * 5).fill(1000));
    await until(() => frames >= 5);
    w.flush();
    await expect(playing).resolves.toBe(false);
    const at = frames;
    await new Promise((res) => setTimeout(res, 200));
    expect(frames - at).toBeLessThanOrEqual(2); // at most what was on the wire
  });

  it('pause() holds the prompt and resume() sends the rest', async () => {
    const { w, r } = await pair();
    // the timestamps say how long the pause was, and the receiver fills it with silence: count
    // the prompt's samples (frames that straddle the silence hold some of each)
    let voiced = 0;
    r.on('audio', (pcm) => {
      for (const x of pcm) if (x !== 0) voiced++;
    });
    const frames = () => Math.floor(voiced / 160);
    const playing = w.play(new Int16Array(160 * 30).fill(1000));
    await until(() => frames() >= 5);
    w.pause();
    await new Promise((res) => setTimeout(res, 150));
    const held = voiced;
    await new Promise((res) => setTimeout(res, 200));
    expect(voiced).toBe(held);
    w.resume();
    await expect(playing).resolves.toBe(true);
    await until(() => r.stats.packetsReceived === 30);
  });

  it('brings the session\'s counters back: packets both ways, and final ones after close()', async () => {
    const { w, r } = await pair();
    await Promise.all([w.play(new Int16Array(160 * 10)), r.play(new Int16Array(160 * 10))]);
    await until(() => w.stats.packetsSent === 10 && w.stats.packetsReceived === 10, 2500);
    w.close();
    await expect(w.play(new Int16Array(160))).resolves.toBe(false);
  });

  it('SDP that makes no sense throws where it is given, before anything reaches the worker; close() tells its listeners', async () => {
    const w = await worker.allocate();
    open.push(w);
    w.offer();
    expect(() => w.answer('v=0\r\n')).toThrow(MediaError);
    let closed = 0;
    w.on('close', () => closed++);
    w.close();
    w.close();
    expect(closed).toBe(1);
  });

  it('a port range with no free port rejects allocate() with MEDIA_UNAVAILABLE', async () => {
    const tiny = startWorkerMedia({ host: '127.0.0.1', portMin: 41_500, portMax: 41_500 });
    try {
      const first = await tiny.allocate();
      await expect(tiny.allocate()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
      first.close();
    } finally {
      await tiny.close();
    }
  });
});

describe('a media worker that dies', () => {
  for (const [how, samples, says] of [['throws', 4242, 'injected fault'], ['exits', 4243, 'exited with code 3']] as const) {
    it(`${how}: its sessions hear 'timeout', what waits resolves false, and a worker that died young is not restarted at once`, async () => {
      const deaths: [string, number][] = [];
      const media = startWorkerMedia({
        portMin: 41_600, portMax: 41_699, workerFile: new URL('../support/faulty-media-worker.mjs', import.meta.url),
        onDeath: (err, sessions) => deaths.push([err.message, sessions]),
      });
      const far: RtpSession[] = [];
      const pairOn = async () => {
        const w = await media.allocate();
        const r = await RtpSession.open();
        far.push(r);
        w.answer(r.accept(w.offer()));
        return { w, r };
      };
      try {
        const a = await pairOn();
        const b = await pairOn();
        const timeouts: number[] = [];
        a.w.on('timeout', (ms) => timeouts.push(ms));
        b.w.on('timeout', (ms) => timeouts.push(ms));
        const long = a.w.play(new Int16Array(8000 * 5).fill(1000));
        void b.w.play(new Int16Array(samples));
        await expect(long).resolves.toBe(false);
        await until(() => timeouts.length === 2);
        expect(deaths).toHaveLength(1);
        expect(deaths[0]![0]).toContain(says);
        expect(deaths[0]![1]).toBe(2);
        await expect(a.w.play(new Int16Array(160))).resolves.toBe(false);
        a.w.close();
        b.w.close();
        // a worker that died this young is held back a while: the next allocate() says so
        await expect(media.allocate()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE', hint: expect.stringContaining('starts') });
      } finally {
        for (const r of far) r.close();
        await media.close();
      }
    });
  }

  it('a worker that had been up a while is replaced at once: the next call gets a new worker and its audio flows', async () => {
    const media = startWorkerMedia({ portMin: 41_700, portMax: 41_799, workerFile: new URL('../support/faulty-media-worker.mjs', import.meta.url), restartHoldMs: 300 });
    const far: RtpSession[] = [];
    try {
      // "a while" is restartHoldMs after its start
      await new Promise((res) => setTimeout(res, 400));
      const w = await media.allocate();
      const r = await RtpSession.open();
      far.push(r);
      w.answer(r.accept(w.offer()));
      const timedOut = new Promise<number>((res) => w.on('timeout', res));
      void w.play(new Int16Array(4242));
      await expect(timedOut).resolves.toBe(0);
      w.close();
      const w2 = await media.allocate();
      const r2 = await RtpSession.open();
      far.push(r2);
      w2.answer(r2.accept(w2.offer()));
      let heard = 0;
      r2.on('audio', () => heard++);
      await expect(w2.play(new Int16Array(160 * 10).fill(500))).resolves.toBe(true);
      await until(() => heard >= 10);
      w2.close();
    } finally {
      for (const r of far) r.close();
      await media.close();
    }
  });

  it('close() fails an allocate() still waiting on the worker, rather than leaving it waiting', async () => {
    const media = startWorkerMedia({ portMin: 41_800, portMax: 41_899 });
    const waiting = expect(media.allocate()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    await media.close();
    await waiting;
    await expect(media.allocate()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
  });
});
