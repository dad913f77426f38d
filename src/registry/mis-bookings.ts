import type { Db } from './db.js';
import { enrolReminder, type ReminderRule } from './booking-rule.js';
import { cancelAndFree } from './visits.js';

/** A visit the clinic's MIS booked (or cancelled), as `zvonar bookings import` reads it. */
export interface MisBooking {
  /** 1-based line in the file */
  line: number;
  externalId: string;
  resource: string;
  specialty: string;
  startsAt: Date;
  endsAt: Date;
  cancelled: boolean;
}

export interface MisBookingImport {
  booked: number;
  cancelled: number;
  /** rows already in the registry as they are: nothing changed */
  already: number;
  /** reminders enrolled or moved */
  reminders: number;
  rejected: { line: number; column?: string; problem: string }[];
}

/**
 * Brings the MIS's bookings into the registry and feeds the reminder campaign: each row's slot
 * (resource and time) is found or made, the patient (by external id) booked on it under the same
 * rules as the robot's bookings (the slot's row lock, the exclusion constraint: never two live
 * bookings of one resource at once), and enrolled in `rule.campaignId` about that visit (the
 * reminder rule's lead decides whether and when). A cancelled row cancels the patient's booking
 * on that slot, frees it and withdraws its reminder. One transaction per row, so a bad row costs
 * only itself; importing the same file again changes nothing.
 */
export async function importMisBookings(db: Db, p: { rows: readonly MisBooking[]; rule: ReminderRule; now: Date }): Promise<MisBookingImport> {
  const out: MisBookingImport = { booked: 0, cancelled: 0, already: 0, reminders: 0, rejected: [] };
  for (const r of p.rows) {
    const reject = (problem: string, column?: string) => out.rejected.push({ line: r.line, ...(column ? { column } : {}), problem });
    await db.tx(async (t) => {
      const patient = (await t.query<{ id: string }>(`select id from patient where external_id = $1`, [r.externalId])).rows[0];
      if (!patient) return reject('no patient with this external_id in the registry (import the contact list first)', 'external_id');
      await t.query(
        `insert into slot (resource, specialty, starts_at, ends_at, status)
         select $1, $2, $3, $4, 'free' where not exists (select 1 from slot where resource = $1 and starts_at = $3 and ends_at = $4)`,
        [r.resource, r.specialty, r.startsAt, r.endsAt],
      );
      const slot = (await t.query<{ id: string }>(
        `select id from slot where resource = $1 and starts_at = $2 and ends_at = $3 order by id limit 1 for update`, [r.resource, r.startsAt, r.endsAt],
      )).rows[0]!;
      const live = (await t.query<{ id: string; patient_id: string }>(
        `select id, patient_id from booking where slot_id = $1 and status <> 'cancelled'`, [slot.id],
      )).rows[0];
      if (r.cancelled) {
        if (!live || live.patient_id !== patient.id) return void out.already++;
        await cancelAndFree(t, { id: live.id, slot_id: slot.id }, { attemptId: null, now: p.now });
        return void out.cancelled++;
      }
      if (live && live.patient_id !== patient.id) return reject('the registry has this slot booked for another patient', 'starts_at');
      let bookingId = live?.id;
      if (!bookingId) {
        const clash = (await t.query(
          `select 1 from booking where resource = $1 and status <> 'cancelled' and during && tstzrange($2, $3)`, [r.resource, r.startsAt, r.endsAt],
        )).rows.length;
        if (clash) return reject('overlaps another live booking of this resource in the registry', 'starts_at');
        await t.query(`update slot set status = 'busy', hold_call_id = null, hold_expires_at = null where id = $1`, [slot.id]);
        bookingId = (await t.query<{ id: string }>(
          `insert into booking (slot_id, patient_id, resource, during) values ($1, $2, $3, tstzrange($4, $5)) returning id`,
          [slot.id, patient.id, r.resource, r.startsAt, r.endsAt],
        )).rows[0]!.id;
        out.booked++;
      } else {
        // already booked: enrolled already too, unless the reminder was called or moved since
        const linked = (await t.query(`select 1 from campaign_contact where campaign_id = $1 and patient_id = $2 and booking_id = $3`, [p.rule.campaignId, patient.id, bookingId])).rows.length;
        out.already++;
        if (linked) return;
      }
      if (await enrolReminder(t, { rule: p.rule, bookingId, patientId: patient.id, startsAt: r.startsAt, now: p.now })) out.reminders++;
    });
  }
  return out;
}
