// What bookSlot() and moveVisit() share: who may book a slot, what booking it writes, and what a
// constraint violation means. Internal to the registry (not in index.ts).
import { RegistryError, SlotTakenError, type Slot } from '../core/index.js';
import type { Db } from './db.js';

export interface SlotRow {
  id: string;
  resource: string;
  specialty: string;
  starts_at: Date;
  ends_at: Date;
}

/** A slot row as read `for update`, with what decides who may book it. */
export interface LockedSlot extends SlotRow {
  status: string;
  hold_call_id: string | null;
  hold_expires_at: Date | null;
}

export const toSlot = (r: SlotRow): Slot => ({ id: r.id, resource: r.resource, specialty: r.specialty, startsAt: r.starts_at, endsAt: r.ends_at });

/** Locks the slot's row until the transaction ends; undefined when there is no such slot. */
export async function lockSlot(t: Db, slotId: string): Promise<LockedSlot | undefined> {
  const { rows } = await t.query<LockedSlot>(`select * from slot where id = $1 for update`, [slotId]);
  return rows[0];
}

/** The booking rule: a call may book a slot that is free, held by this call, or held by an expired hold. */
export function bookableBy(s: LockedSlot, p: { callId: string; now: Date }): boolean {
  return s.status === 'free' ||
    (s.status === 'busy-tentative' && (s.hold_call_id === p.callId || (s.hold_expires_at !== null && s.hold_expires_at < p.now)));
}

/**
 * Inside the transaction that locked the slot and found it bookableBy() the call: marks it busy,
 * inserts the booking, links it to the attempt, and releases the call's other holds.
 * Returns the booking's id.
 */
export async function occupySlot(
  t: Db,
  s: LockedSlot,
  p: { callId: string; attemptId: string; patientId: string; campaignId: string | null; replacesId?: string; now?: Date },
): Promise<string> {
  await t.query(`update slot set status = 'busy', hold_call_id = null, hold_expires_at = null where id = $1`, [s.id]);
  const { rows } = await t.query<{ id: string }>(
    `insert into booking (slot_id, patient_id, attempt_id, campaign_id, resource, during, replaces_id)
     values ($1, $2, $3, $4, $5, tstzrange($6, $7), $8) returning id`,
    [s.id, p.patientId, p.attemptId, p.campaignId, s.resource, s.starts_at, s.ends_at, p.replacesId ?? null],
  );
  await t.query(`update attempt set slot_id = $2 where id = $1`, [p.attemptId, s.id]);
  await t.query(
    `update slot set status = 'free', hold_call_id = null, hold_expires_at = null
     where hold_call_id = $1 and status = 'busy-tentative'`,
    [p.callId],
  );
  await enrolReminder(t, { rule: await remindersOf(t, p.campaignId), bookingId: rows[0]!.id, patientId: p.patientId, startsAt: s.starts_at, now: p.now ?? new Date() });
  return rows[0]!.id;
}

/** Where and when a booking's reminder goes: the campaign (warm), how long before the visit, and the least lead for one at all. */
export interface ReminderRule {
  campaignId: string;
  beforeMinutes: number;
  minLeadMinutes: number;
}

/** DOMAIN.md: a confirmation call from 48 h to 3 h before the visit; the day before by default. */
export const DEFAULT_REMINDER = { beforeMinutes: 1440, minLeadMinutes: 180 } as const;

/** The reminder rule of the campaign that made a booking (its rules.reminders), or null. */
export async function remindersOf(t: Db, campaignId: string | null): Promise<ReminderRule | null> {
  if (!campaignId) return null;
  const { rows } = await t.query<{ r: ReminderRule | null }>(`select rules->'reminders' as r from campaign where id = $1`, [campaignId]);
  return rows[0]?.r ?? null;
}

/**
 * A booking made by a campaign whose rules name a reminder campaign (rules.reminders) enrols its
 * patient there, about this visit, due `beforeMinutes` before it (the calling window then
 * decides the hour), or not at all when the visit is closer than `minLeadMinutes`. A patient
 * already in the reminder campaign is pointed at the new visit and due again, unless a reminder
 * call is on the line right now (its own outcome decides). In the booking's transaction.
 */
export async function enrolReminder(
  t: Db,
  p: { rule: ReminderRule | null; bookingId: string; patientId: string; startsAt: Date; now: Date },
): Promise<boolean> {
  if (!p.rule) return false;
  const dueAt = new Date(p.startsAt.getTime() - p.rule.beforeMinutes * 60_000);
  if (p.now.getTime() > p.startsAt.getTime() - p.rule.minLeadMinutes * 60_000) return false;
  const { rows } = await t.query(
    `insert into campaign_contact (campaign_id, patient_id, phone, time_zone, next_attempt_at, booking_id)
     select $1, p.id, p.phone, p.time_zone, greatest($4::timestamptz, $5::timestamptz), $3
     from patient p where p.id = $2 and exists (select 1 from campaign w where w.id = $1)
     on conflict (campaign_id, patient_id) do update set
       booking_id = excluded.booking_id, next_attempt_at = excluded.next_attempt_at, state = 'pending', attempts = 0, last_disposition = null
       where campaign_contact.lease_until is null or campaign_contact.lease_until < $5
     returning 1`,
    [p.rule.campaignId, p.patientId, p.bookingId, dueAt, p.now],
  );
  return rows.length > 0;
}

/**
 * What a booking transaction's failure means, once it has rolled back: SlotTakenError when the
 * constraints refused the slot, RegistryError('BOOKING_EXISTS') when the patient already has a
 * live booking in the campaign, else the error itself.
 */
export async function bookingFailure(db: Db, err: unknown, p: { slotId: string; callId: string }): Promise<unknown> {
  // 23P01 exclusion_violation: another slot row of the same resource overlaps a live booking,
  // so this one can never be booked: mark it (FHIR busy-unavailable) so it is not offered again.
  // 23505 unique_violation: a concurrent booking of this very slot won.
  const { code, constraint } = err as { code?: string; constraint?: string };
  if (code === '23505' && constraint === 'booking_live_patient') {
    return new RegistryError('BOOKING_EXISTS', 'the patient already has a live booking in this campaign', { callId: p.callId });
  }
  if (code === '23P01') {
    await db.query(`update slot set status = 'busy-unavailable', hold_call_id = null, hold_expires_at = null where id = $1 and status <> 'busy'`, [p.slotId]);
  }
  if (code === '23P01' || code === '23505') return new SlotTakenError(p.slotId, { callId: p.callId });
  return err;
}
