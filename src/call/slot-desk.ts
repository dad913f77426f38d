import type { Campaign, Clock, Logger } from '../core/index.js';
import { SlotTakenError } from '../core/index.js';
import type { SlotDesk } from '../dialog/index.js';
import { bookSlot, cancelVisit, confirmVisit, moveVisit, offerSlots, persist, visitOf, type Db } from '../registry/index.js';

/** Slots are offered from this far ahead, so no one is booked for a time already past. */
const MIN_LEAD_MS = 60 * 60_000;
/** Slots one call may lose to others before it is offered only what it can hold. */
const MAX_LOST = 2;

/**
 * The registry's slots as one call's dialog sees them: offers held for this call where the
 * campaign holds, bookings in the patient's name. A registry that went away mid-conversation is
 * waited for up to retryMs (a PostgreSQL restart takes a second or two), so the patient waits a
 * moment rather than being hung up on.
 *
 * A rehearsal (`zvonar call` without --book: a supervisor trying a script on their own phone)
 * offers the real free slots without holding them and books none: the script's booking step
 * goes on as if it had, and the transcript says it was a rehearsal. Likewise it reads the
 * visit a reminder is about but confirms, cancels and moves nothing, and logs that it did not.
 *
 * The visit is the contact's live booking, looked up once and then followed: after a move it is
 * the new booking, after a cancel there is none.
 *
 * A slot the call lost to another ("taken") is not offered to it again, and after MAX_LOST of
 * them the call is offered only slots it can hold: when the last slots are held by other calls
 * (or by calls of a dialer that died, until their holds expire) the script's "taken, here is
 * another" goes round a few times at most, then hears that there is none.
 */
export function createSlotDesk(p: {
  db: Db; clock: Clock; log: Logger; campaign: Campaign; callId: string; attemptId: string; patientId: string; contactId: string; retryMs: number;
  rehearsal?: boolean;
}): SlotDesk {
  const { rules } = p.campaign;
  const retried = { clock: p.clock, log: p.log, budgetMs: p.retryMs };
  /** the booking of the visit: undefined until looked up, null when there is none */
  let visitId: string | null | undefined;
  const lookUp = async () => {
    const v = await persist(() => visitOf(p.db, { contactId: p.contactId }), { ...retried, what: 'the visit of a reminder' });
    visitId = v?.bookingId ?? null;
    return v;
  };
  const current = async () => (visitId === undefined ? (await lookUp())?.bookingId ?? null : visitId);
  const lost = new Set<string>();
  return {
    offer: ({ count, specialty, after }) => persist(() => {
      const now = new Date(p.clock.now());
      const soonest = now.getTime() + MIN_LEAD_MS;
      return offerSlots(p.db, {
        callId: p.callId, specialty: specialty ?? rules.specialty, now, count,
        after: new Date(Math.max(soonest, after?.getTime() ?? 0)), holdMs: rules.holdSlots && !p.rehearsal ? rules.holdMs : null,
        exclude: [...lost], fill: lost.size < MAX_LOST,
      });
    }, { ...retried, what: 'an offer of slots' }),
    book: async (slot) => {
      if (p.rehearsal) {
        p.log.info({ slotId: slot.id }, 'rehearsal: slot not booked');
        return 'booked';
      }
      try {
        // bookSlot() is one transaction, and a retry of one that did commit finds its own booking
        await persist(() => bookSlot(p.db, {
          slotId: slot.id, callId: p.callId, attemptId: p.attemptId, patientId: p.patientId, campaignId: p.campaign.id, now: new Date(p.clock.now()),
        }), { ...retried, what: 'a booking' });
        return 'booked';
      } catch (err) {
        if (!(err instanceof SlotTakenError)) throw err;
        lost.add(slot.id);
        return 'taken';
      }
    },
    visit: async () => (await lookUp())?.slot ?? null,
    confirmVisit: async () => {
      const bookingId = await current();
      if (bookingId === null) return 'gone';
      if (p.rehearsal) {
        p.log.info({ bookingId }, 'rehearsal: visit not confirmed');
        return 'confirmed';
      }
      const r = await persist(() => confirmVisit(p.db, { bookingId, attemptId: p.attemptId, now: new Date(p.clock.now()) }), { ...retried, what: 'a confirmation' });
      if (r === 'gone') visitId = null;
      return r;
    },
    cancelVisit: async () => {
      const bookingId = await current();
      if (bookingId === null) return 'gone';
      if (p.rehearsal) {
        p.log.info({ bookingId }, 'rehearsal: visit not cancelled');
        return 'cancelled';
      }
      // one transaction; a retry of one that did commit finds the booking cancelled by this attempt
      const r = await persist(() => cancelVisit(p.db, { bookingId, attemptId: p.attemptId, now: new Date(p.clock.now()) }), { ...retried, what: 'a cancellation' });
      visitId = null;
      return r;
    },
    moveVisit: async (slot) => {
      const bookingId = await current();
      if (bookingId === null) return 'gone';
      if (p.rehearsal) {
        p.log.info({ bookingId, slotId: slot.id }, 'rehearsal: visit not moved');
        return 'moved';
      }
      // one transaction; a retry of one that did commit finds the booking it made
      const r = await persist(() => moveVisit(p.db, {
        bookingId, slotId: slot.id, callId: p.callId, attemptId: p.attemptId, now: new Date(p.clock.now()),
      }), { ...retried, what: 'a move of a visit' });
      if (r.result === 'moved') visitId = r.bookingId;
      if (r.result === 'gone') visitId = null;
      if (r.result === 'taken') lost.add(slot.id);
      return r.result;
    },
  };
}
