import type { CampaignContact, ContactState, Disposition } from '../core/index.js';
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

/**
 * A rule as a SQL predicate (src/dialer/rules), over one contact of the lease: the campaign
 * contact row (`contact`), the number to dial (`phone`) and the moment of the lease (`now`, a
 * timestamptz). What a rule needs of the patient is kept on the contact, so the lease reads one
 * table. Values are bound with `param`, which returns their placeholder.
 */
export type ContactPredicate = (refs: { contact: string; phone: string; now: string; param: (value: unknown) => string }) => string;

/** A rule that depends only on the callee's zone (an IANA name, `zone`) and the moment: decided once per zone, not per contact. */
export type ZonePredicate = (refs: { zone: string; now: string; param: (value: unknown) => string }) => string;

/** What the dialer's rules give the lease: who may be called now, and who is on the do-not-call list. */
export interface LeaseRules {
  zone: ZonePredicate;
  contact: ContactPredicate;
  /** true for a number that may be called; the lease reports the others (`doNotCall`) to be closed unrung */
  doNotCall: ContactPredicate;
}

/**
 * Leases up to `limit` contacts of a campaign that the rules say may be called now, to `owner`
 * until now + leaseMs (renewed by the owner's heartbeat, see dialers.ts), in the dialling order
 * (priority, then the longest due). Whatever the rules say, a contact leased by another dialer
 * (lease not yet expired) or with an open attempt is never leased, and rows another transaction
 * is leasing right now are skipped without waiting (SKIP LOCKED), so several zvonar processes can
 * share one registry.
 *
 * By index, not by scan (bench/leasing.ts): the zones the campaign's open contacts are in are
 * found by a skip scan of campaign_contact_lease (one probe per zone), the zone rules (calling
 * hours) are decided once per zone, and in each open zone the index is walked in the dialling
 * order until `limit` contacts pass the contact rules; the best `limit` of those are leased.
 * A leased contact's next attempt is at its lease's end (renewed with it), so leased contacts
 * are not in the walk; the lease returns the time it was due.
 */
export async function leaseDueContacts(
  db: Db,
  p: { campaignId: string; now: Date; limit: number; leaseMs: number; owner: string; rules: LeaseRules },
): Promise<LeasedContact[]> {
  const values: unknown[] = [p.campaignId, p.now, p.limit, p.leaseMs, p.owner];
  const param = (v: unknown) => `$${values.push(v)}`;
  const zoneOpen = p.rules.zone({ zone: 'z.zone', now: '$2::timestamptz', param });
  const callable = p.rules.contact({ contact: 'c', phone: 'c.phone', now: '$2::timestamptz', param });
  const allowed = p.rules.doNotCall({ contact: 'l', phone: 'l.phone', now: '$2::timestamptz', param });
  const { rows } = await db.query<Row>(
    `with recursive zones as (
       (select c.time_zone as zone from campaign_contact c where c.campaign_id = $1 and c.state = 'pending' order by c.time_zone limit 1)
       union all
       select (select c.time_zone from campaign_contact c where c.campaign_id = $1 and c.state = 'pending' and c.time_zone > z.zone
               order by c.time_zone limit 1)
       from zones z where z.zone is not null),
     candidates as (
       select d.* from zones z
       cross join lateral (
         select c.id, c.priority, c.next_attempt_at from campaign_contact c
         where c.campaign_id = $1 and c.state = 'pending' and c.time_zone = z.zone and c.next_attempt_at <= $2
           -- a contact with an open attempt is on a call, or its dialer died mid-call and
           -- closeOrphanedAttempts() has not closed the attempt yet: never dial it twice
           and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.disposition is null)
           and ${callable}
         order by c.priority, c.next_attempt_at, c.id
         limit $3) d
       where z.zone is not null and ${zoneOpen}
       order by d.priority, d.next_attempt_at, d.id
       limit $3 * 2),
     -- locked here, the best of the candidates only; the lease's own conditions are checked again
     -- on the row as it is now (another dialer may have leased it since this statement began)
     due as (
       select c.id, c.patient_id, c.phone, d.next_attempt_at from candidates d
       join campaign_contact c on c.id = d.id
       join patient p on p.id = c.patient_id
       where c.state = 'pending' and c.next_attempt_at <= $2 and (c.lease_until is null or c.lease_until < $2)
       order by d.priority, d.next_attempt_at, d.id
       limit $3
       -- the patient too: two dialers (or two campaigns) never lease one person at once
       for update of c, p skip locked),
     -- one contact per number: a family sharing a line is called one at a time
     picked as (select distinct on (due.phone) due.* from due order by due.phone, due.next_attempt_at, due.id),
     -- a leased contact is not due until its lease ends (as a queue's visibility timeout): the
     -- walk above never meets the contacts on a call, and a dead dialer's are due when their
     -- lease lapses. The call's end sets the next attempt's time (finishAttempt).
     leased as (
       update campaign_contact c set lease_owner = $5, lease_until = $2::timestamptz + $4::float8 * interval '1 millisecond',
         next_attempt_at = $2::timestamptz + $4::float8 * interval '1 millisecond'
       from picked where c.id = picked.id
       returning c.*, picked.next_attempt_at as was_due_at),
     -- the person's (and the number's) contacts in other campaigns wait for this call's end,
     -- when the caps set their time (finishAttempt)
     others as (
       update campaign_contact o set next_attempt_at = greatest(o.next_attempt_at, $2::timestamptz + $4::float8 * interval '1 millisecond')
       -- (two index lookups, not an OR that would scan the table)
       where o.state = 'pending' and o.id not in (select id from picked)
         and o.id in (select x.id from campaign_contact x join picked k on x.patient_id = k.patient_id
                      union select x.id from campaign_contact x join picked k on x.phone = k.phone))
     select l.id as contact_id, l.campaign_id, l.phone as contact_phone, l.state, l.attempts, l.was_due_at as next_attempt_at,
            l.priority, l.last_disposition, p.*,
            not (${allowed}) as dnc
     from leased l join patient p on p.id = l.patient_id
     order by l.priority, l.was_due_at, l.id`,
    values,
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
  p: {
    campaignId: string; phone: string; owner: string; now: Date; leaseMs: number; doNotCall: ContactPredicate;
    newPatient: { lastName: string; firstName: string; middleName: string | null; timeZone: string };
  },
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
    const values: unknown[] = [p.campaignId, patientId, p.phone, p.owner, p.now, p.leaseMs];
    const allowed = p.doNotCall({ contact: 'l', phone: 'l.phone', now: '$5::timestamptz', param: (v) => `$${values.push(v)}` });
    const { rows } = await tx.query<Row>(
      `with leased as (
         update campaign_contact c set state = 'pending', phone = $3, lease_owner = $4, lease_until = $5::timestamptz + $6::float8 * interval '1 millisecond'
         where c.campaign_id = $1 and c.patient_id = $2
           and (c.lease_until is null or c.lease_until <= $5 or c.lease_owner = $4)
           and not exists (select 1 from attempt a where a.campaign_contact_id = c.id and a.disposition is null)
         returning c.*)
       select l.id as contact_id, l.campaign_id, l.phone as contact_phone, l.state, l.attempts, l.next_attempt_at,
              l.priority, l.last_disposition, p.*,
              not (${allowed}) as dnc
       from leased l join patient p on p.id = l.patient_id`,
      values,
    );
    return rows[0] ? toLeased(rows[0]) : null;
  });
}

/**
 * Gives back leases taken and not used (the trunk had no channel left after all): each contact is
 * due again at the time it was due when leased.
 */
export async function releaseLeases(db: Db, p: { owner: string; contacts: readonly Pick<LeasedContact, 'id' | 'nextAttemptAt'>[] }): Promise<void> {
  if (!p.contacts.length) return;
  await db.query(
    `update campaign_contact c set lease_owner = null, lease_until = null, next_attempt_at = r.due_at
     from jsonb_to_recordset($2::jsonb) as r(id bigint, due_at timestamptz)
     where c.id = r.id and c.lease_owner = $1`,
    [p.owner, JSON.stringify(p.contacts.map((c) => ({ id: c.id, due_at: c.nextAttemptAt })))],
  );
}
