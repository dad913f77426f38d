import { writeFileSync } from 'node:fs';
import { encodeG711 } from '../../src/media/index.js';

/**
 * A pcap file of one RTP stream (PCMU, 20 ms packets, real-time timestamps), for sipp's
 * `play_pcap_audio`: sipp replays the packets' payloads at their pace to the media address of
 * the call's SDP. Ethernet / IPv4 / UDP headers carry placeholder addresses (sipp rewrites them);
 * checksums are left 0, which UDP over IPv4 allows.
 */
export function writeRtpPcap(file: string, pcm: Int16Array, opts: { payloadType?: number; ssrc?: number } = {}): void {
  const FRAME = 160;
  const frames = Math.ceil(pcm.length / FRAME);
  const RTP = 12 + FRAME;
  const UDP = 8 + RTP;
  const IP = 20 + UDP;
  const ETH = 14 + IP;
  const out = Buffer.alloc(24 + frames * (16 + ETH));
  // global header: magic, v2.4, tz 0, sigfigs 0, snaplen, linktype 1 (Ethernet)
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65_535, 16);
  out.writeUInt32LE(1, 20);
  let o = 24;
  const ssrc = opts.ssrc ?? 0x5a5a0001;
  const frame = new Int16Array(FRAME);
  for (let i = 0; i < frames; i++) {
    const usec = i * 20_000;
    out.writeUInt32LE(Math.floor(usec / 1e6), o);
    out.writeUInt32LE(usec % 1e6, o + 4);
    out.writeUInt32LE(ETH, o + 8);
    out.writeUInt32LE(ETH, o + 12);
    o += 16;
    // Ethernet: dst, src, type IPv4
    out.writeUInt16BE(0x0800, o + 12);
    o += 14;
    // IPv4: version/IHL, total length, TTL, protocol UDP, 127.0.0.1 -> 127.0.0.1
    out[o] = 0x45;
    out.writeUInt16BE(IP, o + 2);
    out[o + 8] = 64;
    out[o + 9] = 17;
    out.writeUInt32BE(0x7f000001, o + 12);
    out.writeUInt32BE(0x7f000001, o + 16);
    o += 20;
    // UDP
    out.writeUInt16BE(6000, o);
    out.writeUInt16BE(6002, o + 2);
    out.writeUInt16BE(UDP, o + 4);
    o += 8;
    // RTP
    out[o] = 0x80;
    out[o + 1] = (opts.payloadType ?? 0) | (i === 0 ? 0x80 : 0);
    out.writeUInt16BE(i & 0xffff, o + 2);
    out.writeUInt32BE((i * FRAME) >>> 0, o + 4);
    out.writeUInt32BE(ssrc, o + 8);
    frame.fill(0);
    frame.set(pcm.subarray(i * FRAME, Math.min(pcm.length, (i + 1) * FRAME)));
    encodeG711('PCMU', frame, out, o + 12);
    o += RTP;
  }
  writeFileSync(file, out);
}
