import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRules } from '../../src/core/index.js';
import { ANY_HOUR, capsNotBefore, CAPS_LOOKBACK_MS, DEFAULT_CAPS, leaseRules } from '../../src/dialer/index.js';
import { createCampaign, enrolPatients, finishAttempt, leaseDueContacts, openContactsByZone, startAttempt, upsertPatients, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';

/**
 * Caps per person across campaigns and dialers (src/dialer/rules/caps.ts, applied by the lease
 * and by finishAttempt): a cold invitation and a warm reminder campaign share a patient, and a
 * family shares a number.
 */
const rules: CampaignRules = {
  callingHours: ANY_HOUR, maxAttempts: 4, holdSlots: false, holdMs: 60_000, retryDelaysMs: {}, technicalRetryMs: 120_000, specialty: 'therapist',
};
const T0 = new Date('2026-12-08T07:00:00Z');
const H = 3_600_000;
const caps = { lookbackMs: CAPS_LOOKBACK_MS, notBefore: (h: { at: Date; answered: boolean }[]) => capsNotBefore(h, DEFAULT_CAPS) };

for (const target of databases) {
  describe(`caps across two campaigns, on ${target.name}`, () => {
    let db: Db;
    let other: Db;
    let n = 0;
    beforeAll(async () => {
      db = await target.open();
      other = await target.reopen(db);
    });
    afterAll(async () => {
      await other?.close();
      await db?.close();
    });

    /** cold and warm campaigns, both with the same patients; returns their ids and the patients' */
    async function twoCampaigns(people: { phone: string; firstName: string }[]) {
      const k = ++n;
      for (const kind of ['cold', 'warm'] as const) {
        await createCampaign(db, { id: `${kind}-${k}`, name: kind, kind, dialogId: 'd', dialogVersion: '1', rules });
      }
      const ids = await upsertPatients(db, people.map((p) => ({ lastName: 'Иванова', middleName: null, birthYear: 1960, timeZone: 'Europe/Moscow', tags: [], ...p })));
      for (const kind of ['cold', 'warm']) await enrolPatients(db, { campaignId: `${kind}-${k}`, patientIds: ids, at: T0 });
      return { cold: `cold-${k}`, warm: `warm-${k}`, ids };
    }
    const lease = (d: Db, campaignId: string, now: Date, owner: string) =>
      leaseDueContacts(d, { campaignId, now, limit: 10, leaseMs: 60_000, owner, rules: leaseRules(rules) });

    it('two dialers leasing both campaigns at once never take one person twice; the other campaign waits for the call\'s end', async () => {
      const c = await twoCampaigns([{ phone: '+79180001001', firstName: 'Анна' }]);
      const [a, b] = await Promise.all([lease(db, c.cold, T0, 'a'), lease(other, c.warm, T0, 'b')]);
      expect(a.length + b.length).toBe(1);
      // while the call lasts, nobody leases the patient in the other campaign
      const loser = a.length ? c.warm : c.cold;
      expect(await lease(db, loser, new Date(T0.getTime() + 30_000), 'c')).toEqual([]);
    });

    it('an answered call in the cold campaign keeps the warm one from the patient for a day, and from the family\'s number', async () => {
      const c = await twoCampaigns([{ phone: '+79180001002', firstName: 'Анна' }, { phone: '+79180001002', firstName: 'Пётр' }]);
      const [l] = await lease(db, c.cold, T0, 'a');
      expect(l).toBeDefined();
      const attemptId = await startAttempt(db, { callId: `caps-${n}`, contactId: l!.id, campaignId: c.cold, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      const end = new Date(T0.getTime() + 120_000);
      await finishAttempt(db, {
        attemptId, callId: `caps-${n}`, contactId: l!.id, disposition: 'DECLINED', counted: true, sipStatus: 200, answeredAt: new Date(T0.getTime() + 5000),
        endedAt: end, hangupBy: 'callee', transcript: [], error: null, contact: { state: 'done', nextAttemptAt: null }, caps,
      });
      const { rows } = await db.query<{ campaign_id: string; patient_id: string; next_attempt_at: Date }>(
        `select campaign_id, patient_id, next_attempt_at from campaign_contact where state = 'pending' and campaign_id in ($1, $2) order by campaign_id, patient_id`, [c.cold, c.warm]);
      // every open contact of the patient and of the number: a day after the answered call began
      expect(rows.length).toBe(3);
      for (const r of rows) expect(r.next_attempt_at.toISOString()).toBe(new Date(T0.getTime() + 24 * H).toISOString());
      // and campaign status says why they wait
      const [zone] = await openContactsByZone(db, { campaignId: c.warm, now: end });
      expect(zone).toMatchObject({ capped: 2, waiting: 0, due: 0 });
      expect(await lease(db, c.warm, new Date(T0.getTime() + 23 * H), 'b')).toEqual([]);
      expect((await lease(db, c.warm, new Date(T0.getTime() + 24 * H), 'b')).length).toBe(1); // one at a time: the family shares a line
    });
  });
}
