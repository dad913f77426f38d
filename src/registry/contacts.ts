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
 * Leases up to `limit` due contacts of a campaign to `owner` until now + leaseMs. Contacts leased
 * by another dialer (lease not yet expired) are skipped, and rows another transaction is leasing
 * right now are skipped without waiting (SKIP LOCKED), so several zvonar processes can share one
 * registry.
 */
export async function leaseDueContacts(
  db: Db,
  p: { campaignId: string; now: Date; limit: number; leaseMs: number; owner: string },
): Promise<LeasedContact[]> {
  const { rows } = await db.query<Row>(
    `with due as (
       select id from campaign_contact
       where campaign_id = $1 and state = 'pending' and next_attempt_at <= $2
         and (lease_until is null or lease_until < $2)
       order by priority, next_attempt_at, id
       limit $3
       for update skip locked),
     leased as (
       update campaign_contact c set lease_owner = $5, lease_until = $2::timestamptz + $4::float8 * interval '1 millisecond'
       from due where c.id = due.id
       returning c.*)
     select l.id as contact_id, l.campaign_id, l.phone as contact_phone, l.state, l.attempts, l.next_attempt_at,
            l.priority, l.last_disposition, p.*,
            exists (select 1 from do_not_call d where d.phone = l.phone) as dnc
     from leased l join patient p on p.id = l.patient_id
     order by l.priority, l.next_attempt_at, l.id`,
    [p.campaignId, p.now, p.limit, p.leaseMs, p.owner],
  );
  return rows.map((r) => ({
    id: r.contact_id,
    campaignId: r.campaign_id,
    patient: { ...toPatient(r), phone: r.contact_phone },
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    priority: r.priority,
    lastDisposition: r.last_disposition,
    doNotCall: r.dnc,
  }));
}

/** When the next pending contact of a campaign falls due, or null when none is pending. */
export async function nextDueAt(db: Db, p: { campaignId: string }): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(
    `select min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) as at
     from campaign_contact where campaign_id = $1 and state = 'pending'`,
    [p.campaignId],
  );
  return rows[0]?.at ?? null;
}

/** Closes a contact without a call (its number is on the do-not-call list). */
export async function closeContact(db: Db, p: { contactId: string; disposition: Disposition }): Promise<void> {
  await db.query(
    `update campaign_contact set state = 'done', last_disposition = $2, lease_owner = null, lease_until = null
     where id = $1`,
    [p.contactId, p.disposition],
  );
}

export async function countContacts(db: Db, p: { campaignId: string }): Promise<{ state: ContactState; n: number }[]> {
  const { rows } = await db.query<{ state: ContactState; n: number }>(
    `select state, count(*)::int as n from campaign_contact where campaign_id = $1 group by state order by state`,
    [p.campaignId],
  );
  return rows;
}
