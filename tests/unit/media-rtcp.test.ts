import { describe, expect, it } from 'vitest';
import { ntpMiddle32, ntpSecondsOf, parseRtcp, ReceptionReport, roundTripMs, writeRtcp, type ReportBlock } from '../../src/media/rtcp.js';
import { seededRandom } from '../support/random.js';

const block: ReportBlock = { ssrc: 0xdeadbeef, fractionLost: 0.25, cumulativeLost: 17, highestSeq: 70_123, jitter: 96, lastSr: 0x12345678, delaySinceLastSr: 65536 };

describe('RTCP', () => {
  it('writes an SR with a report block and our CNAME, and reads back what it wrote', () => {
    const sender = { ntpSeconds: ntpSecondsOf(Date.UTC(2026, 11, 2, 6, 0, 0, 500)), rtpTimestamp: 123_456, packets: 1500, octets: 240_000 };
    const buf = writeRtcp({ ssrc: 42, sender, reports: [block], cname: 'zvonar@host' });
    expect(buf.length % 4).toBe(0);
    const [sr, sdes] = parseRtcp(buf)!;
    expect(sr).toMatchObject({ type: 'sr', ssrc: 42, sender: { rtpTimestamp: 123_456, packets: 1500, octets: 240_000 } });
    expect((sr as { sender: { ntpSeconds: number } }).sender.ntpSeconds).toBeCloseTo(sender.ntpSeconds, 6);
    expect((sr as { reports: ReportBlock[] }).reports).toEqual([block]);
    expect(sdes).toEqual({ type: 'sdes', ssrc: 42, cname: 'zvonar@host' });
  });

  it('writes an RR when nothing was sent, a negative cumulative loss (duplicates), and a BYE at the end', () => {
    const buf = writeRtcp({ ssrc: 7, reports: [{ ...block, cumulativeLost: -3, fractionLost: 0 }], cname: 'c', bye: true });
    const packets = parseRtcp(buf)!;
    expect(packets.map((p) => p.type)).toEqual(['rr', 'sdes', 'bye']);
    expect((packets[0] as { reports: ReportBlock[] }).reports[0]!.cumulativeLost).toBe(-3);
    expect(packets[2]).toEqual({ type: 'bye', ssrcs: [7] });
  });

  it('gives null for datagrams that are not RTCP, and never throws on junk', () => {
    expect(parseRtcp(Buffer.alloc(0))).toBeNull();
    expect(parseRtcp(Buffer.from([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0]))).toBeNull(); // an RTP header, not a report
    expect(parseRtcp(Buffer.from([0x40, 201, 0, 1, 0, 0, 0, 0]))).toBeNull(); // version 1
    expect(parseRtcp(Buffer.from([0x81, 201, 0, 9, 0, 0, 0, 0]))).toBeNull(); // length past the end
    const rnd = seededRandom(5);
    let threw = 0;
    for (let i = 0; i < 20_000; i++) {
      const junk = Buffer.alloc(Math.floor(rnd() * 80));
      for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rnd() * 256);
      if (junk.length > 1 && rnd() < 0.5) junk[0] = 0x80 | (junk[0]! & 0x3f);
      try {
        parseRtcp(junk);
      } catch {
        threw++;
      }
    }
    expect(threw).toBe(0);
  });

  it('skips packet types it does not know after the report (APP, XR)', () => {
    const rr = writeRtcp({ ssrc: 1, reports: [], cname: 'x' });
    const app = Buffer.from([0x80, 204, 0, 2, 0, 0, 0, 1, 0x41, 0x42, 0x43, 0x44]);
    expect(parseRtcp(Buffer.concat([rr, app]))!.map((p) => p.type)).toEqual(['rr', 'sdes']);
  });

  it('round-trip time from LSR and DLSR', () => {
    const sentAt = Date.UTC(2026, 11, 2, 6, 0, 0);
    const lastSr = ntpMiddle32(ntpSecondsOf(sentAt));
    // the far end held our SR 500 ms before answering; the report comes back 620 ms after we sent it
    const rtt = roundTripMs({ ...block, lastSr, delaySinceLastSr: 0.5 * 65536 }, sentAt + 620);
    expect(rtt).toBeGreaterThan(119);
    expect(rtt).toBeLessThan(121);
    expect(roundTripMs({ ...block, lastSr: 0 }, sentAt)).toBeNull();
  });

  it('reception report: expected, cumulative loss and the fraction lost per interval (RFC 3550 A.3)', () => {
    const r = new ReceptionReport();
    for (let s = 1000; s < 1100; s++) if (s % 10 !== 0) r.received(s); // 10 of 100 lost
    expect([r.expected, r.cumulativeLost, r.highestSeq]).toEqual([99, 9, 1099]); // 1000 itself was lost: base is 1001
    expect(r.takeFractionLost()).toBeCloseTo(9 / 99, 6);
    for (let s = 1100; s < 1200; s++) r.received(s);
    expect(r.takeFractionLost()).toBe(0);
  });
});
