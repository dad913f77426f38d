// Reminders about visits already booked: the visit a contact is about, and the patient's answer
// to it in the call (confirm, cancel, move to another slot).
import { SlotTakenError, type Slot } from '../core/index.js';
import { bookableBy, bookingFailure, lockSlot, occupySlot, toSlot, type LockedSlot, type SlotRow } from './booking-rule.js';
import type { Db } from './db.js';

/**
 * FHIR Appointment statuses of a visit still ahead: the ones a patient may confirm, cancel or
 * move. Cancelled is gone; arrived, fulfilled and noshow are past.
 */
const AHEAD: readonly string[] = ['proposed', 'pending', 'booked'];

export interface Visit {
  bookingId: string;
  slot: Slot;
  /** FHIR Appointment.status, never 'cancelled' */
  status: string;
  /** when the patient confirmed it (AppointmentResponse accepted), or null */
  confirmedAt: Date | null;
}

export type MoveResult = { result: 'moved'; bookingId: string; slot: Slot } | { result: 'taken' } | { result: 'gone' };

/**
 * Makes a campaign's contact about a visit (a reminder). False when the contact or the booking
 * is not there, or the booking is another patient's.
 */
export async function linkVisit(db: Db, p: { contactId: string; bookingId: string }): Promise<boolean> {
  const { rows } = await db.query(
    `update campaign_contact c set booking_id = b.id from booking b
     where c.id = $1 and b.id = $2 and b.patient_id = c.patient_id returning c.id`,
    [p.contactId, p.bookingId],
  );
  return rows.length === 1;
}

/** The booking the contact is about while it is still ahead (proposed, pending, booked: not cancelled, arrived, fulfilled or missed), or null. */
export async function visitOf(db: Db, p: { contactId: string }): Promise<Visit | null> {
  const { rows } = await db.query<SlotRow & { booking_id: string; booking_status: string; confirmed_at: Date | null }>(
    `select b.id as booking_id, b.status as booking_status, b.confirmed_at, s.id, s.resource, s.specialty, s.starts_at, s.ends_at
     from campaign_contact c
     join booking b on b.id = c.booking_id
     join slot s on s.id = b.slot_id
     where c.id = $1 and b.status = any($2::text[])`,
    [p.contactId, AHEAD],
  );
  const r = rows[0];
  return r ? { bookingId: r.booking_id, slot: toSlot(r), status: r.booking_status, confirmedAt: r.confirmed_at } : null;
}

/**
 * The patient confirms the visit: the first confirmation's time and attempt are kept, so a
 * retry or a second reminder changes nothing. 'gone' when it is no longer ahead (cancelled
 * meanwhile, e.g. by the clinic).
 */
export async function confirmVisit(db: Db, p: { bookingId: string; attemptId: string; now: Date }): Promise<'confirmed' | 'gone'> {
  const { rows } = await db.query(
    `update booking set confirmed_at = coalesce(confirmed_at, $2), confirmed_attempt_id = coalesce(confirmed_attempt_id, $3)
     where id = $1 and status = any($4::text[]) returning id`,
    [p.bookingId, p.now, p.attemptId, AHEAD],
  );
  return rows.length === 1 ? 'confirmed' : 'gone';
}

/**
 * The patient cancels the visit: in one transaction the booking is cancelled and its slot is
 * free again, so the next offer of any call can give it away. A retry of a cancel that did
 * commit (same attempt) answers 'cancelled'; 'gone' when it was cancelled otherwise or is past.
 */
export async function cancelVisit(db: Db, p: { bookingId: string; attemptId: string; now: Date }): Promise<'cancelled' | 'gone'> {
  return db.tx(async (t) => {
    const b = await lockBooking(t, p.bookingId);
    if (b?.status === 'cancelled' && b.cancelled_attempt_id === p.attemptId) return 'cancelled';
    if (!b || !AHEAD.includes(b.status)) return 'gone';
    await cancelAndFree(t, b, p);
    return 'cancelled';
  });
}

/**
 * Moves the visit to another slot, in one transaction: locks the booking, then both slots in
 * slot id order (two moves crossing each other's slots then wait rather than deadlock), checks
 * that the new slot is bookableBy() this call (bookSlot()'s rule), cancels the old booking and
 * frees its slot, books the new slot for the same patient and campaign (the new booking
 * replaces the old), points the contacts about the old visit at the new one, links the attempt
 * and releases the call's other holds. 'taken' changes nothing: the patient keeps the old
 * visit. The old booking is cancelled before the new one is inserted, as booking_live_patient
 * (0002) allows one live booking per patient and campaign. A retry of a move that did commit
 * finds the booking it made (replacing the old one, by this attempt).
 */
export async function moveVisit(db: Db, p: { bookingId: string; slotId: string; callId: string; attemptId: string; now: Date }): Promise<MoveResult> {
  try {
    return await db.tx(async (t): Promise<MoveResult> => {
      const old = await lockBooking(t, p.bookingId);
      if (!old || !AHEAD.includes(old.status)) {
        const { rows } = await t.query<SlotRow & { booking_id: string }>(
          `select b.id as booking_id, s.id, s.resource, s.specialty, s.starts_at, s.ends_at
           from booking b join slot s on s.id = b.slot_id
           where b.replaces_id = $1 and b.attempt_id = $2 and b.slot_id = $3 and b.status <> 'cancelled'`,
          [p.bookingId, p.attemptId, p.slotId],
        );
        const own = rows[0];
        return own ? { result: 'moved', bookingId: own.booking_id, slot: toSlot(own) } : { result: 'gone' };
      }
      const locked = new Map<string, LockedSlot>();
      for (const id of [old.slot_id, p.slotId].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))) {
        const s = await lockSlot(t, id);
        if (s) locked.set(id, s);
      }
      const to = locked.get(p.slotId);
      if (to && p.slotId === old.slot_id) return { result: 'moved', bookingId: old.id, slot: toSlot(to) };
      if (!to || !bookableBy(to, p)) return { result: 'taken' };
      await cancelAndFree(t, old, p);
      const bookingId = await occupySlot(t, to, { ...p, patientId: old.patient_id, campaignId: old.campaign_id, replacesId: old.id });
      await t.query(`update campaign_contact set booking_id = $2 where booking_id = $1`, [old.id, bookingId]);
      return { result: 'moved', bookingId, slot: toSlot(to) };
    });
  } catch (err) {
    const failure = await bookingFailure(db, err, p);
    if (failure instanceof SlotTakenError) return { result: 'taken' };
    throw failure;
  }
}

interface BookingRow {
  id: string;
  slot_id: string;
  patient_id: string;
  campaign_id: string | null;
  status: string;
  cancelled_attempt_id: string | null;
}

async function lockBooking(t: Db, bookingId: string): Promise<BookingRow | undefined> {
  const { rows } = await t.query<BookingRow>(
    `select id, slot_id, patient_id, campaign_id, status, cancelled_attempt_id from booking where id = $1 for update`,
    [bookingId],
  );
  return rows[0];
}

/**
 * Cancels a locked booking and frees its slot (the slot's lock is taken here if not already held);
 * its reminders are withdrawn, but for one on a call now (that call's outcome closes it). No
 * attempt: the clinic cancelled it (an MIS import).
 */
export async function cancelAndFree(t: Db, b: Pick<BookingRow, 'id' | 'slot_id'>, p: { attemptId: string | null; now: Date }): Promise<void> {
  await t.query(
    `update booking set status = 'cancelled', cancelled_at = $2, cancelled_attempt_id = $3 where id = $1`,
    [b.id, p.now, p.attemptId],
  );
  await t.query(
    `update campaign_contact set state = 'done', next_attempt_at = null, last_disposition = 'CANCELLED_BY_PATIENT'
     where booking_id = $1 and state = 'pending' and (lease_until is null or lease_until < $2)`,
    [b.id, p.now],
  );
  await t.query(`update slot set status = 'free', hold_call_id = null, hold_expires_at = null where id = $1 and status = 'busy'`, [b.slot_id]);
}
