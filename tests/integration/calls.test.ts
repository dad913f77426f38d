import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type TranscriptLine } from '../../src/core/index.js';
import { offerSlots, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';
import { runUntilIdle, seedCampaign, testEngine, until } from '../support/engine.js';
import { loadScript } from '../../src/dialog/index.js';

/**
 * Whole calls through every layer: the dialer, the simulated network's callees over real UDP
 * RTP (G.711), the reference speech server over real gRPC on 127.0.0.1, the xstate dialog, and
 * the registry (PGlite, and PostgreSQL when ZVONAR_TEST_DATABASE_URL is set).
 */
for (const target of databases) {
  describe(`calls on ${target.name}`, () => {
    // A database per test: every test's slots are the clinic's only free ones.
    let db: Db;
    beforeEach(async () => {
      db = await target.open();
    });
    afterEach(async () => db?.close());

    interface AttemptRow {
      id: string; call_id: string; disposition: string; sip_status: number | null; slot_id: string | null;
      counted: boolean; transcript: TranscriptLine[]; answered_at: Date | null; error: string | null;
    }
    const attempts = async (campaignId: string) =>
      (await db.query<AttemptRow>(`select * from attempt where campaign_id = $1 order by id`, [campaignId])).rows;

    it('a callee who agrees is booked: attempt, booking and slot are written together', async () => {
      const now = new Date();
      const s = await seedCampaign(db, { personas: ['agree'], slots: 3, now });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign);
        const [a] = await attempts(s.campaign.id);
        expect(a).toMatchObject({ disposition: 'BOOKED', sip_status: 200, counted: true, error: null });
        const { rows: bookings } = await db.query<{ slot_id: string; attempt_id: string; status: string }>(
          `select slot_id, attempt_id, status from booking where attempt_id = $1`, [a!.id]);
        expect(bookings).toEqual([{ slot_id: a!.slot_id, attempt_id: a!.id, status: 'booked' }]);
        // the first offered (earliest) slot is booked and busy; the other offered one is free again
        expect(a!.slot_id).toBe(s.slotIds[0]);
        const { rows: slots } = await db.query<{ id: string; status: string }>(`select id, status from slot where id = any($1::bigint[]) order by id`, [s.slotIds]);
        expect(slots.map((x) => x.status)).toEqual(['busy', 'free', 'free']);
        // words went through real audio both ways: the callee heard its name, the robot heard "Первое"
        const sim = engine.sim!.calls.find((c) => c.callId === a!.call_id)!;
        expect(sim.heard[0]).toContain('Анна Петровна');
        expect(sim.heard.at(-1)).toMatch(/^Записала вас во? \S+, \S+ \S+, в /);
        expect(a!.transcript.filter((l) => l.who === 'callee').map((l) => l.intent)).toEqual(['yes', 'choose']);
        const { rows: contact } = await db.query<{ state: string; attempts: number; lease_owner: string | null }>(
          `select state, attempts, lease_owner from campaign_contact where campaign_id = $1`, [s.campaign.id]);
        expect(contact).toEqual([{ state: 'done', attempts: 1, lease_owner: null }]);
      } finally {
        await engine.close();
      }
    });

    it('an English script books an English-speaking callee, words carried through the same audio', async () => {
      const s = await seedCampaign(db, { personas: ['agree-second', 'decline'], slots: 2, now: new Date() });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign, {}, loadScript('dialogs/dispanserization-invite-en.yaml'));
        const rows = await attempts(s.campaign.id);
        expect(rows.map((a) => a.disposition).sort()).toEqual(['BOOKED', 'DECLINED']);
        const booked = rows.find((a) => a.disposition === 'BOOKED')!;
        expect(booked.slot_id).toBe(s.slotIds[1]); // "The second time"
        const sim = engine.sim!.calls.find((c) => c.callId === booked.call_id)!;
        expect(sim.heard[0]).toMatch(/^Hello, Анна!/);
        expect(sim.heard.at(-1)).toMatch(/^You are booked on \w+day, /);
      } finally {
        await engine.close();
      }
    });

    it('busy, unreachable and declining callees get their own dispositions and retry times', async () => {
      const now = new Date();
      const s = await seedCampaign(db, { personas: ['busy', 'unreachable', 'decline', 'do-not-call'], slots: 0, now });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign);
        const { rows } = await db.query<{ phone: string; disposition: string; sip_status: number; state: string; next_attempt_at: Date | null }>(
          `select c.phone, a.disposition, a.sip_status, c.state, c.next_attempt_at
           from attempt a join campaign_contact c on c.id = a.campaign_contact_id where a.campaign_id = $1 order by c.phone`, [s.campaign.id]);
        expect(rows.map((r) => [r.disposition, r.sip_status, r.state])).toEqual([
          ['BUSY', 486, 'pending'], ['UNREACHABLE', 480, 'pending'], ['DECLINED', 200, 'done'], ['DNC', 200, 'done'],
        ]);
        const busyDelay = rows[0]!.next_attempt_at!.getTime() - Date.now();
        expect(busyDelay).toBeGreaterThan(19 * 60_000);
        expect(busyDelay).toBeLessThanOrEqual(20 * 60_000);
        const { rows: dnc } = await db.query(`select reason from do_not_call where phone = $1`, [s.phones[3]]);
        expect(dnc).toHaveLength(1);
      } finally {
        await engine.close();
      }
    });

    it('a callee who asks to be called back tomorrow after six gets that as the contact\'s next attempt', async () => {
      const now = new Date();
      const s = await seedCampaign(db, { personas: ['call-back'], slots: 2, now });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign);
        const [a] = await attempts(s.campaign.id);
        expect(a!.disposition).toBe('CALLBACK_REQUESTED');
        const { rows } = await db.query<{ next_attempt_at: Date; state: string }>(`select next_attempt_at, state from campaign_contact where campaign_id = $1`, [s.campaign.id]);
        // the patient's zone is Moscow (UTC+3 all year): tomorrow 18:00 there is 15:00 UTC
        const moscowToday = new Date(now.getTime() + 3 * 3600_000);
        const expected = Date.UTC(moscowToday.getUTCFullYear(), moscowToday.getUTCMonth(), moscowToday.getUTCDate() + 1, 15, 0, 0);
        expect(rows[0]).toMatchObject({ state: 'pending' });
        expect(rows[0]!.next_attempt_at.getTime()).toBe(expected);
        expect(a!.transcript.filter((l) => l.who === 'robot').at(-1)!.text).toMatch(/^Договорились, перезвоним во? \S+, \d+ \S+, в 18:00\. До свидания\.$/);
      } finally {
        await engine.close();
      }
    });

    it('a callee who never answers is cancelled at the ring timeout and recorded NO_ANSWER (487)', async () => {
      const clock = new ManualClock(new Date());
      const s = await seedCampaign(db, { personas: ['no-answer'], slots: 0, now: new Date(clock.now()) });
      const engine = await testEngine(db, s.personaOf, { clock });
      try {
        const run = runUntilIdle(engine, s.campaign);
        await until(() => engine.sim!.calls.length === 1, 'the INVITE');
        // time passes as it would: each heartbeat due lands in the registry before the clock goes
        // on (a loaded machine answers slower than the fake clock moves; the fence would fall)
        const beatMs = engine.config.dialer.heartbeatMs;
        for (let t = 0; t < 22_999; t += 1000) {
          clock.advance(Math.min(1000, 22_999 - t));
          for (let i = 0; i < 500; i++) {
            const { rows } = await db.query<{ at: Date | null }>(`select max(heartbeat_at) as at from dialer`);
            if (rows[0]?.at && clock.now() - rows[0].at.getTime() < beatMs) break;
            await new Promise((r) => setTimeout(r, 2));
          }
        }
        expect((await attempts(s.campaign.id))[0]!.disposition).toBeNull(); // still ringing
        clock.advance(1);
        await run;
        const [a] = await attempts(s.campaign.id);
        expect(a).toMatchObject({ disposition: 'NO_ANSWER', sip_status: 487, answered_at: null, counted: true });
        expect(engine.sim!.calls[0]!.outcome).toBe('cancelled');
        const { rows } = await db.query<{ next_attempt_at: Date }>(`select next_attempt_at from campaign_contact where campaign_id = $1`, [s.campaign.id]);
        expect(rows[0]!.next_attempt_at.getTime() - clock.now()).toBe(4 * 3600_000);
      } finally {
        await engine.close();
      }
    });

    it('a callee who hangs up mid-call ends EARLY_HANGUP; one who asks for an operator, with none on duty, ends TRANSFER_ABANDONED', async () => {
      const s = await seedCampaign(db, { personas: ['hang-up', 'operator'], slots: 0, now: new Date() });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign);
        expect((await attempts(s.campaign.id)).map((a) => a.disposition).sort()).toEqual(['EARLY_HANGUP', 'TRANSFER_ABANDONED']);
      } finally {
        await engine.close();
      }
    });

    it('two concurrent calls offered the same slot never both book it', async () => {
      // no holds (an MIS without them, e.g. N3 HubService): both calls are offered the same earliest slot
      const s = await seedCampaign(db, { personas: ['agree', 'agree'], slots: 2, rules: { holdSlots: false }, now: new Date() });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign, { maxChannels: 2 });
        const rows = await attempts(s.campaign.id);
        const offered = rows.map((a) => a.transcript.find((l) => l.text.startsWith('offered'))!.text);
        expect(offered[0]).toBe(offered[1]); // both heard the same two slots
        expect(rows.map((a) => a.disposition)).toEqual(['BOOKED', 'BOOKED']);
        expect(new Set(rows.map((a) => a.slot_id)).size).toBe(2); // the loser was re-offered and booked the other
        const { rows: perSlot } = await db.query<{ slot_id: string; n: number }>(
          `select slot_id, count(*)::int as n from booking where slot_id = any($1::bigint[]) group by slot_id`, [s.slotIds]);
        expect(perSlot.every((r) => r.n === 1)).toBe(true);
        expect(rows.some((a) => a.transcript.some((l) => l.text === 'slot 1 taken'))).toBe(true);
      } finally {
        await engine.close();
      }
    });

    it('a call offered only slots that others hold loses two at most, then is told there is no time: it does not go round until the call runs out', async () => {
      // every slot held by a call of a dialer that died: its holds stay until they expire
      const s = await seedCampaign(db, { personas: ['agree'], slots: 3, now: new Date() });
      await offerSlots(db, { callId: 'dead-dialer-call', specialty: 'therapist', after: new Date(), now: new Date(), count: 3, holdMs: 600_000 });
      const engine = await testEngine(db, s.personaOf);
      try {
        await runUntilIdle(engine, s.campaign);
        const [a] = await attempts(s.campaign.id);
        expect(a).toMatchObject({ disposition: 'CALLBACK_REQUESTED', slot_id: null });
        const taken = a!.transcript.filter((l) => /^slot \d taken$/.test(l.text)).map((l) => l.text);
        expect(taken).toHaveLength(2);
        const offered = a!.transcript.filter((l) => l.text.startsWith('offered')).map((l) => l.text);
        expect(new Set(offered).size).toBe(offered.length); // never the same offer twice
        const { rows } = await db.query<{ hold_call_id: string | null }>(`select hold_call_id from slot where id = any($1::bigint[])`, [s.slotIds]);
        expect(rows.every((r) => r.hold_call_id === 'dead-dialer-call')).toBe(true);
      } finally {
        await engine.close();
      }
    });
  });
}
