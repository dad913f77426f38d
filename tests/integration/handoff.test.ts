/**
 * Handoffs over the real call path: the simulated network (its callees and the operators' desk
 * phones on real UDP RTP), the modem voice over gRPC, the dialer, the operator hub and the
 * registry on PGlite and PostgreSQL. The operator's clicks are the hub's methods here; the
 * console's own test drives them from Chromium (tests/e2e/console.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextStep } from '../../src/dialer/index.js';
import { loadScript } from '../../src/dialog/index.js';
import type { Engine } from '../../src/app/index.js';
import { bookForHandoff, changeVisitForHandoff, readHandoff, saveAccount, wrapUpHandoff, type Account, type Db } from '../../src/registry/index.js';
import type { PersonaName } from '../../src/sim/index.js';
import { databases } from '../support/databases.js';
import { runUntilIdle, seedCampaign, testConfig, testEngine, until } from '../support/engine.js';

const OPERATOR_PHONE = '+79990000001';

async function operator(db: Db, phone = OPERATOR_PHONE): Promise<Account> {
  const id = await saveAccount(db, { login: 'maria', name: 'Мария Петрова', role: 'operator', passwordHash: 'x', languages: ['ru'], skills: ['dispanserization'], phone });
  return { id, login: 'maria', name: 'Мария Петрова', role: 'operator', languages: ['ru'], skills: ['dispanserization'], phone, disabled: false };
}

async function attemptsOf(db: Db, campaignId: string) {
  const { rows } = await db.query<{ disposition: string; transcript: { text: string }[]; hangup_by: string | null; id: string }>(
    `select id, disposition, transcript, hangup_by from attempt where campaign_id = $1 order by id`, [campaignId]);
  return rows;
}

for (const d of databases) {
  describe(`handoff to an operator (${d.name})`, () => {
    let db: Db;
    let engine: Engine | null = null;
    beforeEach(async () => {
      db = await d.open();
    });
    afterEach(async () => {
      await engine?.close();
      engine = null;
      await db.close();
    });

    async function start(callee: PersonaName, desk: PersonaName, now = new Date()) {
      const seeded = await seedCampaign(db, { personas: [callee], slots: 4, now });
      engine = await testEngine(db, new Map([...seeded.personaOf, [OPERATOR_PHONE, desk]]));
      return seeded;
    }

    it('an operator takes the call from the console: context and transcript on screen, bridged audio, booking and wrap-up in the registry', async () => {
      const seeded = await start('operator', 'operator-phone');
      const hub = engine!.operators;
      const maria = await operator(db);
      hub.signIn(maria);
      hub.setPresence(maria.id, 'available');
      const offers: Parameters<Parameters<typeof hub.on<'offer'>>[1]>[0][] = [];
      hub.on('offer', (o) => offers.push(o));
      const ended = new Promise<{ handoffId: string }>((resolve) => hub.on('ended', resolve));
      const connected = new Promise<{ handoffId: string }>((resolve) => hub.on('connected', resolve));
      const running = runUntilIdle(engine!, seeded.campaign);
      await until(() => offers.length > 0, 'the offer');
      // the desk phone rings with the offer and says who calls (the sim decodes the modem voice)
      const desk = () => engine!.sim!.calls.find((c) => c.to.startsWith('+7999'));
      await until(() => desk()?.heard.some((t) => t.includes('Звонок от робота')) === true, 'the whisper on the desk phone');
      await hub.accept(maria.id, offers[0]!.handoff.id);
      const { handoffId } = await connected;
      expect(offers).toHaveLength(1);
      const pop = offers[0]!.handoff;
      expect(pop.context.patient.name).toBe('Иванова Анна Петровна');
      expect(pop.context.patient.ageBand).toMatch(/^\d0-\d9$/);
      expect(pop.context.patient.phone).toContain('***');
      expect(pop.context.reason).toContain('оператор');
      expect(pop.context.notes).toContain('диспансеризация');
      expect(pop.transcript.map((l) => l.text).join(' ')).toContain('Соедините меня с оператором');
      expect(hub.operator(maria.id)!.presence).toBe('busy');
      expect(desk()).toMatchObject({ outcome: 'answered' });
      // the operator books from the console while they talk
      const booked = await bookForHandoff(db, { handoffId, accountId: maria.id, slotId: seeded.slotIds[2]!, now: new Date() });
      expect('bookingId' in booked).toBe(true);
      // a booking not this patient's is refused, whoever's it is
      expect(await changeVisitForHandoff(db, { handoffId, accountId: maria.id, bookingId: '999999', now: new Date(), cancel: true })).toEqual({ error: 'booking 999999 is not this patient\'s' });
      hub.hangup(maria.id, handoffId);
      await ended;
      await running;
      expect(hub.operator(maria.id)!.presence).toBe('wrap-up');
      const [a] = await attemptsOf(db, seeded.campaign.id);
      expect(a!.disposition).toBe('TRANSFERRED');
      expect(a!.transcript.map((l) => l.text).join('\n')).toMatch(/handed to operators \(dispanserization\): connected \(maria\)/);
      const step = nextStep({ disposition: 'BOOKED', attempts: 1, sameBefore: 0, now: new Date() }, seeded.campaign.rules);
      expect(await wrapUpHandoff(db, { handoffId, accountId: maria.id, disposition: 'BOOKED', note: 'записала к терапевту', now: new Date(), step })).toEqual({ ok: true });
      // a second wrap-up changes nothing
      expect((await wrapUpHandoff(db, { handoffId, accountId: maria.id, disposition: 'DECLINED', note: null, now: new Date(), step })).ok).toBe(false);
      const h = await readHandoff(db, handoffId);
      expect(h).toMatchObject({ outcome: 'connected', accepted_by: maria.id, disposition: 'BOOKED', note: 'записала к терапевту' });
      const { rows } = await db.query<{ disposition: string; operator_id: string; slot_id: string; state: string; bookings: number }>(
        `select a.disposition, a.operator_id, a.slot_id, c.state, (select count(*)::int from booking b where b.patient_id = a.patient_id and b.status = 'booked') as bookings
         from attempt a join campaign_contact c on c.id = a.campaign_contact_id where a.campaign_id = $1`, [seeded.campaign.id]);
      expect(rows[0]).toMatchObject({ disposition: 'BOOKED', operator_id: maria.id, slot_id: seeded.slotIds[2], state: 'done', bookings: 1 });
      hub.wrapUpDone(maria.id);
      expect(hub.operator(maria.id)!.presence).toBe('available');
    });

    it('the operator takes the call by pressing 1 on the desk phone after the whisper; a second take is refused', async () => {
      const seeded = await start('operator', 'operator-phone-key');
      const hub = engine!.operators;
      const maria = await operator(db);
      hub.signIn(maria);
      hub.setPresence(maria.id, 'available');
      const connected = new Promise<{ handoffId: string }>((resolve) => hub.on('connected', resolve));
      const running = runUntilIdle(engine!, seeded.campaign);
      const { handoffId } = await connected;
      expect(engine!.sim!.calls.find((c) => c.to.startsWith('+7999'))?.said).toContain('(pressed 1)');
      await expect(hub.accept(maria.id, handoffId)).rejects.toMatchObject({ code: 'HANDOFF_GONE' });
      hub.hangup(maria.id, handoffId);
      await running;
      expect((await attemptsOf(db, seeded.campaign.id))[0]!.disposition).toBe('TRANSFERRED');
    });

    it('a callee who hangs up while waiting withdraws the offer at once, and the attempt is TRANSFER_ABANDONED with the wait', async () => {
      const seeded = await start('operator-impatient', 'operator-phone');
      const hub = engine!.operators;
      const maria = await operator(db);
      hub.signIn(maria);
      hub.setPresence(maria.id, 'available');
      const withdrawn: { why: string; at: number }[] = [];
      hub.on('withdrawn', (w) => withdrawn.push({ why: w.why, at: Date.now() }));
      let offeredId = '';
      hub.on('offer', (o) => {
        offeredId = o.handoff.id;
      });
      await runUntilIdle(engine!, seeded.campaign);
      expect(withdrawn).toEqual([expect.objectContaining({ why: 'the callee hung up' })]);
      expect(hub.queue()).toEqual([]);
      expect(hub.operator(maria.id)!.presence).toBe('available');
      expect(hub.operator(maria.id)!.handoffId).toBeNull();
      const [a] = await attemptsOf(db, seeded.campaign.id);
      expect(a).toMatchObject({ disposition: 'TRANSFER_ABANDONED', hangup_by: 'callee' });
      const h = await readHandoff(db, offeredId);
      expect(h).toMatchObject({ outcome: 'abandoned' });
      expect(h!.wait_ms).toBeGreaterThan(0);
      // nobody promised is lost: the operators' call-back list has the contact
      const { rows } = await db.query(`select reason from callback where campaign_id = $1 and status = 'open'`, [seeded.campaign.id]);
      expect(rows).toEqual([{ reason: 'TRANSFER_ABANDONED' }]);
      await expect(hub.accept(maria.id, offeredId)).rejects.toMatchObject({ code: 'HANDOFF_GONE' });
    });

    it('nobody takes the call within the wait: the robot offers a call-back and the time named becomes the contact\'s next attempt', async () => {
      const now = new Date();
      const seeded = await start('operator-then-call-back', 'operator-phone', now);
      const hub = engine!.operators;
      const maria = await operator(db);
      hub.signIn(maria);
      hub.setPresence(maria.id, 'available'); // on duty, but does not take the call
      const withdrawn: string[] = [];
      hub.on('withdrawn', (w) => withdrawn.push(w.why));
      const script = loadScript('invite-short-wait.yaml', readFileSync('dialogs/dispanserization-invite.yaml', 'utf8').replace('wait: 40', 'wait: 5'));
      await runUntilIdle(engine!, seeded.campaign, undefined, script);
      const [a] = await attemptsOf(db, seeded.campaign.id);
      expect(a!.disposition).toBe('CALLBACK_REQUESTED');
      const texts = a!.transcript.map((l) => l.text).join('\n');
      expect(texts).toMatch(/handed to operators \(dispanserization\): unanswered after [5-9]\.\d s/);
      expect(texts).toContain('Пожалуйста, оставайтесь на линии');
      const { rows } = await db.query<{ next_attempt_at: Date; state: string }>(`select next_attempt_at, state from campaign_contact where campaign_id = $1`, [seeded.campaign.id]);
      // "завтра после шести": 18:00 tomorrow on the callee's clock (Moscow)
      const at = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', minute: '2-digit', day: '2-digit' }).format(rows[0]!.next_attempt_at);
      const tomorrow = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', day: '2-digit' }).format(new Date(now.getTime() + 86_400_000));
      expect(rows[0]!.state).toBe('pending');
      expect(at).toBe(`${tomorrow}, 18:00`);
      // the wait (5 s) ran out before the offer did (15 s): the offer was withdrawn, the operator is still on duty
      expect(withdrawn).toEqual(['the wait ran out']);
      expect(hub.operator(maria.id)!.presence).toBe('available');
    }, 60_000);

    it('an offer not taken in offerMs moves to the next longest-idle operator, and the one who let it ring out is set away; a declined one moves on at once', async () => {
      const seeded = await seedCampaign(db, { personas: ['operator'], slots: 2, now: new Date() });
      engine = await testEngine(db, new Map([...seeded.personaOf, [OPERATOR_PHONE, 'operator-phone'], ['+79990000002', 'operator-phone'], ['+79990000003', 'operator-phone']]), {
        config: testConfig({ operators: { offerMs: 3_000 } }),
      });
      const hub = engine.operators;
      const accounts: Account[] = [];
      for (const [i, login] of ['anna', 'boris', 'vera'].entries()) {
        const phone = `+7999000000${i + 1}`;
        const id = await saveAccount(db, { login, name: login, role: 'operator', passwordHash: 'x', languages: ['ru'], skills: ['*'], phone });
        accounts.push({ id, login, name: login, role: 'operator', languages: ['ru'], skills: ['*'], phone, disabled: false });
      }
      // available in this order: anna has been idle longest, then boris, then vera
      for (const a of accounts) {
        hub.signIn(a);
        hub.setPresence(a.id, 'available');
        await new Promise((r) => setTimeout(r, 5));
      }
      const offers: { to: string; at: number }[] = [];
      hub.on('offer', (o) => {
        offers.push({ to: accounts.find((a) => a.id === o.operatorId)!.login, at: Date.now() });
        // boris declines at once; vera takes it
        if (o.operatorId === accounts[1]!.id) hub.decline(o.operatorId, o.handoff.id);
        if (o.operatorId === accounts[2]!.id) void hub.accept(o.operatorId, o.handoff.id).then(() => hub.hangup(o.operatorId, o.handoff.id));
      });
      await runUntilIdle(engine, seeded.campaign);
      expect(offers.map((o) => o.to)).toEqual(['anna', 'boris', 'vera']);
      expect(offers[1]!.at - offers[0]!.at).toBeGreaterThanOrEqual(2_900); // anna's offer rang out
      expect(offers[2]!.at - offers[1]!.at).toBeLessThan(1_000); // boris's decline moved it on at once
      expect(hub.operator(accounts[0]!.id)!.presence).toBe('away');
      expect(hub.operator(accounts[1]!.id)!.presence).toBe('available');
      expect((await attemptsOf(db, seeded.campaign.id))[0]!.disposition).toBe('TRANSFERRED');
    }, 60_000);

    it('with no operator on duty the handoff is unavailable at once, recorded with no wait', async () => {
      const seeded = await start('operator', 'operator-phone');
      await runUntilIdle(engine!, seeded.campaign);
      const [a] = await attemptsOf(db, seeded.campaign.id);
      expect(a!.disposition).toBe('TRANSFER_ABANDONED');
      const { rows } = await db.query(`select outcome, wait_ms from handoff where attempt_id = $1`, [a!.id]);
      expect(rows).toEqual([{ outcome: 'unavailable', wait_ms: 0 }]);
    });
  });
}

