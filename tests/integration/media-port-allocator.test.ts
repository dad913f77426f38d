import { afterEach, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/core/index.js';
import { bindRtpSocket, RtpPortAllocator, sharedRtpPortAllocator } from '../../src/media/port-allocator.js';
import { createRtpMediaFactory, type RtpSession } from '../../src/media/rtp-session.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Three even ports somewhere high, away from the ranges other test files pick from. */
function range(): { portMin: number; portMax: number } {
  const portMin = 50000 + 2 * Math.floor(Math.random() * 7000);
  return { portMin, portMax: portMin + 5 };
}

describe('RtpPortAllocator', () => {
  it('two factories given one allocator never hand out a port either of them freed in the last two allocations', async () => {
    const allocator = new RtpPortAllocator(range());
    const engine = createRtpMediaFactory({ allocator });
    const callees = createRtpMediaFactory({ allocator });
    const ports: number[] = [];
    for (let i = 0; i < 8; i++) {
      const s = (await (i % 2 === 0 ? engine : callees).allocate()) as RtpSession;
      ports.push(s.port);
      s.close();
    }
    // three ports, the last two tried last: each one differs from the two before it, whichever factory freed them
    for (let i = 2; i < ports.length; i++) expect([ports[i - 1], ports[i - 2]]).not.toContain(ports[i]);
    expect(new Set(ports).size).toBe(3);
  });

  it('bind() takes even ports of the range and leaves the range and the recent ports of another allocator unchanged', async () => {
    const r = range();
    const a = new RtpPortAllocator(r);
    const b = new RtpPortAllocator({ portMin: r.portMin + 6, portMax: r.portMax + 6 });
    const socket = await a.bind('127.0.0.1');
    open.push(socket);
    const port = socket.address().port;
    expect(port % 2).toBe(0);
    expect(port).toBeGreaterThanOrEqual(r.portMin);
    expect(port).toBeLessThanOrEqual(r.portMax);
    expect(a.range).toEqual([r.portMin, r.portMax]);
    const other = await b.bind('127.0.0.1');
    open.push(other);
    expect(other.address().port).toBeGreaterThanOrEqual(r.portMin + 6);
  });

  it('without a range, bind() lets the system pick any free port', async () => {
    const allocator = new RtpPortAllocator();
    expect(allocator.range).toBeNull();
    const socket = await allocator.bind('127.0.0.1');
    open.push(socket);
    expect(socket.address().port).toBeGreaterThan(0);
  });

  it('sharedRtpPortAllocator() gives the same allocator for the same range, and another for another range', () => {
    const r = range();
    expect(sharedRtpPortAllocator(r)).toBe(sharedRtpPortAllocator({ ...r }));
    expect(sharedRtpPortAllocator(r)).not.toBe(sharedRtpPortAllocator({ portMin: r.portMin, portMax: r.portMax + 2 }));
    expect(sharedRtpPortAllocator({ portMin: r.portMin })).toBe(sharedRtpPortAllocator({ portMin: r.portMin, portMax: r.portMin }));
  });

  it('a range with no even port throws MEDIA_UNAVAILABLE naming the range', () => {
    expect(() => new RtpPortAllocator({ portMin: 5001, portMax: 5001 })).toThrow(MediaError);
    expect(() => new RtpPortAllocator({ portMin: 5001, portMax: 5001 })).toThrow(/RTP port range 5001-5001 holds no even port/);
    expect(() => bindRtpSocket('127.0.0.1', [7, 7])).toThrow(/holds no even port/);
  });

  it('createRtpMediaFactory() given both an allocator and a range throws a TypeError', () => {
    expect(() => createRtpMediaFactory({ allocator: new RtpPortAllocator(), portMin: 40000 })).toThrow(TypeError);
  });
});
