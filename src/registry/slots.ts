import { SlotTakenError, addDays, wallTime, zonedInstant, type Slot } from '../core/index.js';
import { bookableBy, bookingFailure, lockSlot, occupySlot, toSlot, type SlotRow } from './booking-rule.js';
import type { Db } from './db.js';

export async function addSlots(db: Db, slots: Omit<Slot, 'id'>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of slots) {
    const { rows } = await db.query<{ id: string }>(
      `insert into slot (resource, specialty, starts_at, ends_at) values ($1, $2, $3, $4) returning id`,
      [s.resource, s.specialty, s.startsAt, s.endsAt],
    );
    ids.push(rows[0]!.id);
  }
  return ids;
}

/** A clinic's working hours for slots made up for a demo or a test bench (a real clinic's come from its MIS). */
export interface SlotSchedule {
  specialty: string;
  resources: readonly string[];
  /** working days (Monday to Friday) from the day after `now` */
  days: number;
  /** "08:00" and "16:00", the clinic's time */
  from: string;
  to: string;
  minutes: number;
}

/** Slots every `minutes` from `from` to `to` on the next `days` working days (Mon-Fri), clinic time, for every resource. */
export function scheduleSlots(s: SlotSchedule, now: Date, timeZone: string): Omit<Slot, 'id'>[] {
  const out: Omit<Slot, 'id'>[] = [];
  const [fh, fm] = s.from.split(':').map(Number) as [number, number];
  const [th, tm] = s.to.split(':').map(Number) as [number, number];
  const today = wallTime(now, timeZone);
  for (let i = 1, made = 0; made < s.days; i++) {
    const day = addDays(today, i);
    if (day.weekday === 0 || day.weekday === 6) continue;
    made++;
    for (let min = fh * 60 + fm; min + s.minutes <= th * 60 + tm; min += s.minutes) {
      const startsAt = zonedInstant(day.year, day.month, day.day, 0, min, timeZone);
      for (const resource of s.resources) out.push({ resource, specialty: s.specialty, startsAt, endsAt: new Date(startsAt.getTime() + s.minutes * 60_000) });
    }
  }
  return out;
}

/**
 * Finds up to `count` free slots of a specialty starting after `after`, earliest first.
 * With holdMs, holds them for the call (FHIR busy-tentative, IHE "hold") so no other call is
 * offered them; a hold that has expired counts as free. When fewer than `count` are free and
 * unheld, slots other calls hold fill the offer without being held: holding starves no one
 * (ten calls holding two each used to leave patients who said yes with "no free time" while
 * slots were still free), and bookSlot() decides if two patients pick one. Without holdMs (an
 * MIS that has no hold, like N3 HubService) every offer is of that kind.
 *
 * `exclude`: slots this call has already lost to another, never offered to it again; `fill:
 * false` offers only what this call can hold (a call that has lost slots to others stops being
 * offered theirs, so "that time was just taken" cannot go round until the call's time runs out).
 */
export async function offerSlots(
  db: Db,
  p: { callId: string; specialty: string; after: Date; now: Date; count: number; holdMs: number | null; exclude?: readonly string[]; fill?: boolean },
): Promise<Slot[]> {
  const exclude = [...(p.exclude ?? [])];
  const held: Slot[] = [];
  if (p.holdMs !== null) {
    const { rows } = await db.query<SlotRow>(
      `with free as (
         select id from slot
         where specialty = $1 and starts_at > $2
           and (status = 'free' or (status = 'busy-tentative' and (hold_expires_at < $3 or hold_call_id = $5)))
           and not (id = any($7::bigint[]))
         order by starts_at, id limit $4
         for update skip locked)
       update slot s set status = 'busy-tentative', hold_call_id = $5,
         hold_expires_at = $3::timestamptz + $6::float8 * interval '1 millisecond'
       from free where s.id = free.id
       returning s.*`,
      [p.specialty, p.after, p.now, p.count, p.callId, p.holdMs, exclude],
    );
    held.push(...rows.map(toSlot));
  }
  if (held.length < p.count && (p.fill ?? true)) {
    const { rows } = await db.query<SlotRow>(
      `select * from slot
       where specialty = $1 and starts_at > $2 and status in ('free', 'busy-tentative') and not (id = any($4::bigint[]))
       order by status = 'busy-tentative', starts_at, id limit $3`,
      [p.specialty, p.after, p.count - held.length, [...held.map((x) => x.id), ...exclude]],
    );
    held.push(...rows.map(toSlot));
  }
  return held.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || Number(a.id) - Number(b.id));
}

/**
 * Books a slot for the patient of a call, in one transaction: locks the slot, checks that it is
 * free or held by this call (or by an expired hold), marks it busy, inserts the booking, links it
 * to the attempt, and releases the call's other holds. Rejects with SlotTakenError when someone
 * else has it; the exclusion constraint on booking backs the row lock up.
 */
export async function bookSlot(
  db: Db,
  p: { slotId: string; callId: string; attemptId: string; patientId: string; campaignId: string; now: Date },
): Promise<{ bookingId: string; slot: Slot }> {
  try {
    return await db.tx(async (t) => {
      const s = await lockSlot(t, p.slotId);
      if (s?.status === 'busy') {
        // A retry of this very booking whose commit went through while its answer was lost.
        const { rows: own } = await t.query<{ id: string }>(
          `select id from booking where slot_id = $1 and attempt_id = $2 and status <> 'cancelled'`,
          [p.slotId, p.attemptId],
        );
        if (own[0]) return { bookingId: own[0].id, slot: toSlot(s) };
      }
      if (!s || !bookableBy(s, p)) throw new SlotTakenError(p.slotId, { callId: p.callId });
      return { bookingId: await occupySlot(t, s, p), slot: toSlot(s) };
    });
  } catch (err) {
    throw await bookingFailure(db, err, p);
  }
}

/** The sweeper: frees every hold that expired before `now`. */
export async function releaseExpiredHolds(db: Db, p: { now: Date }): Promise<number> {
  const { rows } = await db.query(
    `update slot set status = 'free', hold_call_id = null, hold_expires_at = null
     where status = 'busy-tentative' and hold_expires_at < $1 returning id`,
    [p.now],
  );
  return rows.length;
}
