import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { WavRecorder } from '../../src/call/index.js';
import { ManualClock } from '../../src/core/index.js';
import type { MediaSession } from '../../src/media/index.js';
import { collectingLogger } from '../support/collecting-logger.js';
import { readWav } from '../support/wav.js';

/**
 * The recorder on a stand-in media session and a manual clock: where each side's audio lands in
 * the file, what a flush, a pause and the bound do to it, and what the retention sweep deletes.
 */
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-recorder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CALL_ID = '0b0e9c1e-3f6a-4c2b-9d7e-2a1f5c6d7e8f';

class FakeMedia {
  readonly id = 'm1';
  readonly codec = 'PCMU';
  readonly stats = {};
  closed = 0;
  flushed = 0;
  readonly #audio: ((pcm: Int16Array) => void)[] = [];
  on(event: string, fn: (pcm: Int16Array) => void): () => void {
    if (event === 'audio') this.#audio.push(fn);
    return () => {
      const i = this.#audio.indexOf(fn);
      if (i >= 0) this.#audio.splice(i, 1);
    };
  }
  play(): Promise<boolean> {
    return Promise.resolve(true);
  }
  pause(): void {}
  resume(): void {}
  flush(): void {
    this.flushed++;
  }
  close(): void {
    this.closed++;
  }
  hear(pcm: Int16Array): void {
    for (const fn of this.#audio) fn(pcm);
  }
}

const level = (v: number, ms: number) => new Int16Array(ms * 8).fill(v);

/** Which 10 ms spans of one channel hold a value other than 0, as [fromMs, toMs] runs. */
function runs(samples: Int16Array, channel: 0 | 1): [number, number][] {
  const out: [number, number][] = [];
  const spans = Math.ceil(samples.length / 2 / 80);
  for (let s = 0; s < spans; s++) {
    let on = false;
    for (let i = s * 80; i < (s + 1) * 80 && i * 2 + channel < samples.length; i++) if (samples[i * 2 + channel]) on = true;
    const last = out.at(-1);
    if (on && last && last[1] === s * 10) last[1] = (s + 1) * 10;
    else if (on) out.push([s * 10, (s + 1) * 10]);
  }
  return out;
}

async function recorded(dir: string, script: (media: MediaSession, fake: FakeMedia, clock: ManualClock) => void, maxCallMs = 60_000) {
  const clock = new ManualClock();
  const log = collectingLogger();
  const rec = new WavRecorder({ dir, retentionDays: 1 }, { maxCallMs, clock, log });
  const fake = new FakeMedia();
  const media = rec.record(CALL_ID, fake as unknown as MediaSession);
  script(media, fake, clock);
  media.close();
  await rec.close();
  return { wav: readWav(join(dir, `${CALL_ID}.wav`)), fake, log, rec };
}

describe('WavRecorder', () => {
  it('lays the robot\'s audio where it went out (queued after what plays) and the callee\'s by when it came', async () => {
    const { wav, fake, rec } = await recorded(join(tmp, 'a'), (media, fake, clock) => {
      void media.play(level(1000, 300)); // 0..300 ms
      clock.advance(100);
      void media.play(level(2000, 200)); // queued: 300..500 ms
      clock.advance(900);
      for (let i = 0; i < 10; i++) { // 1000..1200 ms, one frame per 20 ms
        clock.advance(20);
        fake.hear(level(-3000, 20));
      }
    });
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 2 });
    expect(runs(wav.samples, 1)).toEqual([[0, 500]]);
    expect(wav.samples[2 * 8 * 100 + 1]).toBe(1000);
    expect(wav.samples[2 * 8 * 400 + 1]).toBe(2000);
    expect(runs(wav.samples, 0)).toEqual([[1000, 1200]]);
    expect(fake.closed).toBe(1);
    expect(rec.written).toBe(1);
  });

  it('drops what a flush (barge-in) cut, and moves what a pause held back', async () => {
    const { wav } = await recorded(join(tmp, 'b'), (media, _fake, clock) => {
      void media.play(level(1000, 1000)); // 0..1000 ms, cut at 400
      clock.advance(400);
      media.flush();
      void media.play(level(2000, 400)); // 400..800, paused at 600 for 300 ms: 400..600 and 900..1100
      clock.advance(200);
      media.pause();
      clock.advance(300);
      media.resume();
      clock.advance(1000);
    });
    expect(runs(wav.samples, 1)).toEqual([[0, 600], [900, 1100]]);
    expect(wav.samples[2 * 8 * 300 + 1]).toBe(1000);
    expect(wav.samples[2 * 8 * 500 + 1]).toBe(2000);
  });

  it('drops what was still queued at close (it never went out)', async () => {
    const { wav } = await recorded(join(tmp, 'c'), (media, _fake, clock) => {
      void media.play(level(1000, 2000));
      clock.advance(500);
    });
    expect(runs(wav.samples, 1)).toEqual([[0, 500]]);
  });

  it('keeps a gap the receiver filled with silence in place, and lays a frame by the clock when it came later than any fill explains', async () => {
    const { wav } = await recorded(join(tmp, 'd'), (_media, fake, clock) => {
      clock.advance(1000);
      fake.hear(level(100, 20)); // 980..1000: the first frame, laid by the clock
      clock.advance(600);
      // a talkspurt after 600 ms: the receiver gives the gap as silence, then the frame, at once
      for (let i = 0; i < 29; i++) fake.hear(new Int16Array(160));
      fake.hear(level(200, 20)); // 1580..1600
      clock.advance(5000);
      // 5 s later: the receiver fills one second at most; the frame is laid by the clock, 6580..6600
      for (let i = 0; i < 50; i++) fake.hear(new Int16Array(160));
      fake.hear(level(300, 20));
    });
    expect(runs(wav.samples, 0)).toEqual([[980, 1000], [1580, 1600], [6580, 6600]]);
  });

  it('keeps no more than the longest call allows (dialer.maxCallMs plus 30 s)', async () => {
    const { wav } = await recorded(join(tmp, 'e'), (media, _fake, clock) => {
      clock.advance(59_000);
      void media.play(level(1000, 5000));
      clock.advance(100_000);
    }, 30_000);
    expect(wav.samples.length / 2).toBe(60 * 8000);
  });

  it('sweeps recordings older than retentionDays at start and hourly, and nothing else', async () => {
    const dir = join(tmp, 'sweep');
    const clock = new ManualClock(Date.now());
    const log = collectingLogger();
    const nowhere = new WavRecorder({ dir, retentionDays: 1 }, { maxCallMs: 60_000, clock, log });
    expect(await nowhere.sweep()).toBe(0); // no folder yet: nothing to do
    await nowhere.close();
    const old = `${CALL_ID}.wav`;
    const fresh = '1b0e9c1e-3f6a-4c2b-9d7e-2a1f5c6d7e8f.wav';
    const stale = '2b0e9c1e-3f6a-4c2b-9d7e-2a1f5c6d7e8f.wav.part';
    const notOurs = 'notes.wav';
    mkdirSync(dir);
    for (const f of [old, fresh, stale, notOurs]) writeFileSync(join(dir, f), 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    for (const f of [old, stale, notOurs]) utimesSync(join(dir, f), twoDaysAgo, twoDaysAgo);
    const rec = new WavRecorder({ dir, retentionDays: 1 }, { maxCallMs: 60_000, clock, log });
    clock.advance(0);
    await vi.waitFor(() => expect(readdirSync(dir).sort()).toEqual([fresh, notOurs].sort()));
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'old call recordings deleted', fields: { deleted: 2, retentionDays: 1 } }));
    // a day and an hour on, the hourly sweep finds the fresh one past its retention
    clock.advance(25 * 3_600_000);
    await vi.waitFor(() => expect(readdirSync(dir)).toEqual([notOurs]));
    await rec.close();
  });
});
