import type { CallingHours, CampaignContact, ContactState, Disposition } from '../core/index.js';
import type { Db } from './db.js';
import { toPatient, type PatientRow } from './patients.js';

export interface LeasedContact extends CampaignContact {
  /** The number is on the do-not-call list: close the contact, do not dial. */
  doNotCall: boolean;
}

type Row = PatientRow & {
  contact_id: string;
  campaign_id: string;
  contact_phone: string;
  state: ContactState;
  attempts: number;
  next_attempt_at: Date | null;
  priority: number;
  last_disposition: Disposition | null;
  dnc: boolean;
};

/** Calling hours keyed by ISO day of week ("1" Monday .. "7" Sunday), as the leasing SQL reads them. */
function hoursByIsoDay(h: CallingHours): Record<string, readonly [string, string] | null> {
  return { 1: h.weekdays, 2: h.weekdays, 3: h.weekdays, 4: h.weekdays, 5: h.weekdays, 6: h.saturday, 7: h.sunday };
}

/**
 * Leases up to `limit` due contacts of a campaign to `owner` until now + leaseMs (renewed by the
 * owner's heartbeat, see dialers.ts): those with no open attempt whose
 * next attempt is due and whose own local time (the patient's time zone) is inside the calling
 * hours. Contacts leased by another dialer (lease not yet expired) are skipped, and rows another
 * transaction is leasing right now are skipped without waiting (SKIP LOCKED), so several zvonar
 * processes can share one registry.
 */
export async function leaseDueContacts(
  db: Db,
  p: { campaignId: string; now: Date; limit: number; leaseMs: number; owner: string; hours: CallingHours },
): Promise<LeasedContact[]> {
  const { rows } = await db.query<Row>(
    `with due as (
       select c.id from campaign_contact c
       join patient p on p.id = c.patient_id
       cross join lateral (select to_char($2::timestamptz at time zone p.time_zone, 'HH24:MI') as hhmm,
                                  $6::jsonb -> extract(isodow from $2::timestamptz at time zone p.time_zone)::int::text as win) l
       where c.campaign_id = $1 and c.state = 'pending' and c.next_attempt_at <= $2
         and (c.lease_until is null or c.lease_until < $2)
         -- a contact with an open attempt is on a call, or its dialer died mid-call and
         -- closeOrphanedAttempts() has not closed the attempt yet: never dial it twice
         and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.disposition is null)
         and jsonb_typeof(l.win) = 'array' and l.hhmm >= l.win ->> 0 and l.hhmm < l.win ->> 1
       order by c.priority, c.next_attempt_at, c.id
       limit $3
       for update of c skip locked),
     leased as (
       update campaign_contact c set lease_owner = $5, lease_until = $2::timestamptz + $4::float8 * interval '1 millisecond'
       from due where c.id = due.id
       returning c.*)
     select l.id as contact_id, l.campaign_id, l.phone as contact_phone, l.state, l.attempts, l.next_attempt_at,
            l.priority, l.last_disposition, p.*,
            exists (select 1 from do_not_call d where d.phone = l.phone) as dnc
     from leased l join patient p on p.id = l.patient_id
     order by l.priority, l.next_attempt_at, l.id`,
    [p.campaignId, p.now, p.limit, p.leaseMs, p.owner, JSON.stringify(hoursByIsoDay(p.hours))],
  );
  return rows.map(toLeased);
}

const toLeased = (r: Row): LeasedContact => ({
  id: r.contact_id,
  campaignId: r.campaign_id,
  patient: { ...toPatient(r), phone: r.contact_phone },
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  priority: r.priority,
  lastDisposition: r.last_disposition,
  doNotCall: r.dnc,
});

/** Closes a contact without a call (its number is on the do-not-call list). */
export async function closeContact(db: Db, p: { contactId: string; disposition: Disposition }): Promise<void> {
  await db.query(
    `update campaign_contact set state = 'done', last_disposition = $2, lease_owner = null, lease_until = null
     where id = $1`,
    [p.contactId, p.disposition],
  );
}

/**
 * The contact for one call placed by hand (`zvonar call`), leased to `owner` at once, whatever
 * the calling hours: the patient with that number (the first, when several share it), or a new
 * one named as given, enrolled in the campaign if they are not yet. Null when the contact is on
 * a call right now (an open attempt), so it is never dialled twice.
 */
export async function leaseContactByPhone(
  db: Db,
  p: { campaignId: string; phone: string; owner: string; now: Date; leaseMs: number; newPatient: { lastName: string; firstName: string; middleName: string | null; timeZone: string } },
): Promise<LeasedContact | null> {
  return db.tx(async (tx) => {
    const known = await tx.query<{ id: string }>(`select id from patient where phone = $1 order by id limit 1`, [p.phone]);
    const patientId = known.rows[0]?.id ?? (await tx.query<{ id: string }>(
      `insert into patient (last_name, first_name, middle_name, phone, time_zone, tags) values ($1, $2, $3, $4, $5, '{test-call}') returning id`,
      [p.newPatient.lastName, p.newPatient.firstName, p.newPatient.middleName, p.phone, p.newPatient.timeZone],
    )).rows[0]!.id;
    await tx.query(
      `insert into campaign_contact (campaign_id, patient_id, phone, next_attempt_at) values ($1, $2, $3, $4)
       on conflict (campaign_id, patient_id) do nothing`,
      [p.campaignId, patientId, p.phone, p.now],
    );
    const { rows } = await tx.query<Row>(
      `with leased as (
         update campaign_contact c set state = 'pending', phone = $3, lease_owner = $4, lease_until = $5::timestamptz + $6::float8 * interval '1 millisecond'
         where c.campaign_id = $1 and c.patient_id = $2
           and (c.lease_until is null or c.lease_until <= $5 or c.lease_owner = $4)
           and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.disposition is null)
         returning c.*)
       select l.id as contact_id, l.campaign_id, l.phone as contact_phone, l.state, l.attempts, l.next_attempt_at,
              l.priority, l.last_disposition, p.*,
              exists (select 1 from do_not_call d where d.phone = l.phone) as dnc
       from leased l join patient p on p.id = l.patient_id`,
      [p.campaignId, patientId, p.phone, p.owner, p.now, p.leaseMs],
    );
    return rows[0] ? toLeased(rows[0]) : null;
  });
}
