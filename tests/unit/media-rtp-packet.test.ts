import { describe, expect, it } from 'vitest';
import { RTP_HEADER_BYTES, createRtpPacketView, parseRtp, writeRtpHeader, type RtpHeader } from '../../src/media/index.js';

const HEADER: RtpHeader = { marker: true, payloadType: 8, sequence: 0xfffe, timestamp: 0xfedcba98, ssrc: 0x89abcdef };

function packet(h: RtpHeader, payload: number[]): Uint8Array {
  const buf = new Uint8Array(RTP_HEADER_BYTES + payload.length);
  writeRtpHeader(buf, h);
  buf.set(payload, RTP_HEADER_BYTES);
  return buf;
}

/** A packet built byte by byte: V=2 with the given P/X/CC bits, then CSRCs, extension, payload and padding. */
function raw(p: { padding?: number; csrcs?: number; extWords?: number; payload: number[] }): Uint8Array {
  const bytes: number[] = [];
  bytes.push(0x80 | (p.padding ? 0x20 : 0) | (p.extWords !== undefined ? 0x10 : 0) | (p.csrcs ?? 0));
  bytes.push(0, 0x12, 0x34, 0, 0, 0x01, 0x00, 0xca, 0xfe, 0xba, 0xbe);
  for (let i = 0; i < (p.csrcs ?? 0); i++) bytes.push(0x11, 0x22, 0x33, i);
  if (p.extWords !== undefined) {
    bytes.push(0xbe, 0xde, 0, p.extWords);
    for (let i = 0; i < p.extWords * 4; i++) bytes.push(0xee);
  }
  bytes.push(...p.payload);
  if (p.padding) {
    for (let i = 0; i < p.padding - 1; i++) bytes.push(0);
    bytes.push(p.padding);
  }
  return Uint8Array.from(bytes);
}

describe('writeRtpHeader() and parseRtp()', () => {
  it('writeRtpHeader() writes version 2, marker, payload type, sequence, timestamp and SSRC in network order', () => {
    const buf = packet(HEADER, []);
    expect([...buf]).toEqual([0x80, 0x88, 0xff, 0xfe, 0xfe, 0xdc, 0xba, 0x98, 0x89, 0xab, 0xcd, 0xef]);
  });

  it('parseRtp() reads back every field written, with 32-bit fields unsigned', () => {
    const p = parseRtp(packet(HEADER, [1, 2, 3]));
    expect(p).toEqual({ ...HEADER, csrcCount: 0, payloadOffset: 12, payloadLength: 3 });
  });

  it('parseRtp() with a reused view fills and returns that same object', () => {
    const view = createRtpPacketView();
    const a = packet({ ...HEADER, sequence: 1, marker: false }, [9]);
    expect(parseRtp(a, a.length, view)).toBe(view);
    expect(view.sequence).toBe(1);
    expect(view.marker).toBe(false);
  });

  it('parseRtp() honours the length argument and ignores bytes after it', () => {
    const buf = new Uint8Array(64);
    writeRtpHeader(buf, HEADER);
    expect(parseRtp(buf, 20)?.payloadLength).toBe(8);
  });

  it('parseRtp() skips the CSRC list to find the payload', () => {
    const p = parseRtp(raw({ csrcs: 2, payload: [7, 7] }));
    expect(p).toMatchObject({ csrcCount: 2, payloadOffset: 12 + 8, payloadLength: 2 });
  });

  it('parseRtp() skips a header extension by its length in 32-bit words', () => {
    const p = parseRtp(raw({ extWords: 2, payload: [5] }));
    expect(p).toMatchObject({ payloadOffset: 12 + 4 + 8, payloadLength: 1 });
  });

  it('parseRtp() excludes padding counted by the last byte from the payload', () => {
    const p = parseRtp(raw({ padding: 4, payload: [1, 2, 3] }));
    expect(p).toMatchObject({ payloadOffset: 12, payloadLength: 3 });
  });

  it('parseRtp() accepts a header with an empty payload', () => {
    expect(parseRtp(packet(HEADER, []))?.payloadLength).toBe(0);
  });

  const malformed: [string, Uint8Array][] = [
    ['shorter than 12 bytes', packet(HEADER, []).subarray(0, 11)],
    ['version 1', (() => { const b = packet(HEADER, [1]); b[0] = 0x40; return b; })()],
    ['version 0 (e.g. STUN)', (() => { const b = packet(HEADER, [1]); b[0] = 0x00; return b; })()],
    ['a CSRC count running past the end', raw({ csrcs: 3, payload: [] }).subarray(0, 12 + 8)],
    ['an extension header cut short', raw({ extWords: 0, payload: [] }).subarray(0, 14)],
    ['an extension length running past the end', raw({ extWords: 3, payload: [] }).subarray(0, 12 + 4 + 4)],
    ['a padding count of zero', (() => { const b = raw({ padding: 1, payload: [1] }); b[b.length - 1] = 0; return b; })()],
    ['a padding count larger than the payload', (() => { const b = raw({ padding: 2, payload: [1] }); b[b.length - 1] = 9; return b; })()],
    ['an RTCP sender report (RFC 5761 packet type 200)', Uint8Array.from([0x80, 200, 0, 6, ...new Array(24).fill(0)])],
  ];
  for (const [what, buf] of malformed) {
    it(`parseRtp() returns null for ${what}`, () => {
      expect(parseRtp(buf)).toBeNull();
    });
  }

  it('parseRtp() returns null and leaves a reused view unchanged when the packet is malformed', () => {
    const view = createRtpPacketView();
    const good = packet(HEADER, [1]);
    parseRtp(good, good.length, view);
    const before = { ...view };
    expect(parseRtp(good.subarray(0, 5), 5, view)).toBeNull();
    expect(view).toEqual(before);
  });

  it('writeRtpHeader() throws RangeError when the buffer cannot hold 12 bytes', () => {
    expect(() => writeRtpHeader(new Uint8Array(11), HEADER)).toThrow(RangeError);
  });
});
