import { describe, expect, it } from 'vitest';
import { DTMF_PAYLOAD_BYTES, DtmfDecoder, dtmfEvent, OutgoingDtmf } from '../../src/media/dtmf.js';

interface Packet {
  marker: boolean;
  timestamp: number;
  payload: Buffer;
}

/** Every packet of one event, as the sender makes them: the media clock at `start`, moving one packet time per packet. */
function packets(e: OutgoingDtmf, start: number, packetSamples = 160): Packet[] {
  const out: Packet[] = [];
  for (let clock = start; out.length < 1000; clock += packetSamples) {
    const marker = e.next(clock);
    const payload = Buffer.alloc(DTMF_PAYLOAD_BYTES);
    e.writePayload(payload, 0, packetSamples);
    out.push({ marker, timestamp: e.timestamp, payload });
    if (e.done) return out;
  }
  throw new Error('the event never ended');
}

const endBit = (p: Packet) => (p.payload[1]! & 0x80) !== 0;
const duration = (p: Packet) => p.payload.readUInt16BE(2);

function decoder(): { d: DtmfDecoder; heard: [string, number][] } {
  const heard: [string, number][] = [];
  return { d: new DtmfDecoder((digit, ms) => heard.push([digit, ms])), heard };
}

describe('dtmfEvent()', () => {
  const table: [string, number][] = [['0', 0], ['9', 9], ['*', 10], ['#', 11], ['A', 12], ['d', 15], ['E', -1], ['', -1], ['12', -1], ['!', -1]];
  for (const [digit, event] of table) it(`maps "${digit}" to ${event}`, () => expect(dtmfEvent(digit)).toBe(event));
});

describe('OutgoingDtmf (RFC 4733 §2.5.1)', () => {
  it('a 100 ms event at 20 ms packets is five growing packets then the end packet three times, all with the start timestamp', () => {
    const ps = packets(new OutgoingDtmf(5, 100, 20), 1000);
    expect(ps).toHaveLength(7);
    expect(ps.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(ps.every((p) => p.timestamp === 1000)).toBe(true);
    expect(ps.map(duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(ps.map(endBit)).toEqual([false, false, false, false, true, true, true]);
    expect(ps.every((p) => p.payload[0] === 5 && (p.payload[1]! & 0x3f) === 10)).toBe(true);
  });

  it('a duration below two packet times is sent as two; one beyond the 16-bit field is cut to fit it with its end packets', () => {
    expect(packets(new OutgoingDtmf(1, 5, 20), 0)).toHaveLength(2 + 2);
    const long = packets(new OutgoingDtmf(1, 60_000, 20), 0);
    expect(Math.max(...long.map(duration))).toBeLessThanOrEqual(0xffff);
    expect(long.length).toBe(Math.round((Math.floor(0xffff / 8) - 60) / 20) + 2);
  });

  it('at 60 ms packets, durations step by 480 samples', () => {
    expect(packets(new OutgoingDtmf(0, 180, 60), 0, 480).map(duration)).toEqual([480, 960, 1440, 1440, 1440]);
  });
});

describe('DtmfDecoder', () => {
  it('reports each digit once with its duration, whatever the repeats of the end packet', () => {
    const { d, heard } = decoder();
    let start = 0;
    for (const digit of '0123456789*#ABCD') {
      for (const p of packets(new OutgoingDtmf(dtmfEvent(digit), 100, 20), start)) d.receive(p.payload, 0, DTMF_PAYLOAD_BYTES, p.timestamp);
      start += 7 * 160;
    }
    expect(heard).toEqual([...'0123456789*#ABCD'].map((digit) => [digit, 100]));
  });

  it('an event whose end packets were all lost is reported when the next one starts, with the last duration seen', () => {
    const { d, heard } = decoder();
    const first = packets(new OutgoingDtmf(7, 100, 20), 0).filter((p) => !endBit(p));
    for (const p of first) d.receive(p.payload, 0, 4, p.timestamp);
    expect(heard).toEqual([]);
    for (const p of packets(new OutgoingDtmf(8, 100, 20), 5000)) d.receive(p.payload, 0, 4, p.timestamp);
    expect(heard).toEqual([['7', 80], ['8', 100]]);
  });

  it('ignores payloads shorter than four bytes and events that are not digits (16, flash), leaving its state unchanged', () => {
    const { d, heard } = decoder();
    d.receive(Buffer.from([1, 0x80, 0]), 0, 3, 10);
    for (const p of packets(new OutgoingDtmf(16, 100, 20), 100)) d.receive(p.payload, 0, 4, p.timestamp);
    expect(heard).toEqual([]);
    for (const p of packets(new OutgoingDtmf(3, 100, 20), 2000)) d.receive(p.payload, 0, 4, p.timestamp);
    expect(heard).toEqual([['3', 100]]);
  });
});
