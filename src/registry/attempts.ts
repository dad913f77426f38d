import type { ContactState, Disposition, TranscriptLine } from '../core/index.js';
import type { Db } from './db.js';
import { addDoNotCall } from './do-not-call.js';

/**
 * Records the attempt the moment the call is placed, so that an engine that dies mid-call
 * still leaves a row (a later sweep marks it INTERRUPTED): no attempt goes unrecorded.
 */
export async function startAttempt(
  db: Db,
  p: { callId: string; contactId: string; campaignId: string; patientId: string; dialogId: string; dialogVersion: string; at: Date },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into attempt (call_id, campaign_contact_id, campaign_id, patient_id, dialog_id, dialog_version, started_at)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [p.callId, p.contactId, p.campaignId, p.patientId, p.dialogId, p.dialogVersion, p.at],
  );
  return rows[0]!.id;
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
  contact: { state: ContactState; nextAttemptAt: Date | null };
  /** The callee asked not to be called: their number goes on the do-not-call list in the same transaction. */
  doNotCall?: { phone: string; reason: string; source: string };
}

/**
 * Closes the attempt, moves the contact on (attempt count, next attempt, lease released), frees
 * any slot this call still holds and records a do-not-call request, in one transaction.
 */
export async function finishAttempt(db: Db, o: AttemptOutcome): Promise<void> {
  await db.tx(async (t) => {
    await t.query(
      `update attempt set disposition = $2, counted = $3, sip_status = $4, answered_at = $5, ended_at = $6,
         hangup_by = $7, transcript = $8, error = $9
       where id = $1`,
      [o.attemptId, o.disposition, o.counted, o.sipStatus, o.answeredAt, o.endedAt, o.hangupBy, JSON.stringify(o.transcript), o.error],
    );
    await t.query(
      `update campaign_contact set attempts = attempts + $2, state = $3, next_attempt_at = $4, last_disposition = $5,
         lease_owner = null, lease_until = null
       where id = $1`,
      [o.contactId, o.counted ? 1 : 0, o.contact.state, o.contact.nextAttemptAt, o.disposition],
    );
    await t.query(
      `update slot set status = 'free', hold_call_id = null, hold_expires_at = null
       where hold_call_id = $1 and status = 'busy-tentative'`,
      [o.callId],
    );
    if (o.doNotCall) await addDoNotCall(t, o.doNotCall);
  });
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
 * Closes attempts left open by a dialer that died mid-call: their contact's lease has expired
 * (or was released) while the attempt has no disposition. One that had booked a slot is BOOKED
 * and closes its contact (the booking committed with the attempt's slot); the others become
 * INTERRUPTED, not counted, and their contact is dialled again. No attempt is left unrecorded.
 * Returns how many were closed.
 */
export async function closeInterruptedAttempts(db: Db, p: { now: Date }): Promise<number> {
  return db.tx(async (t) => {
    const { rows } = await t.query<{ contact_id: string; booked: boolean }>(
      `update attempt a set disposition = case when a.slot_id is null then 'INTERRUPTED' else 'BOOKED' end,
         counted = a.slot_id is not null, ended_at = $1, hangup_by = 'system', error = 'ENGINE_STOPPED'
       from campaign_contact c
       where c.id = a.campaign_contact_id and a.disposition is null
         and (c.lease_until is null or c.lease_until < $1)
       returning a.campaign_contact_id as contact_id, a.slot_id is not null as booked`,
      [p.now],
    );
    const booked = rows.filter((r) => r.booked).map((r) => r.contact_id);
    if (booked.length) {
      await t.query(
        `update campaign_contact set state = 'done', last_disposition = 'BOOKED', attempts = attempts + 1,
           lease_owner = null, lease_until = null
         where id = any($1::bigint[])`,
        [booked],
      );
    }
    return rows.length;
  });
}
