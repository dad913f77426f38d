import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beat, registerDialer, releaseTrunk, stopDialer, takeTrunk, trunkRoom, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';

/**
 * A trunk's CPS and channels are shared by every dialer on the registry (src/registry/trunks.ts):
 * two dialers, each on its own connection (on PostgreSQL, their own pools: they really race),
 * taking channels as fast as they can, never start more calls than the CPS in any second nor
 * carry more than the channels at once, and a dialer that dies frees its channels when its
 * heartbeat lapses. Real time, bounded: about 3 s per database.
 */
const CPS = 20;
const CHANNELS = 6;
const RUN_MS = 3000;
const LIVE_MS = 2000;

/** The most starts in any window of `ms` (half-open), over sorted times. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

for (const target of databases) {
  describe(`a trunk shared by two dialers, on ${target.name}`, () => {
    let dbs: Db[];
    beforeAll(async () => {
      const first = await target.open();
      dbs = [first, await target.reopen(first)];
    });
    afterAll(async () => {
      await dbs[1]?.close();
      await dbs[0]?.close();
    });

    it(`never more than ${CPS} starts in any second nor ${CHANNELS} calls at once, and keeps close to both`, async () => {
      const limits = { trunk: 'shared', cps: CPS, channels: CHANNELS, liveMs: LIVE_MS };
      const starts: number[] = [];
      const calls: [number, number][] = [];
      const t0 = Date.now();
      const dialer = async (db: Db, id: string) => {
        await registerDialer(db, { id, host: 'test', pid: 1, now: new Date() });
        const live = new Set<Promise<void>>();
        let held = 0;
        // as the dialer's heartbeat (campaign-runner.ts): alive, with its true count of calls
        const beating = setInterval(() => void beat(db, { id, now: new Date(), leaseMs: LIVE_MS, trunkCalls: { trunk: 'shared', calls: held } }), 300);
        while (Date.now() - t0 < RUN_MS) {
          held++;
          const slot = await takeTrunk(db, { ...limits, dialerId: id, now: new Date() });
          if (!slot) {
            held--;
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
          await new Promise((r) => setTimeout(r, Math.max(0, slot.startAt.getTime() - Date.now())));
          const start = Date.now();
          starts.push(start);
          // a call of 200-500 ms: six channels carry at most 6 / 0.35 s = 17 starts a second
          const call = new Promise<void>((r) => setTimeout(r, 200 + Math.random() * 300)).then(async () => {
            calls.push([start, Date.now()]);
            await releaseTrunk(db, { trunk: 'shared', dialerId: id });
            held--;
            live.delete(call);
          });
          live.add(call);
        }
        await Promise.all(live);
        clearInterval(beating);
        await stopDialer(db, { id, now: new Date() });
      };
      await Promise.all([dialer(dbs[0]!, `a-${target.name}`), dialer(dbs[1]!, `b-${target.name}`)]);
      starts.sort((a, b) => a - b);
      // in any second, timers firing a few ms late included (trunks.ts spaces starts for that)
      expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(CPS);
      const edges = calls.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      let open = 0;
      let peak = 0;
      for (const [, d] of edges) peak = Math.max(peak, (open += d));
      expect(peak).toBeLessThanOrEqual(CHANNELS);
      expect(peak).toBe(CHANNELS); // the channels were the limit, and were used
      expect(starts.length).toBeGreaterThan((RUN_MS / 1000) * 10);
    }, 20_000);

    it('a dialer that dies holding channels frees them when its heartbeat lapses; its true count is restored by a heartbeat', async () => {
      const limits = { trunk: 'dying', cps: 1000, channels: 3, liveMs: LIVE_MS };
      const t = new Date('2026-12-08T09:00:00Z');
      await registerDialer(dbs[0]!, { id: 'dies', host: 'test', pid: 2, now: t });
      await registerDialer(dbs[0]!, { id: 'lives', host: 'test', pid: 3, now: t });
      for (let i = 0; i < 3; i++) expect(await takeTrunk(dbs[0]!, { ...limits, dialerId: 'dies', now: t })).not.toBeNull();
      expect(await takeTrunk(dbs[1]!, { ...limits, dialerId: 'lives', now: t })).toBeNull();
      expect(await trunkRoom(dbs[1]!, { ...limits, now: t })).toBe(0);
      // 'lives' beats on; 'dies' is silent
      const later = new Date(t.getTime() + LIVE_MS + 1);
      await beat(dbs[1]!, { id: 'lives', now: later, leaseMs: LIVE_MS, trunkCalls: { trunk: 'dying', calls: 0 } });
      expect(await trunkRoom(dbs[1]!, { ...limits, now: later })).toBe(3);
      const slot = await takeTrunk(dbs[1]!, { ...limits, dialerId: 'lives', now: later });
      expect(slot).not.toBeNull();
      // a release that never reached the registry: the next heartbeat stores the true count
      await beat(dbs[1]!, { id: 'lives', now: later, leaseMs: LIVE_MS, trunkCalls: { trunk: 'dying', calls: 0 } });
      expect(await trunkRoom(dbs[1]!, { ...limits, now: later })).toBe(3);
    });
  });
}

for (const target of databases) {
  describe(`warm before cold on a shared trunk, on ${target.name}`, () => {
    it('a cold campaign leaves the warm reserve free: the warm one gets channels when the cold one has taken all it may', async () => {
      const db = await target.open();
      try {
        const t = new Date('2026-12-08T09:00:00Z');
        const trunk = { trunk: 'reserve', cps: 1000, channels: 5, liveMs: 60_000 };
        await registerDialer(db, { id: 'cold', host: 'test', pid: 1, now: t });
        await registerDialer(db, { id: 'warm', host: 'test', pid: 2, now: t });
        let cold = 0;
        while (await takeTrunk(db, { ...trunk, leaveFree: 2, dialerId: 'cold', now: t })) cold++;
        expect(cold).toBe(3);
        expect(await trunkRoom(db, { ...trunk, leaveFree: 2, now: t })).toBe(0);
        expect(await trunkRoom(db, { ...trunk, now: t })).toBe(2);
        expect(await takeTrunk(db, { ...trunk, dialerId: 'warm', now: t })).not.toBeNull();
        expect(await takeTrunk(db, { ...trunk, dialerId: 'warm', now: t })).not.toBeNull();
        expect(await takeTrunk(db, { ...trunk, dialerId: 'warm', now: t })).toBeNull();
        // a warm call ends: its channel is not for the cold campaign, which is at its share
        await releaseTrunk(db, { trunk: 'reserve', dialerId: 'warm' });
        expect(await takeTrunk(db, { ...trunk, leaveFree: 2, dialerId: 'cold', now: t })).toBeNull();
      } finally {
        await db.close();
      }
    });
  });
}
