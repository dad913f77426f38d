import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSlots, bookSlot, listMigrations, createCampaign, enrolPatients, finishAttempt, leaseDueContacts, migrate, offerSlots,
  releaseExpiredHolds, startAttempt, closeOrphanedAttempts, upsertPatients, addDoNotCall, registerDialer, beat, isTransientDbError, type Db,
} from '../../src/registry/index.js';
import { RegistryError, SlotTakenError, type CampaignRules } from '../../src/core/index.js';
import { databases } from '../support/databases.js';
import { until } from '../support/engine.js';
import { leaseRules } from '../../src/dialer/index.js';

const rules: CampaignRules = {
  callingHours: { weekdays: ['00:00', '24:00'], saturday: ['00:00', '24:00'], sunday: ['00:00', '24:00'] },
  maxAttempts: 4, holdSlots: true, holdMs: 300_000, retryDelaysMs: {}, technicalRetryMs: 120_000, specialty: 'therapist',
};
const T0 = new Date('2026-11-24T07:00:00Z');

for (const target of databases) {
  describe(`registry on ${target.name}`, () => {
    let db: Db;
    let n = 0;
    beforeAll(async () => {
      db = await target.open();
    });
    afterAll(async () => db?.close());

    /** A campaign with `count` due contacts; returns its id and the patient ids. */
    async function campaignWith(count: number) {
      const id = `c${++n}`;
      await createCampaign(db, { id, name: id, kind: 'cold', dialogId: 'd', dialogVersion: '1', rules });
      const patientIds = await upsertPatients(
        db,
        Array.from({ length: count }, (_, i) => ({
          lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960, phone: `+7918000${String(n).padStart(2, '0')}${String(i).padStart(2, '0')}`,
          timeZone: 'Europe/Moscow', tags: [],
        })),
      );
      await enrolPatients(db, { campaignId: id, patientIds, at: T0 });
      return { id, patientIds };
    }

    it('migrate() run twice applies nothing the second time', async () => {
      expect(await migrate(db)).toEqual([]);
    });

    it('migrate() run by two callers at once on an empty database applies each migration once', async () => {
      const fresh = await target.openEmpty();
      try {
        // on PostgreSQL the pool gives each caller its own connection: they really race
        const [a, b] = await Promise.all([migrate(fresh), migrate(fresh)]);
        expect([...a, ...b].sort()).toEqual(listMigrations().map((m) => m.name));
        const { rows } = await fresh.query<{ n: number }>(`select count(*)::int as n from schema_migration`);
        expect(rows[0]!.n).toBe(listMigrations().length);
      } finally {
        await fresh.close();
      }
    });

    it('migration 0002 on a registry where a patient was booked twice stops and names the bookings, then applies once one is cancelled', async () => {
      const old = await target.openEmpty();
      try {
        await migrate(old, listMigrations().slice(0, 1));
        await old.exec(`
          insert into campaign (id, name, kind, dialog_id, dialog_version) values ('c', 'c', 'cold', 'd', '1');
          insert into patient (last_name, first_name, phone, time_zone) values ('Иванова', 'Анна', '+79180000001', 'Europe/Moscow');
          insert into campaign_contact (campaign_id, patient_id, phone) select 'c', id, phone from patient;
          insert into attempt (call_id, campaign_contact_id, campaign_id, patient_id, dialog_id, dialog_version, started_at, disposition)
            select 'call-' || n, c.id, 'c', c.patient_id, 'd', '1', now(), 'BOOKED' from campaign_contact c, generate_series(1, 2) n;
          insert into slot (resource, specialty, starts_at, ends_at)
            select 'dr', 't', timestamptz '2026-12-01 06:00Z' + n * interval '20 minutes', timestamptz '2026-12-01 06:20Z' + n * interval '20 minutes' from generate_series(1, 2) n;
          insert into booking (slot_id, patient_id, attempt_id, resource, during)
            select s.id, a.patient_id, a.id, 'dr', tstzrange(s.starts_at, s.ends_at) from slot s join attempt a on a.call_id = 'call-' || (s.id - (select min(id) from slot) + 1);`);
        await expect(migrate(old)).rejects.toMatchObject({ code: 'REGISTRY_MIGRATION', message: expect.stringMatching(/booked twice.*campaign c, patient \d+: bookings \d+, \d+/) });
        await old.query(`update booking set status = 'cancelled' where id = (select max(id) from booking)`);
        expect(await migrate(old)).toEqual(listMigrations().slice(1).map((m) => m.name));
      } finally {
        await old.close();
      }
    });

    it('leaseDueContacts() skips contacts leased by another dialer and leaves them unchanged', async () => {
      const c = await campaignWith(3);
      const first = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 2, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      const second = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 5, leaseMs: 60_000, owner: 'b', rules: leaseRules(rules) });
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(1);
      expect(new Set([...first, ...second].map((x) => x.id)).size).toBe(3);
      const { rows } = await db.query<{ lease_owner: string }>(
        `select lease_owner from campaign_contact where campaign_id = $1 order by id`, [c.id]);
      expect(rows.map((r) => r.lease_owner).sort()).toEqual(['a', 'a', 'b']);
      // an expired lease is taken over
      const later = await leaseDueContacts(db, { campaignId: c.id, now: new Date(T0.getTime() + 61_000), limit: 5, leaseMs: 60_000, owner: 'c', rules: leaseRules(rules) });
      expect(later).toHaveLength(3);
    });

    it('leaseDueContacts() flags numbers on the do-not-call list', async () => {
      const c = await campaignWith(2);
      const { rows } = await db.query<{ phone: string }>(`select phone from patient where id = $1`, [c.patientIds[0]]);
      await addDoNotCall(db, { phone: rows[0]!.phone, reason: 'asked', source: 'patient' });
      const leased = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 5, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      expect(leased.map((l) => l.doNotCall)).toEqual([true, false]);
    });

    it('offerSlots() with holds never holds one slot for two calls', async () => {
      await addSlots(db, [slotAt('dr-hold', 0), slotAt('dr-hold', 1), slotAt('dr-hold', 2)].map((s) => ({ ...s, specialty: 'hold-test' })));
      await Promise.all([
        offerSlots(db, { callId: 'call-a', specialty: 'hold-test', after: T0, now: T0, count: 2, holdMs: 60_000 }),
        offerSlots(db, { callId: 'call-b', specialty: 'hold-test', after: T0, now: T0, count: 2, holdMs: 60_000 }),
      ]);
      const { rows } = await db.query<{ hold_call_id: string }>(`select hold_call_id from slot where specialty = 'hold-test' order by id`);
      // one row, one holder: the three slots are split two and one between the calls, whichever came first
      const held = rows.map((r) => r.hold_call_id).sort();
      expect([['call-a', 'call-a', 'call-b'], ['call-a', 'call-b', 'call-b']]).toContainEqual(held);
      expect(await releaseExpiredHolds(db, { now: new Date(T0.getTime() + 61_000) })).toBe(3);
    });

    it('a booking writes the slot, the booking and the attempt link in one transaction', async () => {
      const c = await campaignWith(2);
      const leased = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 2, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      const [slotId] = await addSlots(db, [{ ...slotAt('dr-one', 0), specialty: 'one' }]);
      const attemptIds = await Promise.all(leased.map((l, i) =>
        startAttempt(db, { callId: `one-${i}`, contactId: l.id, campaignId: c.id, patientId: l.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null })));
      // both calls are offered the same slot (no hold) and both choose it at once
      const results = await Promise.allSettled(attemptIds.map((attemptId, i) =>
        bookSlot(db, { slotId: slotId!, callId: `one-${i}`, attemptId, patientId: leased[i]!.patient.id, campaignId: c.id, now: T0 })));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(SlotTakenError);
      const { rows: bookings } = await db.query<{ attempt_id: string }>(`select attempt_id from booking where slot_id = $1`, [slotId]);
      expect(bookings).toHaveLength(1);
      const { rows: linked } = await db.query<{ id: string; slot_id: string | null }>(
        `select id, slot_id from attempt where id = any($1::bigint[]) order by id`, [attemptIds]);
      expect(linked.filter((a) => a.slot_id === slotId).map((a) => a.id)).toEqual([bookings[0]!.attempt_id]);
      const { rows: slot } = await db.query<{ status: string }>(`select status from slot where id = $1`, [slotId]);
      expect(slot[0]!.status).toBe('busy');
    });

    it('bookSlot() that fails inside its transaction leaves slot, booking and attempt unchanged', async () => {
      const c = await campaignWith(1);
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      const [slotId] = await addSlots(db, [{ ...slotAt('dr-fail', 0), specialty: 'fail' }]);
      const attemptId = await startAttempt(db, { callId: 'fail-1', contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      // a registry that dies right after the booking insert
      const dying: Db = {
        ...db,
        tx: (fn) => db.tx((t) => fn({ ...t, query: async (sql, params) => {
          if (/update attempt set slot_id/.test(sql)) throw new Error('connection lost');
          return t.query(sql, params);
        } })),
      };
      await expect(bookSlot(dying, { slotId: slotId!, callId: 'fail-1', attemptId, patientId: l!.patient.id, campaignId: c.id, now: T0 })).rejects.toThrow('connection lost');
      expect((await db.query(`select 1 from booking where slot_id = $1`, [slotId])).rows).toHaveLength(0);
      expect((await db.query<{ status: string }>(`select status from slot where id = $1`, [slotId])).rows[0]!.status).toBe('free');
      expect((await db.query<{ slot_id: null }>(`select slot_id from attempt where id = $1`, [attemptId])).rows[0]!.slot_id).toBeNull();
    });

    it('finishAttempt() counts the attempt, schedules the contact, releases the lease and the call\'s holds', async () => {
      const c = await campaignWith(1);
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      await addSlots(db, [{ ...slotAt('dr-fin', 0), specialty: 'fin' }]);
      const held = await offerSlots(db, { callId: 'fin-1', specialty: 'fin', after: T0, now: T0, count: 1, holdMs: 60_000 });
      expect(held).toHaveLength(1);
      const attemptId = await startAttempt(db, { callId: 'fin-1', contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      const next = new Date(T0.getTime() + 4 * 3600_000);
      await finishAttempt(db, {
        attemptId, callId: 'fin-1', contactId: l!.id, disposition: 'NO_ANSWER', counted: true, sipStatus: 487, answeredAt: null,
        endedAt: T0, hangupBy: 'robot', transcript: [], error: null, contact: { state: 'pending', nextAttemptAt: next },
      });
      const { rows } = await db.query<{ attempts: number; next_attempt_at: Date; lease_owner: string | null; last_disposition: string }>(
        `select attempts, next_attempt_at, lease_owner, last_disposition from campaign_contact where id = $1`, [l!.id]);
      expect(rows[0]).toMatchObject({ attempts: 1, lease_owner: null, last_disposition: 'NO_ANSWER' });
      expect(rows[0]!.next_attempt_at.getTime()).toBe(next.getTime());
      expect((await db.query<{ status: string }>(`select status from slot where id = $1`, [held[0]!.id])).rows[0]!.status).toBe('free');
    });

    it('closeOrphanedAttempts() closes open attempts of no known dialer whose lease lapsed and leaves live ones unchanged', async () => {
      const c = await campaignWith(2);
      const leased = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 2, leaseMs: 60_000, owner: 'dead', rules: leaseRules(rules) });
      const ids: string[] = [];
      for (const [i, l] of leased.entries()) {
        ids.push(await startAttempt(db, {
          callId: `dead-${n}-${i}`, contactId: l.id, campaignId: c.id, patientId: l.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null }));
      }
      // the second contact's dialer is alive and renewed its lease
      await db.query(`update campaign_contact set lease_until = $2 where id = $1`, [leased[1]!.id, new Date(T0.getTime() + 600_000)]);
      const later = new Date(T0.getTime() + 61_000);
      expect(await closeOrphanedAttempts(db, { now: later, leaseMs: 60_000 })).toBeGreaterThanOrEqual(1); // other tests' open attempts too
      const { rows } = await db.query<{ id: string; disposition: string | null; counted: boolean; error: string | null }>(
        `select id, disposition, counted, error from attempt where id = any($1::bigint[]) order by id`, [ids]);
      expect(rows).toEqual([
        { id: ids[0], disposition: 'INTERRUPTED', counted: false, error: 'ENGINE_STOPPED' },
        { id: ids[1], disposition: null, counted: true, error: null },
      ]);
    });

    it('leaseDueContacts() leases only callees whose own local time is inside the calling hours', async () => {
      const id = `hours-${++n}`;
      await createCampaign(db, { id, name: id, kind: 'cold', dialogId: 'd', dialogVersion: '1', rules });
      const zones = ['Asia/Vladivostok', 'Europe/Kaliningrad', 'Europe/Moscow'];
      const ids = await upsertPatients(db, zones.map((timeZone, i) => ({
        lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960, phone: `+7918555${String(n).padStart(2, '0')}${i}0`, timeZone, tags: [] })));
      await enrolPatients(db, { campaignId: id, patientIds: ids, at: T0 });
      const hours = { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null } as const;
      // Tuesday 12:30 UTC: 22:30 in Vladivostok (too late), 14:30 in Kaliningrad, 15:30 in Moscow
      const tuesday = new Date('2026-11-24T12:30:00Z');
      const leased = await leaseDueContacts(db, { campaignId: id, now: tuesday, limit: 5, leaseMs: 60_000, owner: 'a', rules: leaseRules({ callingHours: hours }) });
      expect(leased.map((l) => l.patient.timeZone).sort()).toEqual(['Europe/Kaliningrad', 'Europe/Moscow']);
      // Sunday: nobody
      const sunday = new Date('2026-11-29T10:00:00Z');
      expect(await leaseDueContacts(db, { campaignId: id, now: sunday, limit: 5, leaseMs: 60_000, owner: 'a', rules: leaseRules({ callingHours: hours }) })).toEqual([]);
      // Wednesday 00:30 UTC is 10:30 in Vladivostok: now it is leased
      const wednesday = new Date('2026-11-25T00:30:00Z');
      const late = await leaseDueContacts(db, { campaignId: id, now: wednesday, limit: 5, leaseMs: 60_000, owner: 'b', rules: leaseRules({ callingHours: hours }) });
      expect(late.map((l) => l.patient.timeZone)).toEqual(['Asia/Vladivostok']);
    });

    it('leaseDueContacts() leases across zones in the dialling order (priority, then longest due), and a patient who moves is called by the new zone\'s clock', async () => {
      const id = `order-${++n}`;
      await createCampaign(db, { id, name: id, kind: 'cold', dialogId: 'd', dialogVersion: '1', rules });
      const zones = ['Asia/Vladivostok', 'Europe/Kaliningrad', 'Europe/Moscow', 'Asia/Omsk'];
      const ids = await upsertPatients(db, Array.from({ length: 12 }, (_, i) => ({
        lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960, phone: `+7918556${String(n).padStart(2, '0')}${String(i).padStart(2, '0')}`,
        timeZone: zones[i % zones.length]!, tags: [] })));
      await enrolPatients(db, { campaignId: id, patientIds: ids, at: T0 });
      // patient i is due i minutes before T0; the last three are priority 1, called first
      for (const [i, pid] of ids.entries()) {
        await db.query(`update campaign_contact set next_attempt_at = $3, priority = $4 where campaign_id = $1 and patient_id = $2`,
          [id, pid, new Date(T0.getTime() - i * 60_000), i >= 9 ? 1 : 100]);
      }
      const leased = await leaseDueContacts(db, { campaignId: id, now: T0, limit: 5, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      expect(leased.map((l) => ids.indexOf(l.patient.id))).toEqual([11, 10, 9, 8, 7]);

      // a Vladivostok patient moves to Kaliningrad: Tuesday 12:30 UTC is 22:30 in one, 14:30 in the other
      const hours = { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null } as const;
      const tuesday = new Date('2026-11-24T12:30:00Z');
      const mover = ids[0]!;
      const leasedAt = async (owner: string) =>
        (await leaseDueContacts(db, { campaignId: id, now: tuesday, limit: 20, leaseMs: 60_000, owner, rules: leaseRules({ callingHours: hours }) })).map((l) => l.patient.id);
      expect(await leasedAt('b')).not.toContain(mover);
      await db.query(`update patient set time_zone = 'Europe/Kaliningrad' where id = $1`, [mover]);
      expect(await leasedAt('c')).toContain(mover);
    });

    it('closeOrphanedAttempts() counts an open attempt that had booked a slot as BOOKED and closes its contact', async () => {
      const c = await campaignWith(1);
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 60_000, owner: 'dead', rules: leaseRules(rules) });
      const [slotId] = await addSlots(db, [{ ...slotAt('dr-crash', 0), specialty: 'crash' }]);
      const attemptId = await startAttempt(db, { callId: `crash-${n}`, contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      await bookSlot(db, { slotId: slotId!, callId: `crash-${n}`, attemptId, patientId: l!.patient.id, campaignId: c.id, now: T0 });
      await closeOrphanedAttempts(db, { now: new Date(T0.getTime() + 61_000), leaseMs: 60_000 });
      const { rows } = await db.query<{ disposition: string; counted: boolean }>(`select disposition, counted from attempt where id = $1`, [attemptId]);
      expect(rows[0]).toEqual({ disposition: 'BOOKED', counted: true });
      const { rows: contact } = await db.query<{ state: string; attempts: number; last_disposition: string }>(
        `select state, attempts, last_disposition from campaign_contact where id = $1`, [l!.id]);
      expect(contact[0]).toEqual({ state: 'done', attempts: 1, last_disposition: 'BOOKED' });
    });

    it('leaseDueContacts() never leases a contact whose attempt is open, even once its lease has lapsed', async () => {
      const c = await campaignWith(1);
      await registerDialer(db, { id: `alive-${n}`, host: 'h', pid: 1, now: T0 });
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 60_000, owner: `alive-${n}`, rules: leaseRules(rules) });
      await startAttempt(db, { callId: `open-${n}`, contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: `alive-${n}` });
      // long after the lease: the attempt is still open, so nobody dials the patient again
      const later = new Date(T0.getTime() + 3600_000);
      expect(await leaseDueContacts(db, { campaignId: c.id, now: later, limit: 5, leaseMs: 60_000, owner: 'b', rules: leaseRules(rules) })).toEqual([]);
    });

    it('closeOrphanedAttempts() closes a dead dialer\'s attempts as of its last heartbeat, frees its holds, and leaves a live dialer\'s unchanged', async () => {
      const c = await campaignWith(2);
      const [dead, alive] = [`dead-${n}`, `alive-${n}`];
      await registerDialer(db, { id: dead, host: 'h', pid: 1, now: T0 });
      await registerDialer(db, { id: alive, host: 'h', pid: 2, now: T0 });
      const [a] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 30_000, owner: dead, rules: leaseRules(rules) });
      const [b] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 30_000, owner: alive, rules: leaseRules(rules) });
      const ids = [
        await startAttempt(db, { callId: `${dead}-call`, contactId: a!.id, campaignId: c.id, patientId: a!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: dead }),
        await startAttempt(db, { callId: `${alive}-call`, contactId: b!.id, campaignId: c.id, patientId: b!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: alive }),
      ];
      const [slot] = await addSlots(db, [{ ...slotAt(`dr-orphan-${n}`, 0), specialty: `orphan-${n}` }]);
      await offerSlots(db, { callId: `${dead}-call`, specialty: `orphan-${n}`, after: T0, now: T0, count: 1, holdMs: 600_000 });
      // the dead one beat once at +5 s and then was killed; the live one keeps beating
      const crash = new Date(T0.getTime() + 5_000);
      await beat(db, { id: dead, now: crash, leaseMs: 30_000 });
      const sweep = new Date(T0.getTime() + 40_000);
      await beat(db, { id: alive, now: new Date(sweep.getTime() - 1_000), leaseMs: 30_000 });
      expect(await closeOrphanedAttempts(db, { now: sweep, leaseMs: 30_000 })).toBeGreaterThanOrEqual(1);
      const { rows } = await db.query<{ disposition: string | null; ended_at: Date | null; error: string | null }>(
        `select disposition, ended_at, error from attempt where id = any($1::bigint[]) order by id`, [ids]);
      expect(rows).toEqual([
        { disposition: 'INTERRUPTED', ended_at: crash, error: 'ENGINE_STOPPED' },
        { disposition: null, ended_at: null, error: null },
      ]);
      expect((await db.query<{ status: string }>(`select status from slot where id = $1`, [slot])).rows[0]!.status).toBe('free');
      // the dead dialer's contact is due again; the live one's stays leased
      const again = await leaseDueContacts(db, { campaignId: c.id, now: sweep, limit: 5, leaseMs: 30_000, owner: alive, rules: leaseRules(rules) });
      expect(again.map((x) => x.id)).toEqual([a!.id]);
    });

    it('startAttempt() records nothing for a dialer whose lease has lapsed (LEASE_LOST), and one contact never has two open attempts', async () => {
      const c = await campaignWith(1);
      const slow = `slow-${n}`;
      await registerDialer(db, { id: slow, host: 'h', pid: 1, now: T0 });
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 30_000, owner: slow, rules: leaseRules(rules) });
      const late = new Date(T0.getTime() + 31_000); // the dialer stalled past its lease before dialling
      const start = (dialerId: string | null, callId: string, at: Date) =>
        startAttempt(db, { callId, contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at, dialerId });
      await expect(start(slow, `slow-${n}-1`, late)).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect((await db.query(`select 1 from attempt where campaign_contact_id = $1`, [l!.id])).rows).toEqual([]);
      await start(null, `slow-${n}-2`, T0);
      await expect(start(null, `slow-${n}-3`, T0)).rejects.toMatchObject({ code: '23505' });
    });

    it('beat() renews the leases of the dialer\'s calls, so a long call keeps its contact', async () => {
      const c = await campaignWith(1);
      const id = `beating-${n}`;
      await registerDialer(db, { id, host: 'h', pid: 1, now: T0 });
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 30_000, owner: id, rules: leaseRules(rules) });
      await startAttempt(db, { callId: `${id}-call`, contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: id });
      await beat(db, { id, now: new Date(T0.getTime() + 25_000), leaseMs: 30_000 });
      expect(await leaseDueContacts(db, { campaignId: c.id, now: new Date(T0.getTime() + 50_000), limit: 1, leaseMs: 30_000, owner: 'other', rules: leaseRules(rules) })).toEqual([]);
      expect(await leaseDueContacts(db, { campaignId: c.id, now: new Date(T0.getTime() + 56_000), limit: 1, leaseMs: 30_000, owner: 'other', rules: leaseRules(rules) })).toHaveLength(0); // still on the call
      // a lease whose call never started (its attempt could not be written) is not renewed
      const d = await campaignWith(1);
      await leaseDueContacts(db, { campaignId: d.id, now: T0, limit: 1, leaseMs: 30_000, owner: id, rules: leaseRules(rules) });
      await beat(db, { id, now: new Date(T0.getTime() + 25_000), leaseMs: 30_000 });
      expect(await leaseDueContacts(db, { campaignId: d.id, now: new Date(T0.getTime() + 31_000), limit: 1, leaseMs: 30_000, owner: 'other', rules: leaseRules(rules) })).toHaveLength(1);
    });

    it('the registry refuses a second live booking of one patient in one campaign (BOOKING_EXISTS), and keeps the first', async () => {
      const c = await campaignWith(1);
      const [s1, s2] = await addSlots(db, [{ ...slotAt(`dr-twice-${n}`, 0), specialty: 'twice' }, { ...slotAt(`dr-twice-${n}`, 1), specialty: 'twice' }]);
      const { rows: [contact] } = await db.query<{ id: string }>(`select id from campaign_contact where campaign_id = $1`, [c.id]);
      const a1 = await startAttempt(db, { callId: `twice-${n}-1`, contactId: contact!.id, campaignId: c.id, patientId: c.patientIds[0]!, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      await bookSlot(db, { slotId: s1!, callId: `twice-${n}-1`, attemptId: a1, patientId: c.patientIds[0]!, campaignId: c.id, now: T0 });
      await finishAttempt(db, {
        attemptId: a1, callId: `twice-${n}-1`, contactId: contact!.id, disposition: 'BOOKED', counted: true, sipStatus: 200, answeredAt: T0,
        endedAt: T0, hangupBy: 'robot', transcript: [], error: null, contact: { state: 'pending', nextAttemptAt: T0 }, // as a faulty dialer might
      });
      const a2 = await startAttempt(db, { callId: `twice-${n}-2`, contactId: contact!.id, campaignId: c.id, patientId: c.patientIds[0]!, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      const second = bookSlot(db, { slotId: s2!, callId: `twice-${n}-2`, attemptId: a2, patientId: c.patientIds[0]!, campaignId: c.id, now: T0 });
      await expect(second).rejects.toBeInstanceOf(RegistryError);
      await expect(second).rejects.toMatchObject({ code: 'BOOKING_EXISTS' });
      const { rows } = await db.query<{ slot_id: string }>(`select slot_id from booking where campaign_id = $1 and status <> 'cancelled'`, [c.id]);
      expect(rows).toEqual([{ slot_id: s1 }]);
      expect((await db.query<{ status: string }>(`select status from slot where id = $1`, [s2])).rows[0]!.status).toBe('free');
    });

    it('offerSlots() offers slots others hold, unheld, once the free ones run out, so holding starves no one', async () => {
      const sp = `scarce-${++n}`;
      const ids = await addSlots(db, [0, 1, 2].map((i) => ({ ...slotAt(`dr-${sp}`, i), specialty: sp })));
      const a = await offerSlots(db, { callId: `${sp}-a`, specialty: sp, after: T0, now: T0, count: 2, holdMs: 600_000 });
      const b = await offerSlots(db, { callId: `${sp}-b`, specialty: sp, after: T0, now: T0, count: 2, holdMs: 600_000 });
      expect(a.map((x) => x.id)).toEqual([ids[0], ids[1]]);
      expect(b.map((x) => x.id)).toEqual([ids[0], ids[2]]); // its own hold first in time order, then one of a's, unheld
      const { rows } = await db.query<{ id: string; hold_call_id: string }>(`select id, hold_call_id from slot where id = any($1::bigint[]) order by id`, [ids]);
      expect(rows.map((r) => r.hold_call_id)).toEqual([`${sp}-a`, `${sp}-a`, `${sp}-b`]);
    });

    it('offerSlots() never offers a call the slots it lost, and with fill: false only what it can hold', async () => {
      const sp = `lost-${++n}`;
      const ids = await addSlots(db, [0, 1, 2].map((i) => ({ ...slotAt(`dr-${sp}`, i), specialty: sp })));
      await offerSlots(db, { callId: `${sp}-a`, specialty: sp, after: T0, now: T0, count: 3, holdMs: 600_000 });
      // all three are held by call a: b is offered them unheld, but not the one it lost
      const b = await offerSlots(db, { callId: `${sp}-b`, specialty: sp, after: T0, now: T0, count: 2, holdMs: 600_000, exclude: [ids[0]!] });
      expect(b.map((x) => x.id)).toEqual([ids[1], ids[2]]);
      expect(await offerSlots(db, { callId: `${sp}-b`, specialty: sp, after: T0, now: T0, count: 2, holdMs: 600_000, exclude: [ids[0]!, ids[1]!], fill: false })).toEqual([]);
      // once a's holds expire, b holds what is free, still without the lost ones
      const later = new Date(T0.getTime() + 700_000);
      const c = await offerSlots(db, { callId: `${sp}-b`, specialty: sp, after: T0, now: later, count: 2, holdMs: 600_000, exclude: [ids[0]!, ids[1]!], fill: false });
      expect(c.map((x) => x.id)).toEqual([ids[2]]);
    });

    it('finishAttempt() puts a promised call on the call-back list, and changes nothing on an attempt already closed', async () => {
      const c = await campaignWith(1);
      const [l] = await leaseDueContacts(db, { campaignId: c.id, now: T0, limit: 1, leaseMs: 60_000, owner: 'a', rules: leaseRules(rules) });
      const attemptId = await startAttempt(db, { callId: `cb-${n}`, contactId: l!.id, campaignId: c.id, patientId: l!.patient.id, dialogId: 'd', dialogVersion: '1', at: T0, dialerId: null });
      const outcome = {
        attemptId, callId: `cb-${n}`, contactId: l!.id, disposition: 'NEEDS_HUMAN' as const, counted: true, sipStatus: 200, answeredAt: T0,
        endedAt: T0, hangupBy: 'robot' as const, transcript: [], error: null, contact: { state: 'done' as const, nextAttemptAt: null, callback: { dueAt: T0 } },
      };
      expect(await finishAttempt(db, outcome)).toBe(true);
      const { rows } = await db.query<{ reason: string; status: string; phone: string; attempt_id: string }>(
        `select reason, status, phone, attempt_id from callback where campaign_contact_id = $1`, [l!.id]);
      expect(rows).toEqual([{ reason: 'NEEDS_HUMAN', status: 'open', phone: l!.patient.phone, attempt_id: attemptId }]);
      // a second close (the dialer came back after others took it for dead) changes nothing
      expect(await finishAttempt(db, { ...outcome, disposition: 'DECLINED', contact: { state: 'pending', nextAttemptAt: T0 } })).toBe(false);
      const { rows: a } = await db.query<{ disposition: string }>(`select disposition from attempt where id = $1`, [attemptId]);
      expect(a[0]!.disposition).toBe('NEEDS_HUMAN');
    });

    it.skipIf(target.name !== 'postgres')('a server that ends the connection inside a transaction rejects it, and the process lives on', async () => {
      // PostgreSQL restarting sends 57P01 to every backend; between two statements of a
      // transaction that used to be an uncaught 'error' event, which killed the dialer.
      const err = await db.tx(async (t) => {
        const { rows } = await t.query<{ pid: number }>(`select pg_backend_pid() as pid`);
        await db.query(`select pg_terminate_backend($1)`, [rows[0]!.pid]);
        await until(() => false, 'never', 300).catch(() => {}); // let the server's goodbye arrive between statements
        await t.query(`select 1`);
      }).catch((e: unknown) => e);
      expect(isTransientDbError(err)).toBe(true);
      expect((await db.query<{ x: number }>(`select 1 as x`)).rows).toEqual([{ x: 1 }]);
    });

    it('the booking table refuses two live bookings of one resource at overlapping times', async () => {
      const c = await campaignWith(1);
      const [a, b] = await addSlots(db, [
        { resource: 'dr-overlap', specialty: 'x', startsAt: new Date('2026-12-01T06:00:00Z'), endsAt: new Date('2026-12-01T06:20:00Z') },
        { resource: 'dr-overlap', specialty: 'x', startsAt: new Date('2026-12-01T06:10:00Z'), endsAt: new Date('2026-12-01T06:30:00Z') },
      ]);
      await db.query(`insert into booking (slot_id, patient_id, resource, during) select id, $2, resource, tstzrange(starts_at, ends_at) from slot where id = $1`, [a, c.patientIds[0]]);
      await expect(db.query(`insert into booking (slot_id, patient_id, resource, during) select id, $2, resource, tstzrange(starts_at, ends_at) from slot where id = $1`, [b, c.patientIds[0]]))
        .rejects.toMatchObject({ code: '23P01' });
    });
  });
}

function slotAt(resource: string, i: number) {
  const startsAt = new Date(Date.UTC(2026, 11, 1, 6, 0) + i * 20 * 60_000);
  return { resource, specialty: 'therapist-race', startsAt, endsAt: new Date(startsAt.getTime() + 20 * 60_000) };
}
