import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRules } from '../../src/core/index.js';
import { DEFAULT_CALLING_HOURS, leaseRules, verdict, campaignRules } from '../../src/dialer/index.js';
import {
  addSlots, bookSlot, cancelVisit, createCampaign, enrolPatients, finishAttempt, leaseDueContacts, moveVisit, startAttempt, upsertPatients, type Db,
} from '../../src/registry/index.js';
import { databases } from '../support/databases.js';

/**
 * Warm campaigns fed by bookings (issue 12): a booking the cold campaign makes enrols the patient
 * in the reminder campaign the day before the visit; the reminder call that moves the visit moves
 * the reminder too; a cancelled visit withdraws it; a visit too close gets none. The reminder is
 * called at the right local time: the warm campaign's calling hours in the patient's zone.
 */
const cold: CampaignRules = {
  callingHours: DEFAULT_CALLING_HOURS.cold, maxAttempts: 4, holdSlots: false, holdMs: 60_000, retryDelaysMs: {}, technicalRetryMs: 120_000, specialty: 'therapist',
};
const warm: CampaignRules = { ...cold, callingHours: DEFAULT_CALLING_HOURS.warm, maxAttempts: 3 };
// Monday 7 December 2026, 10:00 in Vladivostok (UTC+10)
const T0 = new Date('2026-12-07T00:00:00Z');
const H = 3_600_000;

for (const target of databases) {
  describe(`reminders enrolled by bookings, on ${target.name}`, () => {
    let db: Db;
    let n = 0;
    beforeAll(async () => {
      db = await target.open();
    });
    afterAll(async () => db?.close());

    async function setup() {
      const k = ++n;
      await createCampaign(db, { id: `remind-${k}`, name: 'reminders', kind: 'warm', dialogId: 'r', dialogVersion: '1', rules: warm });
      await createCampaign(db, {
        id: `invite-${k}`, name: 'invite', kind: 'cold', dialogId: 'd', dialogVersion: '1',
        rules: { ...cold, reminders: { campaignId: `remind-${k}`, beforeMinutes: 1440, minLeadMinutes: 180 } },
      });
      const [patientId] = await upsertPatients(db, [{ lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960, phone: `+7914000${String(k).padStart(4, '0')}`, timeZone: 'Asia/Vladivostok', tags: [] }]);
      await enrolPatients(db, { campaignId: `invite-${k}`, patientIds: [patientId!], at: T0 });
      // visits on Thursday 10 December at 09:00 and Friday 11 December at 15:00, Vladivostok time; and one in two hours
      const slots = await addSlots(db, [
        { resource: `dr-${k}`, specialty: 'therapist', startsAt: new Date('2026-12-09T23:00:00Z'), endsAt: new Date('2026-12-09T23:20:00Z') },
        { resource: `dr-${k}`, specialty: 'therapist', startsAt: new Date('2026-12-11T05:00:00Z'), endsAt: new Date('2026-12-11T05:20:00Z') },
        { resource: `dr-${k}`, specialty: 'therapist', startsAt: new Date(T0.getTime() + 2 * H), endsAt: new Date(T0.getTime() + 2.3 * H) },
      ]);
      return { k, patientId: patientId!, slots, invite: `invite-${k}`, remind: `remind-${k}` };
    }

    async function call(campaignId: string, now: Date, owner: string) {
      const [l] = await leaseDueContacts(db, { campaignId, now, limit: 1, leaseMs: 60_000, owner, rules: leaseRules(campaignId.startsWith('remind') ? warm : cold) });
      if (!l) return null;
      const callId = `call-${owner}-${n}`;
      const attemptId = await startAttempt(db, { callId, contactId: l.id, campaignId, patientId: l.patient.id, dialogId: 'd', dialogVersion: '1', at: now, dialerId: null });
      return { contact: l, callId, attemptId };
    }
    const reminder = async (campaignId: string) =>
      (await db.query<{ state: string; next_attempt_at: Date | null; booking_id: string | null; last_disposition: string | null }>(
        `select state, next_attempt_at, booking_id, last_disposition from campaign_contact where campaign_id = $1`, [campaignId])).rows;

    it('a booking enrols the reminder the day before the visit, called at 09:00 local when that falls before the window', async () => {
      const s = await setup();
      const c = (await call(s.invite, T0, 'a'))!;
      const { bookingId } = await bookSlot(db, { slotId: s.slots[0]!, callId: c.callId, attemptId: c.attemptId, patientId: s.patientId, campaignId: s.invite, now: T0 });
      const [r] = await reminder(s.remind);
      expect(r).toMatchObject({ state: 'pending', booking_id: bookingId });
      expect(r!.next_attempt_at!.toISOString()).toBe('2026-12-08T23:00:00.000Z'); // 24 h before: Wednesday 09:00 in Vladivostok
      // Wednesday 08:59 local: not yet (before the window and before due); 09:00: called
      const v = verdict({ state: 'pending', nextAttemptAt: r!.next_attempt_at, timeZone: 'Asia/Vladivostok', doNotCall: false }, campaignRules(warm), new Date('2026-12-08T12:00:00Z'));
      expect(v).toMatchObject({ call: false, notBefore: new Date('2026-12-08T23:00:00Z') });
      expect(await leaseDueContacts(db, { campaignId: s.remind, now: new Date('2026-12-08T22:59:00Z'), limit: 1, leaseMs: 60_000, owner: 'x', rules: leaseRules(warm) })).toEqual([]);
    });

    it('the reminder call that moves the visit moves the reminder; a cancelled visit withdraws it', async () => {
      const s = await setup();
      const c = (await call(s.invite, T0, 'a'))!;
      const { bookingId } = await bookSlot(db, { slotId: s.slots[0]!, callId: c.callId, attemptId: c.attemptId, patientId: s.patientId, campaignId: s.invite, now: T0 });
      // the reminder call, Wednesday 09:00 local: the patient moves the visit to Friday 15:00
      const at = new Date('2026-12-08T23:00:00Z');
      const r = (await call(s.remind, at, 'b'))!;
      expect(r).not.toBeNull();
      const moved = await moveVisit(db, { bookingId, slotId: s.slots[1]!, callId: r.callId, attemptId: r.attemptId, now: at });
      expect(moved.result).toBe('moved');
      await finishAttempt(db, {
        attemptId: r.attemptId, callId: r.callId, contactId: r.contact.id, disposition: 'RESCHEDULED', counted: true, sipStatus: 200, answeredAt: at,
        endedAt: new Date(at.getTime() + 60_000), hangupBy: 'robot', transcript: [], error: null, contact: { state: 'done', nextAttemptAt: null },
      });
      const [after] = await reminder(s.remind);
      expect(after).toMatchObject({ state: 'pending', booking_id: moved.result === 'moved' ? moved.bookingId : null });
      expect(after!.next_attempt_at!.toISOString()).toBe('2026-12-10T05:00:00.000Z'); // Thursday 15:00 local, 24 h before Friday 15:00
      // the clinic's call (another attempt) cancels it: the reminder is withdrawn
      const x = (await call(s.invite, new Date('2026-12-09T01:00:00Z'), 'c'));
      const attemptId = x?.attemptId ?? r.attemptId;
      expect(await cancelVisit(db, { bookingId: moved.result === 'moved' ? moved.bookingId : '', attemptId, now: new Date('2026-12-09T01:00:00Z') })).toBe('cancelled');
      expect(await reminder(s.remind)).toEqual([expect.objectContaining({ state: 'done', last_disposition: 'CANCELLED_BY_PATIENT' })]);
    });

    it('a visit closer than the lead gets no reminder', async () => {
      const s = await setup();
      const c = (await call(s.invite, T0, 'a'))!;
      await bookSlot(db, { slotId: s.slots[2]!, callId: c.callId, attemptId: c.attemptId, patientId: s.patientId, campaignId: s.invite, now: T0 });
      expect(await reminder(s.remind)).toEqual([]);
    });
  });
}
