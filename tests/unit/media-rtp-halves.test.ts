import type { RemoteInfo, Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { encodeG711, parseRtp, ulawToLinear, linearToUlaw, writeRtpHeader, type RemoteMedia } from '../../src/media/index.js';
import { RtpReceiver, type ReceiveListeners } from '../../src/media/rtp-receiver.js';
import { RtpSender } from '../../src/media/rtp-sender.js';

/**
 * The session's two halves on their own, without a socket: the sender writes into a recording
 * stand-in, and the receiver is handed datagrams directly.
 */
function remote(over: Partial<RemoteMedia> = {}): RemoteMedia {
  return {
    address: '192.0.2.7', port: 40000, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101,
    direction: 'sendrecv', ptimeMs: null, maxptimeMs: null, mediaIndex: 0, mLines: [], ...over,
  };
}

function recordingSocket(): { socket: Socket; sent: { bytes: Buffer; port: number; address: string }[] } {
  const sent: { bytes: Buffer; port: number; address: string }[] = [];
  const socket = {
    send: (buf: Buffer, offset: number, length: number, port: number, address: string) => {
      sent.push({ bytes: Buffer.from(buf.subarray(offset, offset + length)), port, address });
    },
  } as unknown as Socket;
  return { socket, sent };
}

const from = (address: string, port: number): RemoteInfo => ({ address, port, family: 'IPv4', size: 0 });

function datagram(seq: number, payloadType: number, payload: Uint8Array, ssrc = 77): Buffer {
  const buf = Buffer.alloc(12 + payload.length);
  writeRtpHeader(buf, { marker: false, payloadType, sequence: seq, timestamp: seq * 80, ssrc });
  buf.set(payload, 12);
  return buf;
}

describe('RtpSender', () => {
  it('sends 60 ms of audio as three 20 ms packets to the SDP address: one sequence, timestamps 160 apart, the marker on the first only', async () => {
    const clock = new ManualClock();
    const { socket, sent } = recordingSocket();
    const tx = new RtpSender(socket, clock);
    tx.configure(remote());
    const done = tx.play(new Int16Array(480).fill(1000));
    clock.advance(40);
    await expect(done).resolves.toBe(true);
    const ps = sent.map((s) => parseRtp(s.bytes)!);
    expect(sent.map((s) => [s.address, s.port, s.bytes.length])).toEqual([['192.0.2.7', 40000, 172], ['192.0.2.7', 40000, 172], ['192.0.2.7', 40000, 172]]);
    expect(ps.map((p) => p.marker)).toEqual([true, false, false]);
    expect(ps.map((p) => (p.sequence - ps[0]!.sequence) & 0xffff)).toEqual([0, 1, 2]);
    expect(ps.map((p) => (p.timestamp - ps[0]!.timestamp) >>> 0)).toEqual([0, 160, 320]);
    expect(new Set(ps.map((p) => p.ssrc)).size).toBe(1);
    expect(tx.stats).toMatchObject({ packetsSent: 3, packetsWithheld: 0 });
  });

  it('at the far end\'s a=ptime:30 sends 240-sample packets, and to a sendonly far end sends nothing yet keeps the pace', async () => {
    const clock = new ManualClock();
    const { socket, sent } = recordingSocket();
    const tx = new RtpSender(socket, clock);
    tx.configure(remote({ ptimeMs: 30 }));
    const first = tx.play(new Int16Array(480));
    clock.advance(30);
    await first;
    expect(sent.map((s) => s.bytes.length)).toEqual([252, 252]);
    tx.configure(remote({ direction: 'sendonly' }));
    // the next packet is due 30 ms after the last one, then every 20 ms
    const held = tx.play(new Int16Array(480));
    clock.advance(50);
    expect(tx.stats).toMatchObject({ packetsSent: 2, packetsWithheld: 2 });
    clock.advance(20);
    await expect(held).resolves.toBe(true);
    expect(tx.stats).toMatchObject({ packetsSent: 2, packetsWithheld: 3 });
    expect(sent).toHaveLength(2);
  });

  it('flush() drops what is queued: its promises resolve false and nothing more leaves', async () => {
    const clock = new ManualClock();
    const { socket, sent } = recordingSocket();
    const tx = new RtpSender(socket, clock);
    tx.configure(remote());
    const audio = tx.play(new Int16Array(1600));
    const digit = tx.sendDtmf(5, 100);
    tx.flush();
    clock.advance(1000);
    await expect(audio).resolves.toBe(false);
    await expect(digit).resolves.toBe(false);
    expect(sent).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});

describe('RtpReceiver', () => {
  function receiver(lock: 'sdp' | 'latch' = 'sdp') {
    const frames: number[][] = [];
    const digits: [string, number][] = [];
    const listeners: ReceiveListeners = { audio: [(pcm) => frames.push([pcm.length, pcm[0]!])], dtmf: [(d, ms) => digits.push([d, ms])] };
    return { rx: new RtpReceiver(listeners, lock), frames, digits };
  }
  const level = (v: number) => ulawToLinear(linearToUlaw(v));
  const ulaw = (v: number, n: number) => encodeG711('PCMU', new Int16Array(n).fill(v), new Uint8Array(n));

  it('before the SDP every datagram is ignored; after it, 10 ms packets make whole 160-sample frames', () => {
    const { rx, frames } = receiver();
    const source = from('192.0.2.7', 40000);
    rx.onMessage(datagram(1, 0, ulaw(500, 80)), source);
    expect(rx.stats).toMatchObject({ packetsReceived: 0, packetsDropped: 0, packetsIgnored: 1, packetsForeign: 0 });
    rx.configure(remote(), 0, 101);
    for (let seq = 1; seq <= 4; seq++) rx.onMessage(datagram(seq, 0, ulaw(500 * seq, 80)), source);
    expect(frames).toEqual([[160, level(500)], [160, level(1500)]]);
    expect(rx.stats.packetsReceived).toBe(4);
  });

  it('drops and counts a stranger, a duplicate and an unnegotiated payload type, leaving the frames unchanged', () => {
    const { rx, frames, digits } = receiver();
    rx.configure(remote(), 0, 101);
    const source = from('192.0.2.7', 40000);
    rx.onMessage(datagram(1, 0, ulaw(500, 160)), source);
    rx.onMessage(datagram(2, 0, ulaw(900, 160)), from('198.51.100.1', 40000));
    rx.onMessage(datagram(1, 0, ulaw(900, 160)), source);
    rx.onMessage(datagram(3, 8, ulaw(900, 160)), source);
    rx.onMessage(Buffer.from('not rtp'), source);
    expect(frames).toEqual([[160, level(500)]]);
    expect(digits).toEqual([]);
    expect(rx.stats).toMatchObject({ packetsReceived: 1, packetsDropped: 1, packetsIgnored: 2, packetsForeign: 1 });
  });

  it('latching takes the first source heard after the SDP, hears DTMF from it on our or the far end\'s telephone-event number, and no other source after it', () => {
    const { rx, digits } = receiver('latch');
    rx.configure(remote({ dtmfPayloadType: 96 }), 0, 101);
    const natted = from('203.0.113.5', 51000);
    rx.onMessage(datagram(1, 101, Uint8Array.from([3, 0x80, 0x03, 0x20])), natted);
    rx.onMessage(datagram(2, 96, Uint8Array.from([4, 0x80, 0x03, 0x20]), 77), natted);
    rx.onMessage(datagram(3, 0, ulaw(1, 160)), from('192.0.2.7', 40000));
    expect(digits).toEqual([['3', 100], ['4', 100]]);
    expect(rx.stats).toMatchObject({ packetsReceived: 2, packetsForeign: 1 });
  });
});
