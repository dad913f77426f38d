/**
 * The native RTP I/O thread (src/native/rtp_io.c through src/media/native-io.ts) over real UDP on
 * 127.0.0.1: datagrams both ways with their sources, packets sent at their due time by its own
 * clock, taken back before they leave, and an RtpSender on it that pauses, resumes and flushes
 * without a hole or a repeat in its stream. Skipped where the addon is not built (not Linux, or
 * npm ci ran without a C compiler): node:dgram carries the media there and the other tests cover it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/core/index.js';
import { nativeIo, threadTraffic, AUDIO, TALKSPURT, type NativeSocket } from '../../src/media/native-io.js';
import { RtpPortAllocator } from '../../src/media/port-allocator.js';
import { monotonicClock, RtpSender } from '../../src/media/rtp-sender.js';
import { createRtpPacketView, parseRtp, writeRtpHeader } from '../../src/media/index.js';

const io = nativeIo();
const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function nativeSocket(): NativeSocket {
  const s = io!.open('127.0.0.1', 0);
  open.push(s);
  return s;
}

async function dgramSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push(s);
  return s;
}

/** Collects what `s` receives, with when it came. */
function collect(s: { on(e: 'message', fn: (m: Buffer, r: RemoteInfo) => void): unknown }): { msg: Buffer; from: RemoteInfo; at: number }[] {
  const got: { msg: Buffer; from: RemoteInfo; at: number }[] = [];
  s.on('message', (msg: Buffer, from: RemoteInfo) => got.push({ msg: Buffer.from(msg), from: { ...from }, at: performance.now() }));
  return got;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

/** An RtpSender on a native socket, sending PCMU to a node:dgram far end that collects what comes. */
async function senderToFarEnd(): Promise<{ sender: RtpSender; got: ReturnType<typeof collect> }> {
  const far = await dgramSocket();
  const sender = new RtpSender(nativeSocket(), monotonicClock);
  sender.configure({ address: '127.0.0.1', port: far.address().port, codec: 'PCMU', payloadType: 0, direction: 'sendrecv', dtmfPayloadType: null, ptimeMs: null, maxptimeMs: null, mediaIndex: 0, mLines: [] });
  return { sender, got: collect(far) };
}

function rtp(seq: number, ts: number, marker = false): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  writeRtpHeader(b, { marker, payloadType: 0, sequence: seq, timestamp: ts, ssrc: 0x1234 });
  return b;
}

describe.skipIf(io === null)('native RTP I/O', () => {
  it('carries datagrams both ways with node:dgram peers, each with its source address and port', async () => {
    const n = nativeSocket();
    const d = await dgramSocket();
    const atNative = collect(n);
    const atDgram = collect(d);
    for (let i = 0; i < 20; i++) d.send(Buffer.from(`to native ${i}`), n.address().port, '127.0.0.1');
    for (let i = 0; i < 20; i++) n.send(Buffer.from(`to dgram ${i}`), 0, `to dgram ${i}`.length, d.address().port, '127.0.0.1');
    await until(() => atNative.length === 20 && atDgram.length === 20);
    expect(atNative.map((g) => g.msg.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `to native ${i}`));
    expect(atNative[0]!.from).toMatchObject({ address: '127.0.0.1', port: d.address().port, family: 'IPv4' });
    expect(atDgram.map((g) => g.msg.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `to dgram ${i}`));
    expect(atDgram[0]!.from.port).toBe(n.address().port);
  });

  it('IPv6: a socket on ::1 hears a node:dgram peer, with its address as dgram writes it', async () => {
    const n = io!.open('::1', 0);
    open.push(n);
    const d = createSocket('udp6');
    await new Promise<void>((r) => d.bind(0, '::1', r));
    open.push(d);
    const got = collect(n);
    d.send(Buffer.from('v6'), n.address().port, '::1');
    await until(() => got.length === 1);
    expect(got[0]!.from).toMatchObject({ address: '::1', family: 'IPv6', port: d.address().port });
    expect(n.address().family).toBe('IPv6');
  });

  it('connect() sends without an address and drops datagrams from anyone else; close() stops reception', async () => {
    const n = nativeSocket();
    const peer = await dgramSocket();
    const stranger = await dgramSocket();
    const got = collect(n);
    const atPeer = collect(peer);
    n.connect(peer.address().port, '127.0.0.1', () => {});
    await sleep(5);
    n.send(Buffer.from('hello'), 0, 5);
    stranger.send(Buffer.from('junk'), n.address().port, '127.0.0.1');
    peer.send(Buffer.from('yes'), n.address().port, '127.0.0.1');
    await until(() => got.length === 1 && atPeer.length === 1);
    await sleep(20);
    expect(got.map((g) => g.msg.toString())).toEqual(['yes']);
    expect(atPeer[0]!.msg.toString()).toBe('hello');
    n.close();
    peer.send(Buffer.from('after close'), n.address().port, '127.0.0.1');
    await sleep(20);
    expect(got).toHaveLength(1);
  });

  it('sends each packet at its due time from its own clock, though JavaScript is busy then: 25 packets 20 ms apart arrive 20 ms apart', async () => {
    const n = nativeSocket();
    const d = await dgramSocket();
    const got = collect(d);
    const t0 = performance.now() + 30;
    for (let i = 0; i < 25; i++) n.sendAt(rtp(i, i * 160, i === 0), 172, t0 + i * 20, AUDIO | (i === 0 ? TALKSPURT : 0), d.address().port, '127.0.0.1');
    // the JavaScript thread is held for 200 ms: the I/O thread sends on regardless
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil);
    await until(() => got.length === 25);
    // received by a JavaScript thread that was itself blocked: the packets sent during the block
    // arrive together, so their times at the I/O thread are what counts; after it, the spacing shows
    const after = got.filter((g) => g.at > busyUntil + 5);
    for (let i = 1; i < after.length; i++) expect(Math.abs(after[i]!.at - after[i - 1]!.at - 20)).toBeLessThan(8);
    const stats = io!.stats(false);
    expect(stats.sent).toBeGreaterThanOrEqual(25);
    // the spacing at the I/O thread: every packet of the 24 spacings within 2 ms of 20
    let within = 0;
    for (let b = 0; b < 20; b++) within += stats.hist[b]!;
    expect(within).toBeGreaterThanOrEqual(24);
    expect(got.map((g) => g.msg.readUInt16BE(2))).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('a flood of 20,000 datagrams is read a bounded batch at a time and leaves the socket working', async () => {
    const n = nativeSocket();
    const flood = await dgramSocket();
    let count = 0;
    n.on('message', () => count++);
    const junk = Buffer.alloc(172, 0x55);
    for (let i = 0; i < 20_000; i++) flood.send(junk, n.address().port, '127.0.0.1');
    await sleep(300);
    // what the kernel kept of the burst came in; the rest it dropped, not the process
    expect(count).toBeGreaterThan(100);
    const got = collect(n);
    flood.send(Buffer.from('after the flood'), n.address().port, '127.0.0.1');
    await until(() => got.some((g) => g.msg.toString() === 'after the flood'));
  });

  it('cancelQueued() takes back what has not left, and says how many', async () => {
    const n = nativeSocket();
    const d = await dgramSocket();
    const got = collect(d);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) n.sendAt(rtp(i, i * 160), 172, t0 + 40 + i * 20, AUDIO, d.address().port, '127.0.0.1');
    await sleep(70); // two or three have left
    const back = n.cancelQueued();
    await sleep(250);
    expect(back).toBeGreaterThanOrEqual(6);
    expect(got.length + back).toBe(10);
    expect(n.cancelQueued()).toBe(0);
  });

  it('an RtpSender on it hands packets over ahead, and pause/resume and flush leave no hole and no repeat in the stream', async () => {
    const { sender, got } = await senderToFarEnd();
    const prompt = new Int16Array(160 * 40).fill(3000);
    const done = sender.play(prompt);
    await sleep(230);
    sender.pause();
    const atPause = got.length;
    await sleep(150);
    // nothing left while paused, though packets had been handed over ahead
    expect(got.length - atPause).toBeLessThanOrEqual(1);
    sender.resume();
    expect(await done).toBe(true);
    // resolved once its last packet has left: it is at the far end by now, or within a few ms
    await sleep(15);
    expect(got).toHaveLength(40);
    const view = createRtpPacketView();
    const heads = got.map((g) => ({ ...parseRtp(g.msg, g.msg.length, view)! }));
    for (let i = 1; i < heads.length; i++) expect((heads[i]!.sequence - heads[i - 1]!.sequence) & 0xffff).toBe(1);
    // the timestamps run on through the pause: one jump of about its length, 20 ms steps elsewhere
    const steps = heads.slice(1).map((h, i) => ((h.timestamp - heads[i]!.timestamp) >>> 0) / 8);
    expect(steps.filter((s) => s !== 20)).toHaveLength(1);
    expect(steps.find((s) => s !== 20)).toBeGreaterThan(100);
    expect(heads.filter((h) => h.marker)).toHaveLength(2); // the first packet, and the first after the pause

    // flush: the rest of a prompt is dropped at once, and what was handed over ahead with it
    const before = got.length;
    const second = sender.play(prompt);
    await sleep(100);
    sender.flush();
    expect(await second).toBe(false);
    const atFlush = got.length;
    await sleep(120);
    expect(got.length - atFlush).toBeLessThanOrEqual(1);
    const after = got.slice(before).map((g) => parseRtp(g.msg, g.msg.length, view)!.sequence);
    for (let i = 1; i < after.length; i++) expect((after[i]! - after[i - 1]!) & 0xffff).toBe(1);
    sender.close();
  });

  it('threadTraffic() counts what a sender on it sent, with the spacing measured as packets left; reset starts a new histogram', async () => {
    const sent0 = threadTraffic(true).native!.sent; // a running count: readers take differences
    const { sender, got } = await senderToFarEnd();
    expect(await sender.play(new Int16Array(160 * 10).fill(3000))).toBe(true);
    await until(() => got.length === 10);
    const t = threadTraffic(true);
    expect(t.native!.sent - sent0).toBe(10);
    expect(t.native?.rxDropped).toBe(0);
    expect(['realtime', 'high', 'normal']).toContain(t.native?.priority);
    // nine spacings of one talkspurt, measured by the I/O thread: on time within a few ms here
    expect(t.sendJitterP99Ms).toBeGreaterThan(0);
    expect(t.sendJitterP99Ms).toBeLessThan(15);
    const again = threadTraffic(false);
    expect(again.native!.sent - sent0).toBe(10);
    expect(again.sendJitterP99Ms).toBeNaN();
    sender.close();
  });

  it('a sender closed while its prompt\'s last packets wait their time: play() resolves false, and they never leave', async () => {
    const { sender, got } = await senderToFarEnd();
    const done = sender.play(new Int16Array(160 * 10).fill(3000)); // 200 ms: its last packet is handed over at 140 ms, due at 180
    await sleep(155);
    sender.close();
    expect(await done).toBe(false);
    await sleep(60);
    expect(got.length).toBeLessThan(10);
  });

  it('an address that is not this machine\'s is refused by the allocator as permanent, naming it', async () => {
    const allocator = new RtpPortAllocator({ portMin: 41000, portMax: 41010 });
    const err = await allocator.bind('192.0.2.1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).permanent).toBe(true);
    expect((err as MediaError).message).toMatch(/192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\)/);
    const s = await allocator.bind('127.0.0.1');
    open.push(s);
    expect(s.address().port).toBeGreaterThanOrEqual(41000);
    expect(s.address().port % 2).toBe(0);
    // a port taken is skipped: the allocator binds another
    const t = await allocator.bind('127.0.0.1');
    open.push(t);
    expect(t.address().port).not.toBe(s.address().port);
  });

  it('sends to a closed port do not end the process or the socket: once the far end is back, its datagrams come in', async () => {
    const n = nativeSocket();
    const gone = await dgramSocket();
    const port = gone.address().port;
    gone.close();
    open.splice(open.indexOf(gone), 1);
    const errors: Error[] = [];
    n.on('error', (e: Error) => errors.push(e));
    n.connect(port, '127.0.0.1', () => {});
    await sleep(5);
    for (let i = 0; i < 5; i++) n.send(Buffer.from('x'), 0, 1);
    await sleep(20);
    // the far end comes back on its port (a phone that restarted its media)
    const back = createSocket('udp4');
    await new Promise<void>((r) => back.bind(port, '127.0.0.1', r));
    open.push(back);
    const got = collect(n);
    back.send(Buffer.from('still here'), n.address().port, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got[0]!.msg.toString()).toBe('still here');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as NodeJS.ErrnoException).code === 'ECONNREFUSED')).toBe(true);
  });
});

