import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidStateError, MediaError, type Clock } from '../../src/core/index.js';
import { RtpSession, createRtpMediaFactory } from '../../src/media/rtp-session.js';
import { parseRtcp } from '../../src/media/rtcp.js';
import { encodeG711, linearToUlaw, parseRtp, ulawToLinear, writeRtpHeader, type MediaSession, type RtpPacketView } from '../../src/media/index.js';
import { concatPcm } from '../support/wav.js';

const FRAME = 160;

const open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function session(opts: Parameters<typeof RtpSession.open>[0] = {}): Promise<RtpSession> {
  const s = await RtpSession.open(opts);
  open.push(s);
  return s;
}

/**
 * The session connects its socket to the far end on answer(); connect() takes effect a tick
 * later, and packets due meanwhile leave on the pacer's next tick. Tests that step a manual
 * clock from the first packet wait for it.
 */
function connected(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A calls B: A.offer() -> B.accept() -> A.answer(). */
async function call(a: RtpSession, b: RtpSession): Promise<void> {
  a.answer(b.accept(a.offer()));
}

function tone(hz: number, samples: number, amplitude = 12000): Int16Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return pcm;
}

function constant(value: number, samples = FRAME): Int16Array {
  return new Int16Array(samples).fill(value);
}

/** Resolves with copies of the next `n` audio frames (the session reuses its frame array). */
function frames(s: MediaSession, n: number): Promise<Int16Array[]> {
  const got: Int16Array[] = [];
  return new Promise((resolve) => {
    const off = s.on('audio', (pcm) => {
      got.push(pcm.slice());
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

/** Collects every audio frame until one satisfies `last`, and resolves with all of them. */
function framesUntil(s: MediaSession, last: (pcm: Int16Array) => boolean): Promise<Int16Array[]> {
  const got: Int16Array[] = [];
  return new Promise((resolve) => {
    const off = s.on('audio', (pcm) => {
      got.push(pcm.slice());
      if (last(pcm)) {
        off();
        resolve(got);
      }
    });
  });
}

const isConstant = (value: number) => (pcm: Int16Array) => pcm.every((x) => x === value);

function correlation(a: Int16Array, b: Int16Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}


/** A bare UDP socket playing the far end, to see and forge packets byte by byte. */
class RawPeer {
  readonly packets: Buffer[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => {
      this.packets.push(msg);
      this.#waiters = this.#waiters.filter((w) => (this.packets.length >= w.n ? (w.resolve(), false) : true));
    });
  }
  static async open(): Promise<RawPeer> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const peer = new RawPeer(socket);
    open.push(peer);
    return peer;
  }
  get port(): number {
    return this.socket.address().port;
  }
  /** Resolves once `n` packets in all have arrived. */
  received(n: number): Promise<void> {
    if (this.packets.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
  headers(): RtpPacketView[] {
    return this.packets.map((p) => parseRtp(p)!);
  }
  /** An SDP body pointing at this socket. */
  sdp(formats = '0 101', extra: string[] = ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000']): string {
    return [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${formats}`,
      ...extra,
      '',
    ].join('\r\n');
  }
  send(to: RtpSession, packet: Uint8Array): void {
    this.socket.send(packet, to.port, '127.0.0.1');
  }
  close(): void {
    this.socket.close();
  }
}

function audioPacket(seq: number, value: number, pt = 0, ssrc = 0x1234): Buffer {
  const buf = Buffer.alloc(12 + FRAME);
  writeRtpHeader(buf, { marker: false, payloadType: pt, sequence: seq, timestamp: seq * FRAME, ssrc });
  encodeG711('PCMU', constant(value), buf, 12);
  return buf;
}

function dtmfPacket(seq: number, timestamp: number, event: number, end: boolean, duration: number): Buffer {
  const buf = Buffer.alloc(16);
  writeRtpHeader(buf, { marker: false, payloadType: 101, sequence: seq, timestamp, ssrc: 0x1234 });
  buf[12] = event;
  buf[13] = (end ? 0x80 : 0) | 10;
  buf.writeUInt16BE(duration, 14);
  return buf;
}

/** μ-law of a constant decodes to the nearest quantization level, not the value itself. */
const level = (value: number): number => ulawToLinear(linearToUlaw(value));

/** A clock whose time moves only when the test says, and whose one pending timer the test fires. */
class SteppedClock implements Clock {
  t = 1_000;
  pending: (() => void) | null = null;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void): unknown {
    this.pending = fn;
    return 1;
  }
  clearTimeout(): void {
    this.pending = null;
  }
  /** Moves time on by `ms` and fires the pending timer, as a late event loop would. */
  fire(ms: number): void {
    this.t += ms;
    const fn = this.pending;
    this.pending = null;
    fn?.();
  }
}

describe('RtpSession between two real UDP sockets on 127.0.0.1', () => {
  it('play() of 1 s of a 440 Hz tone arrives as 50 frames that correlate with the tone, paced in real time', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    expect([a.codec, b.codec]).toEqual(['PCMU', 'PCMU']);

    const pcm = tone(440, 8000);
    const received = frames(b, 50);
    const started = performance.now();
    expect(await a.play(pcm)).toBe(true);
    const elapsed = performance.now() - started;
    const got = concatPcm(await received);

    expect(correlation(pcm, got)).toBeGreaterThan(0.99);
    // 50 frames, the first at once and each next one 20 ms later.
    expect(elapsed).toBeGreaterThanOrEqual(49 * 20 - 2);
    expect(a.stats).toMatchObject({ packetsSent: 50, packetsReceived: 0 });
    expect(b.stats).toMatchObject({ packetsSent: 0, packetsReceived: 50, packetsDropped: 0, packetsIgnored: 0 });
  });

  it('negotiates PCMA when the offer lists only PCMA, and the audio still correlates', async () => {
    const a = await session({ codecs: ['PCMA'] });
    const b = await session();
    const offer = a.offer();
    expect(offer).toContain(`m=audio ${a.port} RTP/AVP 8 101`);
    a.answer(b.accept(offer));
    expect([a.codec, b.codec]).toEqual(['PCMA', 'PCMA']);

    const pcm = tone(440, 10 * FRAME);
    const received = frames(b, 10);
    expect(await a.play(pcm)).toBe(true);
    expect(correlation(pcm, concatPcm(await received))).toBeGreaterThan(0.99);
  });

  it('sends both directions at once', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    const atA = frames(a, 3);
    const atB = frames(b, 3);
    await Promise.all([a.play(constant(1000, 3 * FRAME)), b.play(constant(-1000, 3 * FRAME))]);
    expect((await atB).every(isConstant(level(1000)))).toBe(true);
    expect((await atA).every(isConstant(level(-1000)))).toBe(true);
  });

  it('flush() resolves the pending play() false and sends nothing more of it', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    const long = a.play(tone(440, 8000 * 5));
    await frames(b, 3);
    a.flush();
    expect(await long).toBe(false);
    const sentAtFlush = a.stats.packetsSent;

    // The next packet A sends is a marker clip; if anything of the tone were still sent, it would come first.
    const after = framesUntil(b, isConstant(level(1000)));
    expect(await a.play(constant(1000))).toBe(true);
    await after;
    expect(a.stats.packetsSent).toBe(sentAtFlush + 1);
    expect(b.stats.packetsReceived).toBe(a.stats.packetsSent);
  });

  it('close() resolves pending plays false, emits close once, and a second close() changes nothing', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    let closes = 0;
    a.on('close', () => closes++);
    const pending = a.play(tone(440, 8000));
    a.close();
    a.close();
    expect(await pending).toBe(false);
    expect(closes).toBe(1);
    expect(a.closed).toBe(true);
    expect(await a.play(constant(1))).toBe(false);
    expect(() => a.offer()).toThrow(InvalidStateError);
    // B is untouched by A closing.
    expect(b.closed).toBe(false);
  });

  it('sendDtmf() arrives as one dtmf event with its digit and duration, though the end packet comes three times', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    const digits: [string, number][] = [];
    b.on('dtmf', (digit, ms) => digits.push([digit, ms]));
    expect(await a.sendDtmf('5', 100)).toBe(true);
    // Audio sent after the event arrives after all of its packets.
    const after = framesUntil(b, isConstant(level(2000)));
    await a.play(constant(2000));
    await after;
    expect(digits).toEqual([['5', 100]]);
  });

  it('on() returns an unsubscribe that stops only that listener', async () => {
    const a = await session();
    const b = await session();
    await call(a, b);
    let first = 0;
    let second = 0;
    const off = b.on('audio', () => first++);
    b.on('audio', () => second++);
    const one = frames(b, 1);
    await a.play(constant(10));
    await one;
    off();
    off();
    const two = frames(b, 1);
    await a.play(constant(10));
    await two;
    expect([first, second]).toEqual([1, 2]);
  });
});

describe('RtpSession sending, seen by a bare UDP socket', () => {
  it('packets carry one SSRC, sequence +1 and timestamp +160, and the marker bit only on the first', async () => {
    const peer = await RawPeer.open();
    const a = await session();
    a.offer();
    a.answer(peer.sdp());
    await a.play(tone(440, 4 * FRAME));
    await peer.received(4);
    const h = peer.headers();
    expect(h.map((p) => p.payloadType)).toEqual([0, 0, 0, 0]);
    expect(h.map((p) => p.marker)).toEqual([true, false, false, false]);
    expect(new Set(h.map((p) => p.ssrc)).size).toBe(1);
    for (let i = 1; i < 4; i++) {
      expect(h[i]!.sequence).toBe((h[0]!.sequence + i) & 0xffff);
      expect(h[i]!.timestamp).toBe((h[0]!.timestamp + i * FRAME) >>> 0);
    }
    expect(h.every((p) => p.payloadLength === FRAME)).toBe(true);
  });

  it('a clip that is not a multiple of 20 ms is padded with silence in its last frame', async () => {
    const peer = await RawPeer.open();
    const a = await session();
    a.offer();
    a.answer(peer.sdp());
    await a.play(constant(3000, FRAME + 40));
    await peer.received(2);
    const last = peer.packets[1]!;
    expect([...last.subarray(12, 12 + 40)].every((b) => b === linearToUlaw(3000))).toBe(true);
    expect([...last.subarray(12 + 40)].every((b) => b === linearToUlaw(0))).toBe(true);
  });

  it('with a manual clock, sends one frame per 20 ms of clock time and resolves play() with the last', async () => {
    const clock = new SteppedClock();
    const peer = await RawPeer.open();
    const a = await session({ clock });
    a.offer();
    a.answer(peer.sdp());
    await connected();
    let done: boolean | null = null;
    void a.play(tone(440, 6 * FRAME)).then((ok) => (done = ok));
    expect(a.stats.packetsSent).toBe(1);
    clock.fire(20);
    expect(a.stats.packetsSent).toBe(2);
    // A timer 30 ms late catches up: the two frames now due leave together, and the next keeps its slot.
    clock.fire(50);
    expect(a.stats.packetsSent).toBe(4);
    clock.fire(10);
    expect(a.stats.packetsSent).toBe(5);
    expect(done).toBeNull();
    clock.fire(20);
    expect(a.stats.packetsSent).toBe(6);
    await Promise.resolve();
    expect(done).toBe(true);
    expect(clock.pending).toBeNull();
  });

  it('with a manual clock, a stall longer than 100 ms restarts pacing instead of bursting the backlog', async () => {
    const clock = new SteppedClock();
    const peer = await RawPeer.open();
    const a = await session({ clock });
    a.offer();
    a.answer(peer.sdp());
    await connected();
    void a.play(tone(440, 50 * FRAME));
    clock.fire(500);
    expect(a.stats.packetsSent).toBe(2);
    clock.fire(20);
    expect(a.stats.packetsSent).toBe(3);
  });

  it('after silence, the timestamp jumps by the silence and the marker bit is set again (RFC 3550 §5.1, RFC 3551 §4.1)', async () => {
    const clock = new SteppedClock();
    const peer = await RawPeer.open();
    const a = await session({ clock });
    a.offer();
    a.answer(peer.sdp());
    await connected();
    await a.play(constant(100));
    clock.t += 1000;
    await a.play(constant(100));
    await peer.received(2);
    const [first, second] = peer.headers();
    expect(second!.marker).toBe(true);
    expect(second!.sequence).toBe((first!.sequence + 1) & 0xffff);
    expect(second!.timestamp).toBe((first!.timestamp + 1000 * 8) >>> 0);
  });

  it('sendDtmf() sends RFC 4733 packets under one timestamp, marker first, the E-bit end packet three times', async () => {
    const peer = await RawPeer.open();
    const a = await session();
    a.offer();
    a.answer(peer.sdp());
    await a.sendDtmf('#', 60);
    await peer.received(5);
    const h = peer.headers();
    expect(h.map((p) => p.payloadType)).toEqual([101, 101, 101, 101, 101]);
    expect(h.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    expect(new Set(h.map((p) => p.timestamp)).size).toBe(1);
    const payloads = peer.packets.map((p) => [p[12], p[13]! & 0x80 ? 'E' : '-', p.readUInt16BE(14)]);
    expect(payloads).toEqual([
      [11, '-', 160],
      [11, '-', 320],
      [11, 'E', 480],
      [11, 'E', 480],
      [11, 'E', 480],
    ]);
  });

  it('sendDtmf() rejects with MediaError SDP_INVALID when the far end did not list telephone-event', async () => {
    const peer = await RawPeer.open();
    const a = await session();
    a.offer();
    a.answer(peer.sdp('0', ['a=rtpmap:0 PCMU/8000']));
    await expect(a.sendDtmf('1')).rejects.toMatchObject({ code: 'SDP_INVALID' });
    await expect(a.sendDtmf('x')).rejects.toThrow(RangeError);
    expect(a.stats.packetsSent).toBe(0);
  });

  it('play() before answer() rejects with InvalidStateError, and answer() before offer() throws it', async () => {
    const a = await session();
    await expect(a.play(constant(1))).rejects.toThrow(InvalidStateError);
    expect(() => a.answer('v=0\r\n')).toThrow(InvalidStateError);
  });

  it('answer() of malformed SDP throws MediaError SDP_INVALID and leaves the session unnegotiated', async () => {
    const a = await session();
    a.offer();
    expect(() => a.answer('v=0\r\ns=-\r\n')).toThrow(MediaError);
    expect(a.codec).toBeNull();
  });
});

describe('a line that loses, reorders, duplicates and stops, over real UDP (issue 9)', () => {
  it('puts reordered packets back in order, gives a lost one to the listeners as silence, and counts all of it', async () => {
    const peer = await RawPeer.open();
    const b = await session();
    b.accept(peer.sdp());
    const got = framesUntil(b, isConstant(level(600)));
    // 4 never comes; 3 comes after 2 would have; 2 twice
    for (const seq of [1, 3, 2, 2, 5, 6]) peer.send(b, audioPacket(seq, seq * 100));
    expect((await got).map((f) => f[0])).toEqual([level(100), level(200), level(300), 0, level(500), level(600)]);
    expect(b.stats).toMatchObject({ packetsReceived: 5, packetsLost: 1, packetsReordered: 3, packetsDropped: 1 });
  });

  it('tells "timeout" once when a far end that sends stops sending, and not while it is on hold', async () => {
    const peer = await RawPeer.open();
    const b = await session({ timeoutMs: 600 });
    b.accept(peer.sdp());
    const timeouts: number[] = [];
    b.on('timeout', (ms) => timeouts.push(ms));
    peer.send(b, audioPacket(1, 100));
    await new Promise((r) => setTimeout(r, 400));
    expect(timeouts).toEqual([]);
    await new Promise((r) => setTimeout(r, 800));
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toBeGreaterThanOrEqual(600);
    // a callee that put us on hold (sendonly from its side means it still sends; inactive: nothing)
    const held = await session({ timeoutMs: 600 });
    held.accept(peer.sdp('0', ['a=rtpmap:0 PCMU/8000', 'a=inactive']));
    const heldTimeouts: number[] = [];
    held.on('timeout', (ms) => heldTimeouts.push(ms));
    await new Promise((r) => setTimeout(r, 1000));
    expect(heldTimeouts).toEqual([]);
  });
});

describe('pause() and resume(): the robot holds its prompt while the callee talks over it (issue 9)', () => {
  it('sends nothing while paused, then the rest of the prompt from where it stopped; play() resolves true at the end', async () => {
    const a = await session();
    const peer = await RawPeer.open();
    a.offer();
    a.answer(peer.sdp());
    const done = a.play(constant(1000, 8000)); // 1 s: 50 packets
    await new Promise((r) => setTimeout(r, 200));
    a.pause();
    const atPause = a.stats.packetsSent; // counted as they leave: packets in flight do not blur it
    await new Promise((r) => setTimeout(r, 300));
    expect(a.stats.packetsSent).toBe(atPause);
    const held = atPause;
    a.resume();
    expect(await done).toBe(true);
    await peer.received(50);
    expect(peer.packets.length).toBe(50);
    expect(held).toBeLessThan(20);
    // the timestamps after the pause jumped by its length (the media clock ran on)
    const h = peer.headers();
    const gap = (h[held]!.timestamp - h[held - 1]!.timestamp) >>> 0;
    expect(gap).toBeGreaterThanOrEqual(8 * 250);
  });
});

describe('RTCP between two sessions, and to a far end that loses packets (issue 9)', () => {
  it('each side learns the round-trip time and the other side\'s loss and jitter from the other\'s reports', async () => {
    const a = await session({ rtcpIntervalMs: 300 });
    const b = await session({ rtcpIntervalMs: 300 });
    await call(a, b);
    await Promise.all([a.play(tone(440, 8000)), b.play(tone(660, 8000))]);
    await new Promise((r) => setTimeout(r, 700));
    for (const s of [a, b]) {
      expect(s.stats.rtcpReportsSent).toBeGreaterThanOrEqual(2);
      expect(s.stats.rtcpReportsReceived).toBeGreaterThanOrEqual(2);
      expect(s.stats.rttMs).not.toBeNull();
      expect(s.stats.rttMs!).toBeLessThan(50); // loopback
      expect(s.stats).toMatchObject({ farEndLostPercent: 0 });
      expect(s.stats.farEndJitterMs).not.toBeNull();
    }
  });

  it('reports a far end\'s loss to it: an RR on its RTP port + 1 with the lost count and our CNAME, and a BYE at the end', async () => {
    const peer = await RawPeer.open();
    const rtcp = createSocket('udp4');
    const bound = await new Promise<boolean>((ok) => {
      rtcp.once('error', () => ok(false));
      rtcp.bind(peer.port + 1, '127.0.0.1', () => ok(true));
    });
    if (!bound) return; // the port above the peer's was taken by another test's socket: nothing to listen on
    const reports: Buffer[] = [];
    rtcp.on('message', (m) => reports.push(m));
    const b = await session({ rtcpIntervalMs: 200 });
    b.accept(peer.sdp());
    for (let seq = 1; seq <= 30; seq++) if (seq % 5 !== 0) peer.send(b, audioPacket(seq, 100)); // 6 of 30 lost
    await new Promise((r) => setTimeout(r, 500));
    b.close();
    await new Promise((r) => setTimeout(r, 100));
    rtcp.close();
    const parsed = reports.map((m) => parseRtcp(m)!);
    const last = parsed[parsed.length - 1]!;
    expect(last.map((p) => p.type)).toEqual(['rr', 'sdes', 'bye']);
    const rr = last[0] as { reports: { ssrc: number; cumulativeLost: number; highestSeq: number }[] };
    expect(rr.reports[0]).toMatchObject({ ssrc: 0x1234, cumulativeLost: 5, highestSeq: 29 }); // 30 was lost too, but never seen: 29 is the highest
    expect((last[1] as { cname: string }).cname).toMatch(/^zvonar@/);
    expect(b.stats.packetsLost).toBe(5);
  });
});

describe('RtpSession receiving forged packets from a bare UDP socket', () => {
  async function callee(): Promise<{ peer: RawPeer; b: RtpSession }> {
    const peer = await RawPeer.open();
    const b = await session();
    b.accept(peer.sdp());
    return { peer, b };
  }

  it('drops duplicates and late packets and ignores payload types not negotiated', async () => {
    const { peer, b } = await callee();
    const got = framesUntil(b, isConstant(level(1300)));
    for (const [seq, value, pt] of [
      [10, 1000, 0],
      [11, 1100, 0],
      [11, 1100, 0],
      [9, 900, 0],
      [12, 1200, 8],
      [12, 1200, 0],
      [13, 1300, 0],
    ] as const) {
      peer.send(b, audioPacket(seq, value, pt));
    }
    expect((await got).map((f) => f[0])).toEqual([1000, 1100, 1200, 1300].map(level));
    expect(b.stats).toMatchObject({ packetsReceived: 4, packetsDropped: 2, packetsIgnored: 1 });
  });

  it('accepts sequence numbers across the 16-bit wrap and drops one from before it', async () => {
    const { peer, b } = await callee();
    const got = framesUntil(b, isConstant(level(400)));
    for (const [seq, value] of [
      [65534, 100],
      [65535, 200],
      [0, 300],
      [65535, 250],
      [1, 400],
    ] as const) {
      peer.send(b, audioPacket(seq, value));
    }
    expect((await got).map((f) => f[0])).toEqual([100, 200, 300, 400].map(level));
  });

  it('after a large sequence jump, believes the new numbering once two packets agree (RFC 3550 A.1)', async () => {
    const { peer, b } = await callee();
    const got = framesUntil(b, isConstant(level(700)));
    for (const [seq, value] of [
      [100, 100],
      [20000, 500],
      [20001, 600],
      [20002, 700],
    ] as const) {
      peer.send(b, audioPacket(seq, value));
    }
    expect((await got).map((f) => f[0])).toEqual([100, 600, 700].map(level));
  });

  it('a packet of another SSRC mid-call is dropped and counted; two in sequence are a new source, and its stream starts over', async () => {
    const { peer, b } = await callee();
    const got = framesUntil(b, isConstant(level(400)));
    peer.send(b, audioPacket(500, 100, 0, 1));
    peer.send(b, audioPacket(7, 200, 0, 2)); // a stray
    peer.send(b, audioPacket(501, 300, 0, 1)); // the call's own goes on
    peer.send(b, audioPacket(40, 999, 0, 3)); // the new source's first: a stray until
    peer.send(b, audioPacket(41, 400, 0, 3)); // ... its next follows it
    expect((await got).map((f) => f[0])).toEqual([100, 300, 400].map(level));
    expect(b.stats.packetsDropped).toBe(2);
  });

  it('30 ms packets are re-cut into 160-sample frames', async () => {
    const { peer, b } = await callee();
    const got = frames(b, 3);
    for (let i = 0; i < 2; i++) {
      const buf = Buffer.alloc(12 + 240);
      writeRtpHeader(buf, { marker: false, payloadType: 0, sequence: i, timestamp: i * 240, ssrc: 9 });
      encodeG711('PCMU', constant(1000 * (i + 1), 240), buf, 12);
      peer.send(b, buf);
    }
    const f = await got;
    expect(f.map((x) => x.length)).toEqual([160, 160, 160]);
    expect(f[1]!.slice(0, 80).every((x) => x === level(1000))).toBe(true);
    expect(f[1]!.slice(80).every((x) => x === level(2000))).toBe(true);
  });

  it('counts a DTMF event once per timestamp, and reports one whose end packets were all lost', async () => {
    const { peer, b } = await callee();
    const digits: [string, number][] = [];
    b.on('dtmf', (digit, ms) => digits.push([digit, ms]));
    const packets = [
      dtmfPacket(1, 8000, 5, false, 160),
      dtmfPacket(2, 8000, 5, false, 320),
      dtmfPacket(3, 8000, 5, true, 800),
      dtmfPacket(4, 8000, 5, true, 800),
      dtmfPacket(5, 8000, 5, true, 800),
      // '7' loses every end packet; '9' starts under a new timestamp.
      dtmfPacket(6, 16000, 7, false, 480),
      dtmfPacket(7, 24000, 9, true, 400),
      dtmfPacket(8, 24000, 9, true, 400),
    ];
    for (const p of packets) peer.send(b, p);
    const after = framesUntil(b, isConstant(level(42)));
    peer.send(b, audioPacket(9, 42));
    await after;
    expect(digits).toEqual([
      ['5', 100],
      ['7', 60],
      ['9', 50],
    ]);
  });
});

describe('createRtpMediaFactory()', () => {
  // A range of three even ports somewhere high; other processes rarely sit there.
  const base = 40000 + 2 * Math.floor(Math.random() * 9000);

  it('allocate() binds even ports of the range, and does not hand out a just-freed port next', async () => {
    const factory = createRtpMediaFactory({ portMin: base, portMax: base + 5 });
    const first = (await factory.allocate()) as RtpSession;
    open.push(first);
    first.close();
    const second = (await factory.allocate()) as RtpSession;
    open.push(second);
    for (const s of [first, second]) {
      expect(s.port % 2).toBe(0);
      expect(s.port).toBeGreaterThanOrEqual(base);
      expect(s.port).toBeLessThanOrEqual(base + 4);
    }
    expect(second.port).not.toBe(first.port);
  });

  it('allocate() rejects with MediaError MEDIA_UNAVAILABLE once every port of the range is taken', async () => {
    const factory = createRtpMediaFactory({ portMin: base + 1, portMax: base + 4 });
    let error: unknown;
    for (let i = 0; i < 3 && error === undefined; i++) {
      try {
        open.push(await factory.allocate());
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'MEDIA_UNAVAILABLE', permanent: false });
    expect((error as MediaError).message).toMatch(new RegExp(`no free RTP port in ${base + 1}-${base + 4}`));
  });

  it('allocate() on an address this machine does not have rejects with MEDIA_UNAVAILABLE and a hint', async () => {
    const factory = createRtpMediaFactory({ host: '192.0.2.1' });
    await expect(factory.allocate()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE', hint: expect.stringMatching(/media\.host/) });
  });

  it('creating a factory with an empty range throws MEDIA_UNAVAILABLE', () => {
    expect(() => createRtpMediaFactory({ portMin: 5001, portMax: 5001 })).toThrow(/holds no even port/);
  });
});

describe('whose RTP is the call\'s: source locking', () => {
  /** Resolves once `cond` holds, checking as packets arrive (a poll of the socket's own pace, not a sleep). */
  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
    expect(cond()).toBe(true);
  }

  it('by default, audio and DTMF from any address but the one the answer names are dropped (by the kernel: the socket is connected to that address); the callee is still heard', async () => {
    const a = await session();
    const callee = await RawPeer.open();
    const stranger = await RawPeer.open();
    a.offer();
    a.answer(callee.sdp());
    const digits: string[] = [];
    a.on('dtmf', (d) => digits.push(d));
    const heard: Int16Array[] = [];
    a.on('audio', (pcm) => heard.push(pcm.slice()));
    await connected();
    for (let i = 0; i < 5; i++) stranger.send(a, audioPacket(100 + i, 5000));
    for (let i = 0; i < 3; i++) stranger.send(a, dtmfPacket(200 + i, 8000, 1, true, 800));
    callee.send(a, audioPacket(1, 1000));
    await until(() => heard.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(heard.map((p) => p[0])).toEqual([level(1000)]);
    expect(digits).toEqual([]);
    // never reached the process: nothing to count (the receiver counts strangers in 'latch' mode, below)
    expect(a.stats).toMatchObject({ packetsForeign: 0, packetsReceived: 1, packetsIgnored: 0 });
  });

  it('with sourceLock latch (a callee behind NAT), the first source heard is the call\'s, and no other after it', async () => {
    const a = await session({ sourceLock: 'latch' });
    const named = await RawPeer.open(); // the address the SDP names, which never sends
    const natted = await RawPeer.open(); // where the callee's packets really come from
    const stranger = await RawPeer.open();
    a.offer();
    a.answer(named.sdp());
    const heard: Int16Array[] = [];
    a.on('audio', (pcm) => heard.push(pcm.slice()));
    natted.send(a, audioPacket(1, 1000));
    await until(() => heard.length === 1);
    stranger.send(a, audioPacket(2, 5000));
    natted.send(a, audioPacket(2, 2000)); // the callee's own next packet: the stranger's number 2 took no place
    await until(() => heard.length === 2 && a.stats.packetsForeign === 1);
    expect(heard.map((p) => p[0])).toEqual([level(1000), level(2000)]);
  });

  it('a factory hands out the even ports of its range in no fixed order', async () => {
    const lo = 30000 + 2 * Math.floor(Math.random() * 4000);
    const factory = createRtpMediaFactory({ portMin: lo, portMax: lo + 199 });
    const ports: number[] = [];
    for (let i = 0; i < 8; i++) {
      const s = await factory.allocate();
      open.push(s);
      ports.push((s as RtpSession).port);
    }
    expect(new Set(ports).size).toBe(8);
    expect(ports.every((p) => p % 2 === 0 && p >= lo && p <= lo + 198)).toBe(true);
    // in order they would step by 2: random ones almost never do, 7 times running
    expect(ports.slice(1).every((p, i) => p === ports[i]! + 2)).toBe(false);
  });
});

describe('the direction the far end\'s SDP gives', () => {
  for (const direction of ['sendonly', 'inactive'] as const) {
    it(`sends nothing to a far end that is ${direction} (on hold), while playback keeps its pace`, async () => {
      const a = await session();
      const peer = await RawPeer.open();
      a.offer();
      a.answer(peer.sdp('0', ['a=rtpmap:0 PCMU/8000', `a=${direction}`]));
      const t0 = performance.now();
      expect(await a.play(constant(1000, 5 * FRAME))).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(60); // five 20 ms frames, paced
      expect(a.stats).toMatchObject({ packetsSent: 0, packetsWithheld: 5 });
      expect(peer.packets).toEqual([]);
    });
  }

  it('sends to a far end that is recvonly', async () => {
    const a = await session();
    const peer = await RawPeer.open();
    a.offer();
    a.answer(peer.sdp('0', ['a=rtpmap:0 PCMU/8000', 'a=recvonly']));
    await a.play(constant(1000, 3 * FRAME));
    await peer.received(3);
    expect(a.stats).toMatchObject({ packetsSent: 3, packetsWithheld: 0 });
  });
});

describe('the packet length the far end\'s SDP asks for', () => {
  for (const [lines, ms] of [[['a=ptime:30'], 30], [['a=ptime:20', 'a=maxptime:10'], 10], [[], 20]] as const) {
    it(`${lines.join(' ') || 'no a=ptime'}: sends ${ms} ms packets, timestamps stepping by ${ms * 8}`, async () => {
      const a = await session();
      const peer = await RawPeer.open();
      a.offer();
      a.answer(peer.sdp('0', ['a=rtpmap:0 PCMU/8000', ...lines]));
      expect(await a.play(constant(1000, 120 * 8))).toBe(true); // 120 ms
      await peer.received(120 / ms);
      const got = peer.headers();
      expect(got.map((h) => h.payloadLength)).toEqual(Array(120 / ms).fill(ms * 8));
      expect(got.slice(1).map((h, i) => (h.timestamp - got[i]!.timestamp) >>> 0)).toEqual(Array(120 / ms - 1).fill(ms * 8));
    });
  }
});
