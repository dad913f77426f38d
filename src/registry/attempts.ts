import { RegistryError, type ContactStep, type Disposition, type TranscriptLine } from '../core/index.js';
import type { Db } from './db.js';
import { addDoNotCall } from './do-not-call.js';
import { DEFAULT_REMINDER, enrolReminder, remindersOf } from './booking-rule.js';

/**
 * Records the attempt the moment the call is placed, so that an engine that dies mid-call
 * still leaves a row (a later sweep marks it INTERRUPTED): no attempt goes unrecorded. With a
 * dialer, only while it still holds the contact's lease; rejects with LEASE_LOST otherwise.
 */
export async function startAttempt(
  db: Db,
  p: {
    callId: string; contactId: string; campaignId: string; patientId: string; dialogId: string; dialogVersion: string; at: Date;
    /** which text of the script the call runs (live-script.ts); null where unknown */
    dialogHash?: string | null;
    /** the dialer placing the call: its heartbeat tells whether the attempt is still live */
    dialerId: string | null;
  },
): Promise<string> {
  // The lease decides, not timing: a dialer whose lease lapsed (a long pause) records nothing
  // and dials no one; the unique index on open attempts backs it up.
  const { rows } = await db.query<{ id: string }>(
    `insert into attempt (call_id, campaign_contact_id, campaign_id, patient_id, dialog_id, dialog_version, started_at, dialer_id, dialog_hash)
     select $1, $2, $3, $4, $5, $6, $7, $8, $9
     where $8::text is null
        or exists (select 1 from campaign_contact where id = $2 and lease_owner = $8 and lease_until > $7)
     returning id`,
    [p.callId, p.contactId, p.campaignId, p.patientId, p.dialogId, p.dialogVersion, p.at, p.dialerId, p.dialogHash ?? null],
  );
  if (!rows[0]) {
    throw new RegistryError('LEASE_LOST', `contact ${p.contactId} is no longer leased to this dialer; the call is not placed`, { callId: p.callId }, {
      permanent: true,
    });
  }
  return rows[0].id;
}

export interface AttemptOutcome {
  attemptId: string;
  callId: string;
  contactId: string;
  disposition: Disposition;
  /** false for technical outcomes (NETWORK_FAILURE, SYSTEM_ERROR, INTERRUPTED) */
  counted: boolean;
  sipStatus: number | null;
  answeredAt: Date | null;
  endedAt: Date;
  hangupBy: 'robot' | 'callee' | 'system' | null;
  transcript: TranscriptLine[];
  error: string | null;
  /** What the retry rules decided for the contact. */
  contact: ContactStep;
  /** How the call's media went (packets, loss, jitter, RTCP figures); null when there was none. */
  media?: object | null;
  /** The callee asked not to be called: their number goes on the do-not-call list in the same transaction. */
  doNotCall?: { phone: string; reason: string; source: string };
  /**
   * Caps per person (src/dialer/rules/caps.ts): from the calls of the contact's patient and number
   * in the last `lookbackMs` (this one included), the first time another may start. Every open
   * contact of the patient and of the number, in every campaign, waits until then.
   */
  caps?: { lookbackMs: number; notBefore(history: { at: Date; answered: boolean }[]): Date | null };
  /** the callee named the time of the next call ("tomorrow after six"): the caps do not move this contact's */
  calleeNamedTime?: boolean;
}

/**
 * Closes the attempt, moves the contact on (attempt count, next attempt, lease released, a
 * call-back promised to an operator's list), frees any slot this call still holds and records a
 * do-not-call request, in one transaction. Resolves false, changing nothing but holds and the
 * do-not-call list, when the attempt was closed already (a dialer that lost the registry for
 * longer than its lease was taken for dead, and the next one closed its attempts).
 */
export async function finishAttempt(db: Db, o: AttemptOutcome): Promise<boolean> {
  return db.tx(async (t) => {
    if (o.doNotCall) await addDoNotCall(t, o.doNotCall);
    await t.query(
      `update slot set status = 'free', hold_call_id = null, hold_expires_at = null
       where hold_call_id = $1 and status = 'busy-tentative'`,
      [o.callId],
    );
    const { rows } = await t.query(
      `update attempt set disposition = $2, counted = $3, sip_status = $4, answered_at = $5, ended_at = $6,
         hangup_by = $7, transcript = $8, error = $9, media = $10
       where id = $1 and disposition is null returning id`,
      [o.attemptId, o.disposition, o.counted, o.sipStatus, o.answeredAt, o.endedAt, o.hangupBy, JSON.stringify(o.transcript), o.error, o.media ? JSON.stringify(o.media) : null],
    );
    if (rows.length === 0) return false;
    if (o.contact.callback) await promiseCallback(t, { contactId: o.contactId, attemptId: o.attemptId, reason: o.disposition, dueAt: o.contact.callback.dueAt });
    await t.query(
      `update campaign_contact set attempts = attempts + $2, state = $3, next_attempt_at = $4, last_disposition = $5, held_by_caps = false,
         lease_owner = null, lease_until = null
       where id = $1`,
      [o.contactId, o.counted ? 1 : 0, o.contact.state, o.contact.nextAttemptAt, o.disposition],
    );
    // a visit moved in this call: its reminder moves with it (the contact is about the new visit)
    if (o.disposition === 'RESCHEDULED') {
      const { rows: moved } = await t.query<{ booking_id: string; campaign_id: string | null; patient_id: string; starts_at: Date; own: string }>(
        `select b.id as booking_id, b.campaign_id, b.patient_id, s.starts_at, c.campaign_id as own from campaign_contact c
         join booking b on b.id = c.booking_id join slot s on s.id = b.slot_id
         where c.id = $1 and b.status <> 'cancelled'`,
        [o.contactId],
      );
      const m = moved[0];
      // the booking's campaign's reminder rule; a visit booked in the MIS: this campaign's, by default
      const rule = (await remindersOf(t, m?.campaign_id ?? null)) ?? (m ? { campaignId: m.own, ...DEFAULT_REMINDER } : null);
      if (m) await enrolReminder(t, { rule, bookingId: m.booking_id, patientId: m.patient_id, startsAt: m.starts_at, now: o.endedAt });
    }
    // a time the callee named ("call me tomorrow after six") is kept for this contact: the caps
    // hold back the person's other contacts
    if (o.caps) await applyCaps(t, o.contactId, o.endedAt, o.caps, { exceptSelf: o.calleeNamedTime === true });
    return true;
  });
}

/** Puts the contact on the operators' call-back list (one open entry per contact; a second promise changes nothing). */
export async function promiseCallback(t: Db, p: { contactId: string; attemptId: string; reason: string; dueAt: Date }): Promise<void> {
  await t.query(
    `insert into callback (campaign_contact_id, campaign_id, patient_id, attempt_id, phone, reason, due_at)
     select c.id, c.campaign_id, c.patient_id, $2, c.phone, $3, $4 from campaign_contact c where c.id = $1
     on conflict (campaign_contact_id) where status = 'open' do nothing`,
    [p.contactId, p.attemptId, p.reason, p.dueAt],
  );
}

/** Calls that reached the line and a machine's greeting is not a person's answer. */
const MACHINE = `('VOICEMAIL', 'VOICEMAIL_LEFT')`;

async function applyCaps(db: Db, contactId: string, now: Date, caps: NonNullable<AttemptOutcome['caps']>, o: { exceptSelf: boolean }): Promise<void> {
  const { rows } = await db.query<{ at: Date; answered: boolean }>(
    `with person as (select patient_id, phone from campaign_contact where id = $1),
          theirs as (select c.id from campaign_contact c join person on c.patient_id = person.patient_id
                     union select c.id from campaign_contact c join person on c.phone = person.phone)
     select a.started_at as at, (a.answered_at is not null and a.disposition not in ${MACHINE}) as answered
     from attempt a where a.campaign_contact_id in (select id from theirs) and a.counted and a.started_at >= $2`,
    [contactId, new Date(now.getTime() - caps.lookbackMs)],
  );
  const notBefore = caps.notBefore(rows);
  if (!notBefore) return;
  await db.query(
    `with person as (select patient_id, phone from campaign_contact where id = $1),
          theirs as (select c.id from campaign_contact c join person on c.patient_id = person.patient_id
                     union select c.id from campaign_contact c join person on c.phone = person.phone)
     update campaign_contact c set next_attempt_at = $2, held_by_caps = true
     where c.id in (select id from theirs) and c.state = 'pending' and not ($3 and c.id = $1) and c.next_attempt_at < $2`,
    [contactId, notBefore, o.exceptSelf],
  );
}

/** How many earlier attempts of a contact ended with this disposition (for retry ladders). */
export async function countAttempts(db: Db, p: { contactId: string; disposition: Disposition }): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from attempt where campaign_contact_id = $1 and disposition = $2`,
    [p.contactId, p.disposition],
  );
  return rows[0]!.n;
}

/**
 * Closes attempts left open by a dialer that died mid-call, in one transaction: those whose
 * dialer stopped, or sent no heartbeat for `leaseMs` (attempts of no known dialer: whose
 * contact's lease has lapsed). Each ends at the dialer's last heartbeat, its crash time. One
 * that had booked a slot is BOOKED and closes its contact (the booking committed with the
 * attempt's slot); the others become INTERRUPTED, not counted, and their contact is due again.
 * Their slot holds are released. Until this runs, leaseDueContacts() leases none of their
 * contacts, so a patient is never called twice at once. Returns how many were closed.
 */
export async function closeOrphanedAttempts(db: Db, p: { now: Date; leaseMs: number }): Promise<number> {
  return db.tx(async (t) => {
    const { rows } = await t.query<{ contact_id: string; call_id: string; booked: boolean }>(
      `with orphan as (
         select a.id, greatest(a.started_at, coalesce(d.heartbeat_at, c.lease_until, $1)) as crashed_at
         from attempt a
         join campaign_contact c on c.id = a.campaign_contact_id
         left join dialer d on d.id = a.dialer_id
         where a.disposition is null
           and case when d.id is null then c.lease_until is null or c.lease_until < $1
                    else d.stopped_at is not null or d.heartbeat_at < $1::timestamptz - $2::float8 * interval '1 millisecond' end
         for update of a skip locked)
       update attempt a set disposition = case when a.slot_id is null then 'INTERRUPTED' else 'BOOKED' end,
         counted = a.slot_id is not null, ended_at = least(o.crashed_at, $1), hangup_by = 'system', error = 'ENGINE_STOPPED'
       from orphan o where a.id = o.id
       returning a.campaign_contact_id as contact_id, a.call_id, a.slot_id is not null as booked`,
      [p.now, p.leaseMs],
    );
    if (rows.length === 0) return 0;
    await t.query(
      `update slot set status = 'free', hold_call_id = null, hold_expires_at = null
       where status = 'busy-tentative' and hold_call_id = any($1::text[])`,
      [rows.map((r) => r.call_id)],
    );
    const booked = rows.filter((r) => r.booked).map((r) => r.contact_id);
    const interrupted = rows.filter((r) => !r.booked).map((r) => r.contact_id);
    await t.query(
      `update campaign_contact set state = 'done', last_disposition = 'BOOKED', attempts = attempts + 1,
         next_attempt_at = null, lease_owner = null, lease_until = null
       where id = any($1::bigint[])`,
      [booked],
    );
    await t.query(
      `update campaign_contact set last_disposition = 'INTERRUPTED', next_attempt_at = coalesce(least(next_attempt_at, $2), $2),
         lease_owner = null, lease_until = null
       where id = any($1::bigint[]) and state = 'pending'`,
      [interrupted, p.now],
    );
    return rows.length;
  });
}
