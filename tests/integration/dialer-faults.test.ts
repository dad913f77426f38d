import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';
import { collectingLogger } from '../support/collecting-logger.js';
import { faultyDb } from '../support/faulty-db.js';
import { DIALOG, runUntilIdle, seedCampaign, testConfig, testEngine, until } from '../support/engine.js';
import { newDialerId, runCampaign } from '../../src/dialer/index.js';

/**
 * Crashes, outages and promises, through whole calls: real UDP RTP, the reference speech server
 * over gRPC, the registry on PGlite and PostgreSQL. A dialer's crash is played in-process by
 * cutting its registry connection (tests/support/faulty-db.ts): what a SIGKILLed process leaves
 * behind is exactly that — rows it wrote, and nothing after. tests/fault/ kills real processes.
 */
const liveness = { leaseMs: 3000, heartbeatMs: 500, registryRetryMs: 2000, pollMs: 200, maxCallMs: 60_000 };
const config = (over: Record<string, unknown> = {}) => testConfig({ dialer: liveness, ...over });

for (const target of databases) {
  describe(`dialer faults on ${target.name}`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await target.open();
    });
    afterEach(async () => db?.close());

    it('a dialer killed between a booking and the hang-up: the survivor never calls the patient again, one booking, closed as of the crash', async () => {
      const s = await seedCampaign(db, { personas: ['agree'], slots: 2, now: new Date() });
      const cut = faultyDb(db);
      cut.killAfterCommit(/insert into booking/);
      const a = await testEngine(cut.db, s.personaOf, { config: config() });
      const b = await testEngine(db, s.personaOf, { config: config() });
      try {
        const first = runUntilIdle(a, s.campaign).catch((err: unknown) => err);
        await until(() => cut.dead, 'the first dialer to die after booking');
        const killedAt = Date.now();
        await runUntilIdle(b, s.campaign);
        const cleanedAt = Date.now();
        expect(b.sim!.calls).toEqual([]); // the survivor dialled nobody
        const { rows: bookings } = await db.query<{ patient_id: string }>(`select patient_id from booking where campaign_id = $1 and status <> 'cancelled'`, [s.campaign.id]);
        expect(bookings).toEqual([{ patient_id: s.patientIds[0] }]);
        const { rows: att } = await db.query<{ disposition: string; ended_at: Date; error: string }>(
          `select disposition, ended_at, error from attempt where campaign_id = $1`, [s.campaign.id]);
        expect(att).toHaveLength(1);
        expect(att[0]).toMatchObject({ disposition: 'BOOKED', error: 'ENGINE_STOPPED' });
        // its end is the dead dialer's last heartbeat, before the kill, not the clean-up time
        expect(att[0]!.ended_at.getTime()).toBeLessThanOrEqual(killedAt);
        expect(cleanedAt - att[0]!.ended_at.getTime()).toBeGreaterThanOrEqual(liveness.leaseMs - 100);
        const { rows: held } = await db.query(`select id from slot where status = 'busy-tentative' and resource = $1`, [`dr-${s.campaign.id}`]);
        expect(held).toEqual([]);
        const { rows: c } = await db.query<{ state: string; lease_owner: string | null }>(`select state, lease_owner from campaign_contact where campaign_id = $1`, [s.campaign.id]);
        expect(c).toEqual([{ state: 'done', lease_owner: null }]);
        expect(await first).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('with 10 channels and 12 slots, 12 patients who say yes are all booked: holds starve no one', async () => {
      const s = await seedCampaign(db, { personas: Array(12).fill('agree'), slots: 12, now: new Date() });
      const engine = await testEngine(db, s.personaOf, { config: config() });
      try {
        await runUntilIdle(engine, s.campaign, { maxChannels: 10 });
      } finally {
        await engine.close();
      }
      const { rows } = await db.query<{ last_disposition: string; n: number }>(
        `select last_disposition, count(*)::int as n from campaign_contact where campaign_id = $1 group by 1`, [s.campaign.id]);
      expect(rows).toEqual([{ last_disposition: 'BOOKED', n: 12 }]);
      const { rows: slots } = await db.query<{ status: string; n: number }>(`select status, count(*)::int as n from slot where resource = $1 group by 1`, [`dr-${s.campaign.id}`]);
      expect(slots).toEqual([{ status: 'busy', n: 12 }]);
    });

    it('every promise of a call is kept: "we will call you back" is the robot\'s next attempt, "an operator will call" a call-back entry', async () => {
      const s = await seedCampaign(db, { personas: ['agree', 'operator'], slots: 0, now: new Date() });
      const engine = await testEngine(db, s.personaOf, { config: config() });
      const t0 = Date.now();
      try {
        await runUntilIdle(engine, s.campaign);
      } finally {
        await engine.close();
      }
      const { rows } = await db.query<{ patient_id: string; state: string; last_disposition: string; next_attempt_at: Date | null }>(
        `select patient_id, state, last_disposition, next_attempt_at from campaign_contact where campaign_id = $1 order by patient_id`, [s.campaign.id]);
      // no free time: the robot promised to call back, and will, the next day
      expect(rows[0]).toMatchObject({ state: 'pending', last_disposition: 'CALLBACK_REQUESTED' });
      expect(rows[0]!.next_attempt_at!.getTime() - t0).toBeGreaterThanOrEqual(26 * 3600_000 - 60_000);
      // no operator free: a person promised to call back, so it is on their list
      expect(rows[1]).toMatchObject({ state: 'done', last_disposition: 'TRANSFER_ABANDONED' });
      const { rows: cb } = await db.query<{ patient_id: string; reason: string; status: string }>(
        `select patient_id, reason, status from callback where campaign_id = $1`, [s.campaign.id]);
      expect(cb).toEqual([{ patient_id: s.patientIds[1], reason: 'TRANSFER_ABANDONED', status: 'open' }]);
    });

    it('a do-not-call request is stored the moment it is heard, and survives a hang-up whose write fails', async () => {
      const s = await seedCampaign(db, { personas: ['do-not-call'], slots: 0, now: new Date() });
      const cut = faultyDb(db);
      cut.refuse(/update attempt set disposition/);
      const engine = await testEngine(cut.db, s.personaOf, { config: config() });
      try {
        const run = runUntilIdle(engine, s.campaign).then(() => null, (err: unknown) => err);
        // stored the moment it is heard, before the robot's goodbye (seconds of it) has been said:
        // the call is still up when the row appears
        let rows: { source: string }[] = [];
        for (const t0 = Date.now(); !rows.length && Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 20))) {
          rows = (await db.query<{ source: string }>(`select source from do_not_call where phone = $1`, [s.phones[0]])).rows;
        }
        expect(rows).toEqual([{ source: 'patient' }]);
        expect(engine.sim!.calls[0]!.endedBy).toBeNull();
        await until(() => engine.sim!.calls[0]?.heard.some((h) => h.startsWith('Поняла')) ?? false, 'the goodbye to be heard');
        expect(await run).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
        // the next run closes the attempt once its lease lapses, and never dials the number again
        cut.refuse(null);
        await runUntilIdle(engine, s.campaign);
      } finally {
        await engine.close();
      }
      expect(engine.sim!.calls).toHaveLength(1);
      const { rows: c } = await db.query<{ state: string; last_disposition: string }>(`select state, last_disposition from campaign_contact where campaign_id = $1`, [s.campaign.id]);
      expect(c).toEqual([{ state: 'done', last_disposition: 'DNC' }]);
      expect((await db.query(`select 1 from attempt where campaign_id = $1 and disposition is null`, [s.campaign.id])).rows).toEqual([]);
    });

    it('a call that ends while the registry is away is closed by its own dialer once it returns, with its own outcome', async () => {
      const s = await seedCampaign(db, { personas: ['decline'], slots: 0, now: new Date() });
      const cut = faultyDb(db);
      cut.refuse(/update attempt set disposition/);
      const log = collectingLogger();
      const engine = await testEngine(cut.db, s.personaOf, { config: config(), log });
      const stop = new AbortController();
      try {
        const run = runCampaign(engine.deps, {
          campaign: s.campaign, dialog: () => DIALOG, trunk: engine.config.trunk, clinic: { name: 'п', timeZone: 'Europe/Moscow' },
          ...engine.config.dialer, dialerId: newDialerId(),
        }, stop.signal);
        await until(() => log.lines.some((l) => l.msg.startsWith('attempt not closed')), 'the final write to give up');
        cut.refuse(null);
        await until(() => log.lines.some((l) => l.msg === 'attempt closed once the registry came back'), 'the next sweep to close it');
        const { rows } = await db.query<{ disposition: string | null }>(`select disposition from attempt where campaign_id = $1`, [s.campaign.id]);
        expect(rows).toEqual([{ disposition: 'DECLINED' }]);
        stop.abort();
        await run;
      } finally {
        await engine.close();
      }
    });

    it('a registry that hangs (a cut network) ends the dialer\'s calls before others could take it for dead', async () => {
      const s = await seedCampaign(db, { personas: ['silent'], slots: 0, now: new Date() });
      const cut = faultyDb(db);
      const engine = await testEngine(cut.db, s.personaOf, { config: config() });
      try {
        const run = runUntilIdle(engine, s.campaign).catch((err: unknown) => err);
        await until(() => (engine.sim!.calls[0]?.heard.length ?? 0) >= 1, 'the call to be answered');
        const hungAt = Date.now();
        cut.hang(true);
        await until(() => engine.sim!.calls[0]!.endedBy === 'robot', 'the robot to hang up', liveness.leaseMs);
        expect(Date.now() - hungAt).toBeLessThan(liveness.leaseMs); // before a lease lapses
        cut.hang(false);
        await run;
        const { rows } = await db.query<{ disposition: string; error: string }>(`select disposition, error from attempt where campaign_id = $1`, [s.campaign.id]);
        expect(rows).toEqual([{ disposition: 'INTERRUPTED', error: 'REGISTRY_UNAVAILABLE' }]);
      } finally {
        await engine.close();
      }
    });

    it('the registry lost mid-run: calls that end meanwhile are closed on its return, and nobody is dialled twice', async () => {
      const s = await seedCampaign(db, { personas: ['agree', 'decline', 'agree-second'], slots: 4, now: new Date() });
      const cut = faultyDb(db);
      const engine = await testEngine(cut.db, s.personaOf, { config: config() });
      try {
        const run = runUntilIdle(engine, s.campaign);
        await until(() => engine.sim!.calls.filter((c) => c.heard.length >= 1).length === 3, 'three calls to be answered');
        cut.outage(true);
        await new Promise((r) => setTimeout(r, 1200)); // the outage itself lasts a while (PostgreSQL restarting): not a wait for a condition
        cut.outage(false);
        await run;
      } finally {
        await engine.close();
      }
      expect(engine.sim!.calls).toHaveLength(3);
      const { rows } = await db.query<{ disposition: string | null }>(`select disposition from attempt where campaign_id = $1 order by disposition`, [s.campaign.id]);
      expect(rows.every((r) => r.disposition !== null)).toBe(true);
      expect(rows).toHaveLength(3);
    });
  });
}
