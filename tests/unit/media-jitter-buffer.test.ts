import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../src/media/jitter-buffer.js';
import { seededRandom } from '../support/random.js';

/** What the receiver got: packet ids in order, and gaps as [samples, lost]. */
function harness(opts = {}) {
  const out: (number | [number, boolean])[] = [];
  const jb = new JitterBuffer({
    audio: (buf, offset) => out.push(buf[offset]! | (buf[offset + 1]! << 8)),
    missing: (samples, lost) => out.push([samples, lost]),
  }, opts);
  /** packet `id` (its payload carries the id), sequence seq, timestamp ts, arriving at ms */
  const send = (seq: number, ts: number, ms: number, id = seq, ssrc = 7) => {
    const payload = new Uint8Array(160);
    payload[0] = id & 0xff;
    payload[1] = (id >> 8) & 0xff;
    jb.push(ssrc, seq & 0xffff, ts >>> 0, payload, 0, 160, ms);
  };
  return { jb, out, send };
}

describe('jitter buffer', () => {
  it('releases packets that come in order at once, with no gaps', () => {
    const { jb, out, send } = harness();
    for (let i = 0; i < 5; i++) send(100 + i, i * 160, i * 20);
    expect(out).toEqual([100, 101, 102, 103, 104]);
    expect(jb.held).toBe(0);
    expect(jb.stats).toMatchObject({ released: 5, reordered: 0, lost: 0, duplicates: 0, late: 0 });
  });

  it('puts reordered packets back in order, and holds nothing once the gap is filled', () => {
    const { jb, out, send } = harness();
    send(1, 0, 0);
    send(3, 320, 20);
    send(4, 480, 40);
    expect(out).toEqual([1]);
    expect(jb.held).toBe(2);
    send(2, 160, 45);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(jb.held).toBe(0);
    expect(jb.stats).toMatchObject({ released: 4, reordered: 2, lost: 0 });
  });

  it('gives a missing packet up after its wait, releases its samples as lost, and counts it late if it comes after', () => {
    const { jb, out, send } = harness({ minWaitMs: 40 });
    send(1, 0, 0);
    send(3, 320, 40);
    send(4, 480, 60);
    expect(out).toEqual([1]);
    send(5, 640, 80); // 40 ms after packet 3 arrived: packet 2 is lost
    expect(out).toEqual([1, [160, true], 3, 4, 5]);
    send(2, 160, 90);
    expect(out).toHaveLength(5);
    expect(jb.stats).toMatchObject({ lost: 1, late: 1, duplicates: 0 });
  });

  it('drain() gives gaps up on the receiver\'s own tick, when no packet comes to do it', () => {
    const { jb, out, send } = harness({ minWaitMs: 40 });
    send(1, 0, 0);
    send(4, 480, 20);
    const wait = jb.waitMs;
    jb.drain(20 + wait - 1);
    expect(out).toEqual([1]);
    jb.drain(20 + wait);
    expect(out).toEqual([1, [320, true], 4]);
    expect(jb.stats.lost).toBe(2);
  });

  it('drops duplicates, whether already released or still held', () => {
    const { jb, out, send } = harness();
    send(1, 0, 0);
    send(1, 0, 1);
    send(3, 320, 20);
    send(3, 320, 21);
    send(2, 160, 22);
    expect(out).toEqual([1, 2, 3]);
    expect(jb.stats.duplicates).toBe(2);
  });

  it('follows the sequence across its wrap at 65535, in order and reordered', () => {
    const { out, send } = harness();
    send(65534, 0, 0, 1);
    send(0, 320, 20, 3);
    send(65535, 160, 25, 2);
    send(1, 480, 40, 4);
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it('takes a later timestamp with consecutive numbers as the sender\'s silence, not loss', () => {
    const { jb, out, send } = harness();
    send(1, 0, 0);
    send(2, 160 + 8000, 1020); // a second of DTX
    expect(out).toEqual([1, [8000, false], 2]);
    expect(jb.stats.lost).toBe(0);
  });

  it('keeps the place of packets that are not audio (RFC 4733 events) in the order, and releases nothing for them', () => {
    const { jb, out, send } = harness();
    send(1, 0, 0);
    jb.push(7, 3, 160, new Uint8Array(0), 0, 0, 25); // an event, ahead of audio packet 2
    send(2, 160, 30);
    send(4, 8000, 60); // audio resumes after the key: its timestamp jumped
    expect(out).toEqual([1, 2, [7680, false], 4]);
    expect(jb.stats).toMatchObject({ lost: 0, released: 4 });
  });

  it('believes a sender that restarted its numbering once two packets agree, and a new SSRC once two of its packets follow each other', () => {
    const { out, send, jb } = harness();
    send(10, 0, 0);
    send(40_000, 160, 20, 99);
    expect(out).toEqual([10]);
    send(40_001, 320, 40, 100);
    expect(out).toEqual([10, 100]);
    send(5, 0, 60, 200, 8); // another source: a stray, dropped
    expect(out).toEqual([10, 100]);
    send(9, 0, 70, 201, 9); // another stray, not following the first
    send(40_002, 480, 80, 101); // the stream goes on
    send(10, 160, 90, 202, 9); // follows the last stray: the source changed, and the stream starts over on it
    expect(out).toEqual([10, 100, 101, 202]);
    expect(jb.stats.strays).toBe(2);
  });

  it('waits longer on a jittery line, never past maxWaitMs', () => {
    const calm = harness();
    for (let i = 0; i < 200; i++) calm.send(i, i * 160, i * 20);
    const rough = harness({ maxWaitMs: 200 });
    const rnd = seededRandom(3);
    for (let i = 0; i < 200; i++) rough.send(i, i * 160, i * 20 + rnd() * 60);
    expect(calm.jb.waitMs).toBe(40);
    expect(rough.jb.waitMs).toBeGreaterThan(60);
    expect(rough.jb.waitMs).toBeLessThanOrEqual(200);
    const wild = harness({ maxWaitMs: 200 });
    for (let i = 0; i < 200; i++) wild.send(i, i * 160, i * 20 + (i % 2) * 900);
    expect(wild.jb.waitMs).toBe(200);
  });

  it('a sender whose clock runs 1% fast or slow for 10 minutes: everything released, nothing lost, nothing piling up', () => {
    for (const skew of [1.01, 0.99]) {
      const { jb, send } = harness();
      for (let i = 0; i < 30_000; i++) send(i, i * 160, (i * 20) / skew);
      expect(jb.stats).toMatchObject({ released: 30_000, lost: 0, late: 0 });
      expect(jb.stats.maxHeld).toBe(0);
    }
  });

  it('under 5% loss, 10% reordering within 60 ms and 2% duplicates: the output is in order, and every packet is released or counted lost', () => {
    const rnd = seededRandom(11);
    const { jb, out, send } = harness({ minWaitMs: 80 });
    const arrivals: { seq: number; ms: number }[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (rnd() < 0.05) continue;
      const ms = i * 20 + (rnd() < 0.1 ? rnd() * 60 : 0);
      arrivals.push({ seq: i, ms });
      if (rnd() < 0.02) arrivals.push({ seq: i, ms: ms + 5 });
    }
    arrivals.sort((a, b) => a.ms - b.ms);
    for (const a of arrivals) send(a.seq, a.seq * 160, a.ms);
    jb.flush();
    const ids = out.filter((x): x is number => typeof x === 'number');
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    const sent = new Set(arrivals.map((a) => a.seq));
    expect(jb.stats.released + jb.stats.late).toBe(sent.size);
    expect(jb.stats.released + jb.stats.lost).toBe(ids[ids.length - 1]! + 1);
    const lostSamples = out.filter((x): x is [number, boolean] => Array.isArray(x) && x[1]).reduce((a, [n]) => a + n, 0);
    expect(lostSamples).toBe(jb.stats.lost * 160);
  });
});
