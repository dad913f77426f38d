import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSlots, bookSlot, cancelVisit, confirmVisit, createCampaign, enrolPatients, linkVisit, moveVisit, offerSlots, persist, startAttempt,
  upsertPatients, visitOf, type Db,
} from '../../src/registry/index.js';
import { createSlotDesk } from '../../src/call/index.js';
import type { CampaignRules, Clock } from '../../src/core/index.js';
import { databases } from '../support/databases.js';
import { collectingLogger } from '../support/collecting-logger.js';

const rules: CampaignRules = {
  callingHours: { weekdays: ['00:00', '24:00'], saturday: ['00:00', '24:00'], sunday: ['00:00', '24:00'] },
  maxAttempts: 4, holdSlots: true, holdMs: 300_000, retryDelaysMs: {}, technicalRetryMs: 120_000, specialty: 'therapist',
};
const T0 = new Date('2026-11-24T07:00:00Z');
const HOLD_MS = 300_000;

/** A clock whose retry delays pass at once (persist() waits on it): tests never sleep. */
const instant: Clock = { now: () => T0.getTime(), setTimeout: (fn) => setImmediate(fn), clearTimeout: () => {} };

for (const target of databases) {
  describe(`visits on ${target.name}`, () => {
    let db: Db;
    let n = 0;
    beforeAll(async () => {
      db = await target.open();
    });
    afterAll(async () => db?.close());

    /**
     * `count` patients, each with a visit booked by an invitation campaign on one doctor's slots
     * 0..count-1 (slots count..count+2 stay free), enrolled in a reminder campaign whose contacts
     * are about those visits, each with its reminder call under way.
     */
    async function reminders(count: number) {
      const k = ++n;
      const resource = `dr-${target.name}-${k}`;
      const specialty = `visits-${k}`;
      const invite = await createCampaign(db, { id: `invite-${k}`, name: 'invite', kind: 'cold', dialogId: 'd', dialogVersion: '1', rules: { ...rules, specialty } });
      const remind = await createCampaign(db, { id: `remind-${k}`, name: 'remind', kind: 'warm', dialogId: 'r', dialogVersion: '1', rules: { ...rules, specialty } });
      const patientIds = await upsertPatients(db, Array.from({ length: count }, (_, i) => ({
        lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960,
        phone: `+7918${String(k).padStart(3, '0')}${String(i).padStart(4, '0')}`, timeZone: 'Europe/Moscow', tags: [],
      })));
      await enrolPatients(db, { campaignId: invite.id, patientIds, at: T0 });
      await enrolPatients(db, { campaignId: remind.id, patientIds, at: T0 });
      const slotIds = await addSlots(db, Array.from({ length: count + 3 }, (_, i) => ({ ...slotAt(resource, i), specialty })));
      const contactOf = async (campaignId: string, patientId: string) =>
        (await db.query<{ id: string }>(`select id from campaign_contact where campaign_id = $1 and patient_id = $2`, [campaignId, patientId])).rows[0]!.id;
      const visits = [];
      for (const [i, patientId] of patientIds.entries()) {
        const inviteContact = await contactOf(invite.id, patientId);
        const booker = await startAttempt(db, {
          callId: `invite-${k}-${i}`, contactId: inviteContact, campaignId: invite.id, patientId, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null,
        });
        const { bookingId } = await bookSlot(db, { slotId: slotIds[i]!, callId: `invite-${k}-${i}`, attemptId: booker, patientId, campaignId: invite.id, now: T0 });
        const contactId = await contactOf(remind.id, patientId);
        expect(await linkVisit(db, { contactId, bookingId })).toBe(true);
        const callId = `remind-${k}-${i}`;
        const attemptId = await startAttempt(db, { callId, contactId, campaignId: remind.id, patientId, dialogId: 'r', dialogVersion: '1', at: T0, dialerId: null });
        visits.push({ patientId, bookingId, slotId: slotIds[i]!, contactId, callId, attemptId });
      }
      return { resource, specialty, invite, remind, slotIds, free: slotIds.slice(count), visits };
    }

    /** Everything a move may change, to check what must stay unchanged. */
    async function snapshot(c: { resource: string; remind: { id: string } }) {
      return {
        bookings: (await db.query(`select id, slot_id, patient_id, campaign_id, status, replaces_id, cancelled_at from booking where resource = $1 order by id`, [c.resource])).rows,
        slots: (await db.query(`select id, status, hold_call_id from slot where resource = $1 order by id`, [c.resource])).rows,
        contacts: (await db.query(`select id, booking_id from campaign_contact where campaign_id = $1 order by id`, [c.remind.id])).rows,
        attempts: (await db.query(`select id, slot_id from attempt where campaign_id = $1 order by id`, [c.remind.id])).rows,
      };
    }

    /** No slot or time of the doctor booked twice, and a slot is busy exactly when it has a live booking. */
    async function expectNoDoubleBooking(resource: string) {
      const { rows: twice } = await db.query(`
        select b1.id, b2.id from booking b1 join booking b2 on b2.resource = b1.resource and b2.id > b1.id and b2.during && b1.during
        where b1.resource = $1 and b1.status <> 'cancelled' and b2.status <> 'cancelled'`, [resource]);
      expect(twice).toEqual([]);
      const { rows: astray } = await db.query(`
        select s.id from slot s where s.resource = $1
          and (s.status = 'busy') <> exists (select 1 from booking b where b.slot_id = s.id and b.status <> 'cancelled')`, [resource]);
      expect(astray).toEqual([]);
    }

    const status = async (table: 'slot' | 'booking', id: string) =>
      (await db.query<{ status: string }>(`select status from ${table} where id = $1`, [id])).rows[0]!.status;

    it('visitOf() gives the live visit a contact is about, with its slot; linkVisit() refuses another patient\'s booking', async () => {
      const c = await reminders(2);
      const [a, b] = c.visits;
      expect(await visitOf(db, { contactId: a!.contactId })).toEqual({
        bookingId: a!.bookingId, status: 'booked', confirmedAt: null,
        slot: { id: a!.slotId, resource: c.resource, specialty: c.specialty, startsAt: slotAt(c.resource, 0).startsAt, endsAt: slotAt(c.resource, 0).endsAt },
      });
      expect(await linkVisit(db, { contactId: a!.contactId, bookingId: b!.bookingId })).toBe(false);
      expect((await visitOf(db, { contactId: a!.contactId }))?.bookingId).toBe(a!.bookingId);
      const { rows: [invitee] } = await db.query<{ id: string }>(`select id from campaign_contact where campaign_id = $1 limit 1`, [c.invite.id]);
      expect(await visitOf(db, { contactId: invitee!.id })).toBeNull(); // an invitation is about no visit
    });

    it('confirmVisit() records the patient\'s yes once (the first time and attempt are kept) and leaves the booking and its slot as they were', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      const before = await snapshot(c);
      expect(await confirmVisit(db, { bookingId: v!.bookingId, attemptId: v!.attemptId, now: T0 })).toBe('confirmed');
      expect(await confirmVisit(db, { bookingId: v!.bookingId, attemptId: v!.attemptId, now: new Date(T0.getTime() + 60_000) })).toBe('confirmed');
      const { rows } = await db.query(`select confirmed_at, confirmed_attempt_id from booking where id = $1`, [v!.bookingId]);
      expect(rows).toEqual([{ confirmed_at: T0, confirmed_attempt_id: v!.attemptId }]);
      expect((await visitOf(db, { contactId: v!.contactId }))?.confirmedAt).toEqual(T0);
      expect(await snapshot(c)).toEqual(before);
    });

    it('confirmVisit(), cancelVisit() and moveVisit() of a visit the clinic cancelled meanwhile answer gone and change nothing', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      // the clinic cancels it in its MIS, and the sync frees the slot
      await db.query(`update booking set status = 'cancelled', cancelled_at = $2 where id = $1`, [v!.bookingId, T0]);
      await db.query(`update slot set status = 'free' where id = $1`, [v!.slotId]);
      const before = await snapshot(c);
      const p = { bookingId: v!.bookingId, attemptId: v!.attemptId, now: T0 };
      expect(await confirmVisit(db, p)).toBe('gone');
      expect(await cancelVisit(db, p)).toBe('gone');
      expect(await moveVisit(db, { ...p, slotId: c.free[0]!, callId: v!.callId })).toEqual({ result: 'gone' });
      expect(await snapshot(c)).toEqual(before);
      expect((await db.query(`select confirmed_at from booking where id = $1`, [v!.bookingId])).rows).toEqual([{ confirmed_at: null }]);
      expect(await visitOf(db, { contactId: v!.contactId })).toBeNull();
    });

    it('cancelVisit() cancels the booking and frees its slot in one go: the next offer gives it to another call, which can move its visit there', async () => {
      const c = await reminders(2);
      const [v, other] = c.visits;
      expect(await cancelVisit(db, { bookingId: v!.bookingId, attemptId: v!.attemptId, now: T0 })).toBe('cancelled');
      expect(await status('booking', v!.bookingId)).toBe('cancelled');
      expect(await status('slot', v!.slotId)).toBe('free');
      expect(await visitOf(db, { contactId: v!.contactId })).toBeNull();
      // a retry of the cancel whose answer was lost finds it done by this attempt; any other call finds it gone
      expect(await cancelVisit(db, { bookingId: v!.bookingId, attemptId: v!.attemptId, now: T0 })).toBe('cancelled');
      expect(await cancelVisit(db, { bookingId: v!.bookingId, attemptId: other!.attemptId, now: T0 })).toBe('gone');
      const { rows } = await db.query(`select cancelled_at, cancelled_attempt_id from booking where id = $1`, [v!.bookingId]);
      expect(rows).toEqual([{ cancelled_at: T0, cancelled_attempt_id: v!.attemptId }]);
      // the freed slot is the earliest: another patient's reminder call is offered it and moves its visit there
      const offered = await offerSlots(db, { callId: other!.callId, specialty: c.specialty, after: T0, now: T0, count: 1, holdMs: HOLD_MS });
      expect(offered.map((s) => s.id)).toEqual([v!.slotId]);
      expect(await moveVisit(db, { bookingId: other!.bookingId, slotId: v!.slotId, callId: other!.callId, attemptId: other!.attemptId, now: T0 }))
        .toMatchObject({ result: 'moved', slot: { id: v!.slotId } });
      await expectNoDoubleBooking(c.resource);
    });

    it('moveVisit() to a slot held for this call moves the visit in one transaction: old booking cancelled and its slot free, the new one booked for the same patient and campaign, contact and attempt pointed at it, the call\'s other holds released', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      const offered = await offerSlots(db, { callId: v!.callId, specialty: c.specialty, after: T0, now: T0, count: 2, holdMs: HOLD_MS });
      expect(offered.map((s) => s.id)).toEqual(c.free.slice(0, 2));
      const r = await moveVisit(db, { bookingId: v!.bookingId, slotId: c.free[1]!, callId: v!.callId, attemptId: v!.attemptId, now: T0 });
      expect(r).toEqual({ result: 'moved', bookingId: expect.any(String), slot: offered[1] });
      const newId = (r as { bookingId: string }).bookingId;
      const { rows } = await db.query(`select id, slot_id, patient_id, campaign_id, attempt_id, replaces_id, status from booking where id = any($1::bigint[]) order by id`, [[v!.bookingId, newId]]);
      expect(rows).toEqual([
        { id: v!.bookingId, slot_id: v!.slotId, patient_id: v!.patientId, campaign_id: c.invite.id, attempt_id: expect.any(String), replaces_id: null, status: 'cancelled' },
        { id: newId, slot_id: c.free[1], patient_id: v!.patientId, campaign_id: c.invite.id, attempt_id: v!.attemptId, replaces_id: v!.bookingId, status: 'booked' },
      ]);
      const { rows: slots } = await db.query(`select id, status, hold_call_id from slot where id = any($1::bigint[]) order by id`, [[v!.slotId, ...c.free]]);
      expect(slots).toEqual([
        { id: v!.slotId, status: 'free', hold_call_id: null },
        { id: c.free[0], status: 'free', hold_call_id: null }, // the other offered slot, no longer held
        { id: c.free[1], status: 'busy', hold_call_id: null },
        { id: c.free[2], status: 'free', hold_call_id: null },
      ]);
      expect((await db.query(`select booking_id from campaign_contact where id = $1`, [v!.contactId])).rows).toEqual([{ booking_id: newId }]);
      expect((await db.query(`select slot_id from attempt where id = $1`, [v!.attemptId])).rows).toEqual([{ slot_id: c.free[1] }]);
      expect(await visitOf(db, { contactId: v!.contactId })).toMatchObject({ bookingId: newId, slot: offered[1], status: 'booked' });
      await expectNoDoubleBooking(c.resource);
    });

    it('moveVisit() to a slot another patient booked, or another call holds, answers taken and changes nothing: the patient keeps the old visit', async () => {
      const c = await reminders(2);
      const [v, other] = c.visits;
      await offerSlots(db, { callId: 'another-call', specialty: c.specialty, after: T0, now: T0, count: 1, holdMs: HOLD_MS });
      const before = await snapshot(c);
      for (const slotId of [other!.slotId, c.free[0]!]) {
        expect(await moveVisit(db, { bookingId: v!.bookingId, slotId, callId: v!.callId, attemptId: v!.attemptId, now: T0 })).toEqual({ result: 'taken' });
      }
      expect(await snapshot(c)).toEqual(before);
      expect((await visitOf(db, { contactId: v!.contactId }))?.bookingId).toBe(v!.bookingId);
      // once that hold has expired, the slot is free to move to, as for bookSlot()
      const later = new Date(T0.getTime() + HOLD_MS + 1);
      expect(await moveVisit(db, { bookingId: v!.bookingId, slotId: c.free[0]!, callId: v!.callId, attemptId: v!.attemptId, now: later })).toMatchObject({ result: 'moved' });
    });

    it('moveVisit() of two patients to one free slot at once: exactly one moves, the other keeps its old visit, and no time is ever booked twice', async () => {
      for (let round = 0; round < 4; round++) {
        const c = await reminders(2);
        const target = c.free[round % c.free.length]!;
        const results = await Promise.all(c.visits.map((v) =>
          moveVisit(db, { bookingId: v.bookingId, slotId: target, callId: v.callId, attemptId: v.attemptId, now: T0 })));
        expect(results.map((r) => r.result).sort()).toEqual(['moved', 'taken']);
        const loser = c.visits[results.findIndex((r) => r.result === 'taken')]!;
        const winner = c.visits[results.findIndex((r) => r.result === 'moved')]!;
        expect(await status('booking', loser.bookingId)).toBe('booked');
        expect(await status('slot', loser.slotId)).toBe('busy');
        expect((await visitOf(db, { contactId: loser.contactId }))?.bookingId).toBe(loser.bookingId);
        expect((await visitOf(db, { contactId: winner.contactId }))?.slot.id).toBe(target);
        expect(await status('slot', winner.slotId)).toBe('free');
        const { rows: live } = await db.query<{ n: number }>(`select count(*)::int as n from booking where slot_id = $1 and status <> 'cancelled'`, [target]);
        expect(live[0]!.n).toBe(1);
        await expectNoDoubleBooking(c.resource);
        // and the constraints refuse what the lock refused
        await expect(db.query(`insert into booking (slot_id, patient_id, resource, during) select id, $2, resource, tstzrange(starts_at, ends_at) from slot where id = $1`,
          [target, loser.patientId])).rejects.toMatchObject({ code: expect.stringMatching(/^(23505|23P01)$/) });
      }
    });

    it('moveVisit() of two patients into each other\'s slots at once answers taken to both, with no deadlock, and leaves both visits', async () => {
      const c = await reminders(2);
      const [a, b] = c.visits;
      const before = await snapshot(c);
      // On PostgreSQL each move, once it holds its first slot, waits until the other holds one
      // too or is waiting for a lock: locking its own old slot first, each would then wait for
      // the other's (a deadlock, 40P01); in slot id order the second waits for the first to end.
      // PGlite runs one transaction at a time.
      let holding = 0;
      const lockWaits = async () => (await db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0]!.n;
      const crossing: Db = {
        ...db,
        tx: (fn) => db.tx((t) => {
          let first = true;
          return fn({
            ...t,
            query: async (sql, params) => {
              const r = await t.query(sql, params);
              if (first && /^select \* from slot where id = \$1 for update$/.test(sql)) {
                first = false;
                holding++;
                for (let tries = 0; holding < 2 && (await lockWaits()) === 0; tries++) {
                  if (tries > 5000) throw new Error('the other move neither locked a slot nor waited for one');
                }
              }
              return r as never;
            },
          });
        }),
      };
      const via = target.name === 'postgres' ? crossing : db;
      const results = await Promise.all([
        moveVisit(via, { bookingId: a!.bookingId, slotId: b!.slotId, callId: a!.callId, attemptId: a!.attemptId, now: T0 }),
        moveVisit(via, { bookingId: b!.bookingId, slotId: a!.slotId, callId: b!.callId, attemptId: b!.attemptId, now: T0 }),
      ]);
      expect(results).toEqual([{ result: 'taken' }, { result: 'taken' }]);
      expect(await snapshot(c)).toEqual(before);
    });

    it('moveVisit() retried after its answer was lost (the commit went through) returns the same booking and changes nothing more', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      let lose = true;
      // the transaction commits, then the connection drops before the answer arrives
      const lossy: Db = {
        ...db,
        tx: async (fn) => {
          const r = await db.tx(fn);
          if (lose) {
            lose = false;
            throw Object.assign(new Error('Connection terminated unexpectedly'), { errno: -104 });
          }
          return r;
        },
      };
      const log = collectingLogger();
      const p = { bookingId: v!.bookingId, slotId: c.free[0]!, callId: v!.callId, attemptId: v!.attemptId, now: T0 };
      const r = await persist(() => moveVisit(lossy, p), { clock: instant, log, what: 'a move', budgetMs: 10_000 });
      expect(log.lines.map((l) => l.msg)).toEqual(['registry unreachable; retrying']);
      expect(r).toMatchObject({ result: 'moved', slot: { id: c.free[0] } });
      const after = await snapshot(c);
      expect(after.bookings).toHaveLength(2);
      expect(after.bookings[1]).toMatchObject({ id: (r as { bookingId: string }).bookingId, slot_id: c.free[0], status: 'booked', replaces_id: v!.bookingId });
      // and a plain second call with the same arguments is the same retry
      expect(await moveVisit(db, p)).toEqual(r);
      expect(await snapshot(c)).toEqual(after);
    });

    it('moveVisit() to a slot of the same doctor that overlaps the old visit moves it: the old booking is cancelled before the new one is inserted', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      const old = slotAt(c.resource, 0);
      const [overlapping] = await addSlots(db, [{
        resource: c.resource, specialty: c.specialty, startsAt: new Date(old.startsAt.getTime() + 10 * 60_000), endsAt: new Date(old.endsAt.getTime() + 10 * 60_000),
      }]);
      const r = await moveVisit(db, { bookingId: v!.bookingId, slotId: overlapping!, callId: v!.callId, attemptId: v!.attemptId, now: T0 });
      expect(r).toMatchObject({ result: 'moved', slot: { id: overlapping } });
      await expectNoDoubleBooking(c.resource);
    });

    it('createSlotDesk() reads the visit, follows it through a move and a cancel, and a rehearsal changes nothing and logs that it did not', async () => {
      const c = await reminders(1);
      const [v] = c.visits;
      const log = collectingLogger();
      const desk = (rehearsal: boolean) => createSlotDesk({
        db, clock: instant, log, campaign: c.remind, callId: v!.callId, attemptId: v!.attemptId, patientId: v!.patientId, contactId: v!.contactId,
        retryMs: 10_000, rehearsal,
      });
      const trial = desk(true);
      const before = await snapshot(c);
      expect((await trial.visit())?.id).toBe(v!.slotId);
      expect(await trial.confirmVisit()).toBe('confirmed');
      expect(await trial.moveVisit({ ...slotAt(c.resource, 3), id: c.free[0]!, specialty: c.specialty })).toBe('moved');
      expect(await trial.cancelVisit()).toBe('cancelled');
      expect(await snapshot(c)).toEqual(before);
      expect(log.lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['rehearsal: visit not confirmed', 'rehearsal: visit not moved', 'rehearsal: visit not cancelled']);

      const real = desk(false);
      expect(await real.confirmVisit()).toBe('confirmed');
      const offered = await offerSlots(db, { callId: v!.callId, specialty: c.specialty, after: T0, now: T0, count: 1, holdMs: HOLD_MS });
      expect(await real.moveVisit(offered[0]!)).toBe('moved');
      expect(await real.visit()).toEqual(offered[0]);
      expect(await real.cancelVisit()).toBe('cancelled');
      expect(await real.visit()).toBeNull();
      expect(await real.confirmVisit()).toBe('gone');
      expect(await real.moveVisit(offered[0]!)).toBe('gone');
      const { rows } = await db.query<{ status: string }>(`select status from booking where resource = $1 order by id`, [c.resource]);
      expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
      expect(await status('slot', offered[0]!.id)).toBe('free');
      await expectNoDoubleBooking(c.resource);
    });
  });
}

function slotAt(resource: string, i: number) {
  const startsAt = new Date(Date.UTC(2026, 11, 1, 6, 0) + i * 20 * 60_000);
  return { resource, specialty: 'unused', startsAt, endsAt: new Date(startsAt.getTime() + 20 * 60_000) };
}
