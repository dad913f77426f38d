/**
 * RTCP (RFC 3550 §6): the sender and receiver reports that tell each side how the other hears
 * it (loss, jitter, round-trip time), written and read by hand. A compound packet is a report
 * (SR when we have sent RTP since the last one, else RR) followed by an SDES with our CNAME, as
 * §6.1 requires; a BYE is added when the call ends.
 *
 * Reading is strict about framing (version 2, lengths that add up, padding) and lenient about
 * content: packet types it does not know (APP, XR, feedback) are skipped. A datagram that is not
 * RTCP gives null; nothing here throws on input from the network.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** One report block (§6.4.1): how the reporter hears the source `ssrc`. */
export interface ReportBlock {
  ssrc: number;
  /** lost since the last report, as a fraction of what was expected (0..1, 8-bit fixed point on the wire) */
  fractionLost: number;
  /** lost since the start (24-bit signed on the wire: duplicates can make it negative) */
  cumulativeLost: number;
  /** extended highest sequence number received */
  highestSeq: number;
  /** interarrival jitter, RTP timestamp units */
  jitter: number;
  /** middle 32 bits of the NTP time of the last SR received from `ssrc`, 0 if none */
  lastSr: number;
  /** delay since that SR, 1/65536 s */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  /** NTP time, seconds since 1900 as a float */
  ntpSeconds: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; ssrc: number; cname: string | null }
  | { type: 'bye'; ssrcs: number[] };

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export function ntpSecondsOf(unixMs: number): number {
  return unixMs / 1000 + NTP_UNIX_OFFSET;
}

/** The middle 32 bits of an NTP timestamp (what LSR carries). */
export function ntpMiddle32(ntpSeconds: number): number {
  const whole = Math.floor(ntpSeconds);
  const frac = Math.floor((ntpSeconds - whole) * 65536);
  return (((whole & 0xffff) << 16) | (frac & 0xffff)) >>> 0;
}

/**
 * Round-trip time from a report block about our stream (§6.4.1): now minus LSR minus DLSR, in ms.
 * Null when the far end has not heard an SR of ours yet.
 */
export function roundTripMs(block: ReportBlock, nowUnixMs: number): number | null {
  if (block.lastSr === 0) return null;
  const now = ntpMiddle32(ntpSecondsOf(nowUnixMs));
  const rtt = (now - block.lastSr - block.delaySinceLastSr) >>> 0;
  if (rtt > 0x7fffffff) return 0; // clock rounding put it a hair below zero
  return (rtt / 65536) * 1000;
}

/** A compound packet: SR (with `sender`) or RR, our CNAME, and a BYE when `bye` is set. */
export function writeRtcp(p: { ssrc: number; sender?: SenderInfo; reports: ReportBlock[]; cname: string; bye?: boolean }): Buffer {
  const blocks = p.reports.slice(0, 31);
  const reportBytes = (p.sender ? 28 : 8) + blocks.length * 24;
  const cname = Buffer.from(p.cname.slice(0, 255), 'utf8').subarray(0, 255);
  // SDES chunk: SSRC, CNAME item (type, length, text), END, padded to 32 bits
  const sdesBytes = 4 + Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const byeBytes = p.bye ? 8 : 0;
  const out = Buffer.alloc(reportBytes + sdesBytes + byeBytes);
  let o = 0;
  out[o] = 0x80 | blocks.length;
  out[o + 1] = p.sender ? RTCP_SR : RTCP_RR;
  out.writeUInt16BE(reportBytes / 4 - 1, o + 2);
  out.writeUInt32BE(p.ssrc >>> 0, o + 4);
  o += 8;
  if (p.sender) {
    const whole = Math.floor(p.sender.ntpSeconds);
    out.writeUInt32BE(whole >>> 0, o);
    out.writeUInt32BE(Math.floor((p.sender.ntpSeconds - whole) * 2 ** 32) >>> 0, o + 4);
    out.writeUInt32BE(p.sender.rtpTimestamp >>> 0, o + 8);
    out.writeUInt32BE(p.sender.packets >>> 0, o + 12);
    out.writeUInt32BE(p.sender.octets >>> 0, o + 16);
    o += 20;
  }
  for (const b of blocks) {
    out.writeUInt32BE(b.ssrc >>> 0, o);
    out[o + 4] = Math.min(255, Math.max(0, Math.floor(b.fractionLost * 256)));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost));
    out.writeUIntBE(lost & 0xffffff, o + 5, 3);
    out.writeUInt32BE(b.highestSeq >>> 0, o + 8);
    out.writeUInt32BE(Math.max(0, Math.round(b.jitter)) >>> 0, o + 12);
    out.writeUInt32BE(b.lastSr >>> 0, o + 16);
    out.writeUInt32BE(b.delaySinceLastSr >>> 0, o + 20);
    o += 24;
  }
  out[o] = 0x81;
  out[o + 1] = RTCP_SDES;
  out.writeUInt16BE(sdesBytes / 4 - 1, o + 2);
  out.writeUInt32BE(p.ssrc >>> 0, o + 4);
  out[o + 8] = 1; // CNAME
  out[o + 9] = cname.length;
  cname.copy(out, o + 10);
  o += sdesBytes; // END and padding are the zeros left
  if (p.bye) {
    out[o] = 0x81;
    out[o + 1] = RTCP_BYE;
    out.writeUInt16BE(1, o + 2);
    out.writeUInt32BE(p.ssrc >>> 0, o + 4);
  }
  return out;
}

/** The packets of a compound RTCP datagram, or null when it is not one (wrong version, lengths). */
export function parseRtcp(buf: Uint8Array, length = buf.length): RtcpPacket[] | null {
  const v = new DataView(buf.buffer, buf.byteOffset, length);
  const out: RtcpPacket[] = [];
  let o = 0;
  while (o < length) {
    if (length - o < 4) return null;
    const b0 = v.getUint8(o);
    if (b0 >> 6 !== 2) return null;
    const count = b0 & 0x1f;
    const type = v.getUint8(o + 1);
    const bytes = (v.getUint16(o + 2) + 1) * 4;
    if (o + bytes > length) return null;
    // the first packet of a compound must be a report (§6.1)
    if (out.length === 0 && type !== RTCP_SR && type !== RTCP_RR) return null;
    let end = o + bytes;
    if (b0 & 0x20) {
      const pad = v.getUint8(end - 1);
      if (pad === 0 || pad > bytes - 4) return null;
      end -= pad;
    }
    if (type === RTCP_SR || type === RTCP_RR) {
      const head = type === RTCP_SR ? 28 : 8;
      if (bytes < head + count * 24 || end - o < head + count * 24) return null;
      const ssrc = v.getUint32(o + 4);
      const reports: ReportBlock[] = [];
      for (let i = 0, r = o + head; i < count; i++, r += 24) {
        let lost = (v.getUint8(r + 5) << 16) | v.getUint16(r + 6);
        if (lost & 0x800000) lost -= 0x1000000;
        reports.push({
          ssrc: v.getUint32(r), fractionLost: v.getUint8(r + 4) / 256, cumulativeLost: lost, highestSeq: v.getUint32(r + 8),
          jitter: v.getUint32(r + 12), lastSr: v.getUint32(r + 16), delaySinceLastSr: v.getUint32(r + 20),
        });
      }
      if (type === RTCP_SR) {
        const sender = {
          ntpSeconds: v.getUint32(o + 8) + v.getUint32(o + 12) / 2 ** 32,
          rtpTimestamp: v.getUint32(o + 16), packets: v.getUint32(o + 20), octets: v.getUint32(o + 24),
        };
        out.push({ type: 'sr', ssrc, sender, reports });
      } else {
        out.push({ type: 'rr', ssrc, reports });
      }
    } else if (type === RTCP_SDES) {
      if (count > 0 && end - o >= 8) {
        const ssrc = v.getUint32(o + 4);
        let cname: string | null = null;
        for (let i = o + 8; i + 2 <= end && v.getUint8(i) !== 0; ) {
          const item = v.getUint8(i);
          const len = v.getUint8(i + 1);
          if (i + 2 + len > end) break;
          if (item === 1) cname = Buffer.from(buf.buffer, buf.byteOffset + i + 2, len).toString('utf8');
          i += 2 + len;
        }
        out.push({ type: 'sdes', ssrc, cname });
      }
    } else if (type === RTCP_BYE) {
      const ssrcs: number[] = [];
      for (let i = 0; i < count && o + 8 + i * 4 <= end; i++) ssrcs.push(v.getUint32(o + 4 + i * 4));
      out.push({ type: 'bye', ssrcs });
    }
    o += bytes;
  }
  return out.length ? out : null;
}

/**
 * What a receiver reports about one source (RFC 3550 A.3): expected packets from the extended
 * sequence numbers, lost = expected - received, and the fraction lost since the last report.
 */
export class ReceptionReport {
  #baseSeq = -1;
  #highestSeq = -1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;

  /** A packet arrived with extended sequence number `ext` (duplicates included, as A.3 counts them). */
  received(ext: number): void {
    if (this.#baseSeq < 0) this.#baseSeq = ext;
    if (ext > this.#highestSeq) this.#highestSeq = ext;
    this.#received++;
  }

  get expected(): number {
    return this.#baseSeq < 0 ? 0 : this.#highestSeq - this.#baseSeq + 1;
  }

  get cumulativeLost(): number {
    return this.expected - this.#received;
  }

  get highestSeq(): number {
    return Math.max(0, this.#highestSeq);
  }

  /** The fraction lost since the last call (0..1), and marks this report as the last. */
  takeFractionLost(): number {
    const expected = this.expected - this.#expectedPrior;
    const received = this.#received - this.#receivedPrior;
    this.#expectedPrior = this.expected;
    this.#receivedPrior = this.#received;
    const lost = expected - received;
    return expected <= 0 || lost <= 0 ? 0 : lost / expected;
  }
}
