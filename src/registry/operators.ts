import { DISPOSITION_CLASS, ZvonarError, type ContactStep, type Disposition, type Slot } from '../core/index.js';
import type { Db } from './db.js';
import { promiseCallback } from './attempts.js';
import { addDoNotCall } from './do-not-call.js';
import { bookSlot } from './slots.js';
import { cancelVisit, moveVisit } from './visits.js';

/** Who may sign in to the console and the supervisor pages (migration 0010). */
export type Role = 'operator' | 'supervisor';
export const ROLES: readonly Role[] = ['operator', 'supervisor'];

export interface Account {
  id: string;
  login: string;
  name: string;
  role: Role;
  languages: string[];
  skills: string[];
  phone: string | null;
  disabled: boolean;
}

interface AccountRow extends Account {
  password_hash: string;
}

const ACCOUNT_COLUMNS = 'id, login, name, role, languages, skills, phone, disabled';

/** Creates an account, or changes the one with this login (its password too). Rejects with ACCOUNT_INVALID for a malformed login. */
export async function saveAccount(db: Db, a: Omit<Account, 'id' | 'disabled'> & { passwordHash: string }): Promise<string> {
  if (!/^[a-z0-9._-]{2,40}$/.test(a.login)) {
    throw new ZvonarError('ACCOUNT_INVALID', `login "${a.login}" is not 2-40 of a-z 0-9 . _ -`, { path: 'login' });
  }
  const { rows } = await db.query<{ id: string }>(
    `insert into account (login, name, role, password_hash, languages, skills, phone) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (login) do update set name = excluded.name, role = excluded.role, password_hash = excluded.password_hash,
       languages = excluded.languages, skills = excluded.skills, phone = excluded.phone, disabled = false
     returning id`,
    [a.login, a.name, a.role, a.passwordHash, a.languages, a.skills, a.phone],
  );
  return rows[0]!.id;
}

/** The account and its password hash, for signing in; null when there is none or it is disabled. */
export async function accountForLogin(db: Db, login: string): Promise<(Account & { passwordHash: string }) | null> {
  const { rows } = await db.query<AccountRow>(`select ${ACCOUNT_COLUMNS}, password_hash from account where login = $1 and not disabled`, [login]);
  const r = rows[0];
  if (!r) return null;
  const { password_hash, ...account } = r;
  return { ...account, passwordHash: password_hash };
}

export async function listAccounts(db: Db): Promise<Account[]> {
  const { rows } = await db.query<Account>(`select ${ACCOUNT_COLUMNS} from account order by login`);
  return rows;
}

export async function disableAccount(db: Db, login: string): Promise<boolean> {
  const { rows } = await db.query(`update account set disabled = true where login = $1 returning id`, [login]);
  await db.query(`delete from account_session where account_id in (select id from account where login = $1)`, [login]);
  return rows.length > 0;
}

/** Stores a session (only the SHA-256 of its token). */
export async function startSession(db: Db, s: { tokenHash: string; accountId: string; now: Date; expiresAt: Date }): Promise<void> {
  await db.query(`delete from account_session where expires_at < $1`, [s.now]);
  await db.query(`insert into account_session (token_hash, account_id, created_at, expires_at) values ($1, $2, $3, $4)`, [s.tokenHash, s.accountId, s.now, s.expiresAt]);
}

/** The account of a live session; null when the token is unknown, expired, or its account disabled. */
export async function sessionAccount(db: Db, p: { tokenHash: string; now: Date }): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `select ${ACCOUNT_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')} from account_session s join account a on a.id = s.account_id
     where s.token_hash = $1 and s.expires_at > $2 and not a.disabled`,
    [p.tokenHash, p.now],
  );
  return rows[0] ?? null;
}

export async function endSession(db: Db, tokenHash: string): Promise<void> {
  await db.query(`delete from account_session where token_hash = $1`, [tokenHash]);
}

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  detail: Record<string, unknown>;
}

/** Records a change a person (or a machine client) made. */
export async function audit(db: Db, e: { actor: string; action: string; subject?: string | null; detail?: Record<string, unknown>; at?: Date }): Promise<void> {
  await db.query(
    `insert into audit_log (at, actor, action, subject, detail) values (coalesce($1, now()), $2, $3, $4, $5)`,
    [e.at ?? null, e.actor, e.action, e.subject ?? null, JSON.stringify(e.detail ?? {})],
  );
}

export async function readAudit(db: Db, p: { limit: number; subject?: string }): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `select at, actor, action, subject, detail from audit_log where ($2::text is null or subject = $2) order by id desc limit $1`,
    [p.limit, p.subject ?? null],
  );
  return rows;
}

export type HandoffOutcome = 'connected' | 'unanswered' | 'abandoned' | 'unavailable';

export interface HandoffRecord {
  id: string;
  callId: string;
  attemptId: string;
  campaignId: string;
  contactId: string;
  patientId: string;
  queue: string;
  reason: string;
  priority: number;
  skill: string | null;
  language: string;
  queuedAt: Date;
}

export async function recordHandoff(db: Db, h: HandoffRecord): Promise<void> {
  await db.query(
    `insert into handoff (id, call_id, attempt_id, campaign_id, contact_id, patient_id, queue, reason, priority, skill, language, queued_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict (id) do nothing`,
    [h.id, h.callId, h.attemptId, h.campaignId, h.contactId, h.patientId, h.queue, h.reason, h.priority, h.skill, h.language, h.queuedAt],
  );
}

/** How the wait ended: an operator took the call, or nobody did (and why). Told once. */
export async function settleHandoff(db: Db, p: { id: string; outcome: HandoffOutcome; waitMs: number; acceptedBy?: string | null; at: Date }): Promise<void> {
  await db.query(
    `update handoff set outcome = $2, wait_ms = $3, accepted_by = $4, accepted_at = case when $4::bigint is null then null else $5::timestamptz end,
       ended_at = case when $4::bigint is null then $5::timestamptz else null end
     where id = $1 and outcome is null`,
    [p.id, p.outcome, Math.round(p.waitMs), p.acceptedBy ?? null, p.at],
  );
}

/** The operator's call ended (either side hung up). */
export async function endHandoffCall(db: Db, p: { id: string; at: Date }): Promise<void> {
  await db.query(`update handoff set ended_at = $2 where id = $1 and ended_at is null`, [p.id, p.at]);
}

export interface HandoffRow {
  id: string;
  call_id: string;
  attempt_id: string;
  campaign_id: string;
  contact_id: string;
  patient_id: string;
  queue: string;
  reason: string;
  outcome: HandoffOutcome | null;
  accepted_by: string | null;
  wait_ms: number | null;
  ended_at: Date | null;
  disposition: string | null;
  note: string | null;
  wrapped_up_at: Date | null;
}

export async function readHandoff(db: Db, id: string): Promise<HandoffRow | null> {
  const { rows } = await db.query<HandoffRow>(`select * from handoff where id = $1`, [id]);
  return rows[0] ?? null;
}

export const CALL_STILL_ON = 'the call is still on: end it first';

/** The operator's final codes: what a person on the line can find out (DOMAIN.md). */
export const WRAP_UP_DISPOSITIONS = [
  'BOOKED', 'CONFIRMED', 'RESCHEDULED', 'CANCELLED_BY_PATIENT', 'DECLINED', 'ALREADY_DONE',
  'WRONG_NUMBER', 'WRONG_PERSON', 'DECEASED', 'MOVED', 'DNC', 'CALLBACK_REQUESTED', 'NEEDS_HUMAN',
] as const satisfies readonly Disposition[];
export type WrapUpDisposition = (typeof WRAP_UP_DISPOSITIONS)[number];

/**
 * The operator's wrap-up of a call they took: their final code and note go on the handoff and on
 * the call's attempt (which the robot closed TRANSFERRED when the call ended), and the contact
 * moves as the code says (`step`: closed, or a call-back at the named time). A DNC puts the
 * number on the list. One transaction; false when the call is not this operator's, is not over
 * yet, or was wrapped up already.
 */
export async function wrapUpHandoff(
  db: Db,
  p: { handoffId: string; accountId: string; disposition: WrapUpDisposition; note: string | null; now: Date; step: ContactStep },
): Promise<{ ok: true } | { ok: false; why: string }> {
  return db.tx(async (t) => {
    const { rows } = await t.query<HandoffRow & { attempt_disposition: string | null; phone: string }>(
      `select h.*, a.disposition as attempt_disposition, c.phone from handoff h join attempt a on a.id = h.attempt_id
       join campaign_contact c on c.id = h.contact_id where h.id = $1 for update of h`,
      [p.handoffId],
    );
    const h = rows[0];
    if (!h) return { ok: false, why: 'no such handoff' };
    if (h.accepted_by !== p.accountId) return { ok: false, why: 'another operator took this call' };
    if (h.wrapped_up_at) return { ok: false, why: 'this call was wrapped up already' };
    if (h.attempt_disposition === null) return { ok: false, why: CALL_STILL_ON };
    await t.query(`update handoff set disposition = $2, note = $3, wrapped_up_at = $4 where id = $1`, [h.id, p.disposition, p.note, p.now]);
    await t.query(
      `update attempt set disposition = $2, operator_id = $3, operator_note = $4 where id = $1`,
      [h.attempt_id, p.disposition, p.accountId, p.note],
    );
    await t.query(
      `update campaign_contact set state = $2, next_attempt_at = $3, last_disposition = $4, lease_owner = null, lease_until = null where id = $1`,
      [h.contact_id, p.step.state, p.step.nextAttemptAt, p.disposition],
    );
    if (p.step.callback) await promiseCallback(t, { contactId: h.contact_id, attemptId: h.attempt_id, reason: p.disposition, dueAt: p.step.callback.dueAt });
    if (p.disposition === 'DNC') await addDoNotCall(t, { phone: h.phone, reason: 'asked an operator', source: 'operator' });
    if (DISPOSITION_CLASS[p.disposition] === 'final') {
      // a final code closes the person's call-back promise in this campaign, if one was open
      await t.query(`update callback set status = 'done' where campaign_contact_id = $1 and status = 'open'`, [h.contact_id]);
    }
    return { ok: true } as const;
  });
}

/**
 * An operator books a slot for the patient of a call they took, under the robot's rules: the
 * same transaction (bookSlot), linked to the call's attempt, so no slot is booked twice and a
 * slot the robot held for this call may be taken. Rejects with SlotTakenError when another has it.
 */
export async function bookForHandoff(db: Db, p: { handoffId: string; accountId: string; slotId: string; now: Date }): Promise<{ bookingId: string; slot: Slot } | { error: string }> {
  const h = await readHandoff(db, p.handoffId);
  if (!h) return { error: 'no such handoff' };
  if (h.accepted_by !== p.accountId) return { error: 'another operator took this call' };
  if (h.wrapped_up_at) return { error: 'this call was wrapped up already' };
  return bookSlot(db, { slotId: p.slotId, callId: h.call_id, attemptId: h.attempt_id, patientId: h.patient_id, campaignId: h.campaign_id, now: p.now });
}

/** The patient of a call an operator took: their visits still ahead (live bookings), earliest first. */
export async function visitsForHandoff(db: Db, p: { handoffId: string; accountId: string; now: Date }): Promise<{ bookingId: string; slot: Slot }[] | { error: string }> {
  const h = await readHandoff(db, p.handoffId);
  if (!h) return { error: 'no such handoff' };
  if (h.accepted_by !== p.accountId) return { error: 'another operator took this call' };
  const { rows } = await db.query<{ booking_id: string; id: string; resource: string; specialty: string; starts_at: Date; ends_at: Date }>(
    `select b.id as booking_id, s.id, s.resource, s.specialty, s.starts_at, s.ends_at from booking b join slot s on s.id = b.slot_id
     where b.patient_id = $1 and b.status in ('proposed', 'pending', 'booked') and s.starts_at > $2 order by s.starts_at`,
    [h.patient_id, p.now],
  );
  return rows.map((r) => ({ bookingId: r.booking_id, slot: { id: r.id, resource: r.resource, specialty: r.specialty, startsAt: r.starts_at, endsAt: r.ends_at } }));
}

/**
 * The operator cancels or moves a visit of the patient of a call they took, under the robot's
 * rules (cancelVisit, moveVisit: one transaction, the old slot freed only if the new is booked),
 * linked to the call's attempt. The booking must be this patient's.
 */
export async function changeVisitForHandoff(
  db: Db, p: { handoffId: string; accountId: string; bookingId: string; now: Date } & ({ cancel: true } | { moveTo: string }),
): Promise<'cancelled' | 'moved' | 'taken' | 'gone' | { error: string }> {
  const h = await readHandoff(db, p.handoffId);
  if (!h) return { error: 'no such handoff' };
  if (h.accepted_by !== p.accountId) return { error: 'another operator took this call' };
  const { rows } = await db.query(`select 1 from booking where id = $1 and patient_id = $2`, [p.bookingId, h.patient_id]);
  if (!rows.length) return { error: `booking ${p.bookingId} is not this patient's` };
  if ('cancel' in p) return cancelVisit(db, { bookingId: p.bookingId, attemptId: h.attempt_id, now: p.now });
  return (await moveVisit(db, { bookingId: p.bookingId, slotId: p.moveTo, callId: h.call_id, attemptId: h.attempt_id, now: p.now })).result;
}
