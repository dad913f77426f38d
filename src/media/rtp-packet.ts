/**
 * RTP fixed header (RFC 3550 §5.1):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *  |            contributing source (CSRC) identifiers             |  CC × 32 bits
 *  |  header extension: profile (16) | length in 32-bit words (16) |  if X
 *  |  payload ...                          | padding ... | pad count |  if P
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  /** 16-bit, wraps. */
  sequence: number;
  /** 32-bit unsigned, in clock-rate units (8000 Hz for G.711). */
  timestamp: number;
  /** 32-bit unsigned. */
  ssrc: number;
}

/** A parsed packet: the header fields plus where the payload lies in the buffer it came from. */
export interface RtpPacketView extends RtpHeader {
  csrcCount: number;
  /** Bytes from the start of the buffer to the payload (header, CSRCs and extension skipped). */
  payloadOffset: number;
  /** Payload bytes, padding excluded. */
  payloadLength: number;
}

/** A view to pass to parseRtp() again and again, so the receive path allocates nothing. */
export function createRtpPacketView(): RtpPacketView {
  return { marker: false, payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, csrcCount: 0, payloadOffset: 0, payloadLength: 0 };
}

/** Writes the 12-byte fixed header (no CSRC, extension or padding) at `offset`; returns the bytes written. */
export function writeRtpHeader(buf: Uint8Array, h: RtpHeader, offset = 0): number {
  if (offset + RTP_HEADER_BYTES > buf.length) throw new RangeError('writeRtpHeader: buffer too short');
  buf[offset] = RTP_VERSION << 6;
  buf[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf[offset + 2] = (h.sequence >>> 8) & 0xff;
  buf[offset + 3] = h.sequence & 0xff;
  buf[offset + 4] = h.timestamp >>> 24;
  buf[offset + 5] = (h.timestamp >>> 16) & 0xff;
  buf[offset + 6] = (h.timestamp >>> 8) & 0xff;
  buf[offset + 7] = h.timestamp & 0xff;
  buf[offset + 8] = h.ssrc >>> 24;
  buf[offset + 9] = (h.ssrc >>> 16) & 0xff;
  buf[offset + 10] = (h.ssrc >>> 8) & 0xff;
  buf[offset + 11] = h.ssrc & 0xff;
  return RTP_HEADER_BYTES;
}

/**
 * Parses the first `length` bytes of `buf` into `into` (allocated when not given).
 * Returns null for anything that is not a well-formed RTP packet: too short, version other
 * than 2, CSRC list or header extension running past the end, a padding count of zero or
 * larger than the payload (RFC 3550 §5.1, A.1), or an RTCP packet (RFC 5761 §4: packet types
 * 200-204 read as RTP payload types 72-76 with the marker bit set).
 */
export function parseRtp(buf: Uint8Array, length = buf.length, into: RtpPacketView = createRtpPacketView()): RtpPacketView | null {
  if (length > buf.length || length < RTP_HEADER_BYTES) return null;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== RTP_VERSION) return null;
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return null;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + 4 * csrcCount;
  if (offset > length) return null;
  if (b0 & 0x10) {
    if (offset + 4 > length) return null;
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    offset += 4 + 4 * words;
    if (offset > length) return null;
  }
  let end = length;
  if (b0 & 0x20) {
    const pad = buf[length - 1]!;
    if (pad === 0 || end - pad < offset) return null;
    end -= pad;
  }
  into.marker = (b1 & 0x80) !== 0;
  into.payloadType = payloadType;
  into.sequence = (buf[2]! << 8) | buf[3]!;
  into.timestamp = ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
  into.ssrc = ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
  into.csrcCount = csrcCount;
  into.payloadOffset = offset;
  into.payloadLength = end - offset;
  return into;
}
