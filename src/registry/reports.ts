import type { Disposition } from '../core/index.js';
import type { Db } from './db.js';

/** Attempts of a campaign by disposition (null = still under way). */
export async function attemptsByDisposition(db: Db, p: { campaignId: string }): Promise<{ disposition: Disposition | null; n: number }[]> {
  const { rows } = await db.query<{ disposition: Disposition | null; n: number }>(
    `select disposition, count(*)::int as n from attempt where campaign_id = $1
     group by disposition order by count(*) desc, disposition`,
    [p.campaignId],
  );
  return rows;
}

/**
 * Contacts of a campaign by state and last disposition, and whether an operator owes them a call
 * (an open entry on the call-back list): where each patient stands now.
 */
export async function contactsByOutcome(
  db: Db,
  p: { campaignId: string },
): Promise<{ state: string; lastDisposition: Disposition | null; callback: boolean; n: number }[]> {
  const { rows } = await db.query<{ state: string; last_disposition: Disposition | null; callback: boolean; n: number }>(
    `select c.state, c.last_disposition, cb.id is not null as callback, count(*)::int as n
     from campaign_contact c
     left join callback cb on cb.campaign_contact_id = c.id and cb.status = 'open'
     where c.campaign_id = $1
     group by 1, 2, 3 order by c.state, count(*) desc, c.last_disposition`,
    [p.campaignId],
  );
  return rows.map((r) => ({ state: r.state, lastDisposition: r.last_disposition, callback: r.callback, n: r.n }));
}

/** Live bookings made by a campaign's calls, with the slot (no patient data). */
export async function campaignBookings(
  db: Db,
  p: { campaignId: string },
): Promise<{ bookingId: string; slotId: string; resource: string; specialty: string; startsAt: Date; callId: string }[]> {
  const { rows } = await db.query<{ booking_id: string; slot_id: string; resource: string; specialty: string; starts_at: Date; call_id: string }>(
    `select b.id as booking_id, s.id as slot_id, s.resource, s.specialty, s.starts_at, a.call_id
     from booking b join attempt a on a.id = b.attempt_id join slot s on s.id = b.slot_id
     where a.campaign_id = $1 and b.status <> 'cancelled'
     order by s.starts_at, s.resource, b.id`,
    [p.campaignId],
  );
  return rows.map((r) => ({ bookingId: r.booking_id, slotId: r.slot_id, resource: r.resource, specialty: r.specialty, startsAt: r.starts_at, callId: r.call_id }));
}

/** A campaign's open contacts by their callee's zone: due now, waiting for a later time, on a call (leased), or on the do-not-call list. */
export interface OpenContactsInZone {
  timeZone: string;
  due: number;
  /** due later by their retry rules (or a named call-back time) */
  waiting: number;
  /** due later because the caps per person hold them back */
  capped: number;
  leased: number;
  doNotCall: number;
  /** the earliest time a waiting contact is due */
  nextAt: Date | null;
}

export async function openContactsByZone(db: Db, p: { campaignId: string; now: Date }): Promise<OpenContactsInZone[]> {
  const { rows } = await db.query<{ time_zone: string; due: number; waiting: number; capped: number; leased: number; dnc: number; next_at: Date | null }>(
    `with open as (
       select c.time_zone, c.next_attempt_at, c.lease_until > $2 as leased, c.held_by_caps,
              exists (select 1 from do_not_call d where d.phone = c.phone) as dnc
       from campaign_contact c where c.campaign_id = $1 and c.state = 'pending')
     select time_zone,
       count(*) filter (where not dnc and not coalesce(leased, false) and next_attempt_at <= $2)::int as due,
       count(*) filter (where not dnc and not coalesce(leased, false) and next_attempt_at > $2 and not held_by_caps)::int as waiting,
       count(*) filter (where not dnc and not coalesce(leased, false) and next_attempt_at > $2 and held_by_caps)::int as capped,
       count(*) filter (where not dnc and coalesce(leased, false))::int as leased,
       count(*) filter (where dnc)::int as dnc,
       min(next_attempt_at) filter (where not dnc and not coalesce(leased, false) and next_attempt_at > $2) as next_at
     from open group by time_zone order by time_zone`,
    [p.campaignId, p.now],
  );
  return rows.map((r) => ({ timeZone: r.time_zone, due: r.due, waiting: r.waiting, capped: r.capped, leased: r.leased, doNotCall: r.dnc, nextAt: r.next_at }));
}

/** Attempts a campaign started in the hour and the day before `now`. */
export async function recentAttempts(db: Db, p: { campaignId: string; now: Date }): Promise<{ lastHour: number; lastDay: number }> {
  const { rows } = await db.query<{ h: number; d: number }>(
    `select count(*) filter (where started_at > $2::timestamptz - interval '1 hour')::int as h,
            count(*) filter (where started_at > $2::timestamptz - interval '1 day')::int as d
     from attempt where campaign_id = $1 and started_at <= $2`,
    [p.campaignId, p.now],
  );
  return { lastHour: rows[0]!.h, lastDay: rows[0]!.d };
}

/** The campaign's calls in progress now, in every dialer: their open attempts (the phone is for masking by the caller). */
export async function liveCalls(db: Db, p: { campaignId: string }): Promise<{ callId: string; startedAt: Date; answeredAt: Date | null; phone: string; dialerId: string | null }[]> {
  const { rows } = await db.query<{ call_id: string; started_at: Date; answered_at: Date | null; phone: string; dialer_id: string | null }>(
    `select a.call_id, a.started_at, a.answered_at, c.phone, a.dialer_id from attempt a join campaign_contact c on c.id = a.campaign_contact_id
     where a.campaign_id = $1 and a.disposition is null order by a.started_at`,
    [p.campaignId],
  );
  return rows.map((r) => ({ callId: r.call_id, startedAt: r.started_at, answeredAt: r.answered_at, phone: r.phone, dialerId: r.dialer_id }));
}
