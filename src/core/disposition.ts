/**
 * Call outcomes and the facts that map SIP responses to them (../shared/DOMAIN.md).
 * Facts are tables: tests walk them.
 */
export const DISPOSITIONS = [
  // final
  'BOOKED', 'CONFIRMED', 'RESCHEDULED', 'CANCELLED_BY_PATIENT', 'DECLINED', 'ALREADY_DONE',
  'WRONG_NUMBER', 'WRONG_PERSON', 'DECEASED', 'MOVED', 'DNC', 'INVALID_NUMBER', 'BLOCKED', 'EXPIRED',
  // pending: someone still has to act
  'TRANSFERRED', 'CALLBACK_REQUESTED', 'NEEDS_HUMAN', 'TRANSFER_ABANDONED',
  // retryable
  'NO_ANSWER', 'BUSY', 'UNREACHABLE', 'VOICEMAIL', 'VOICEMAIL_LEFT', 'REJECTED', 'EARLY_HANGUP', 'ROBOT_SILENCE', 'NO_RESPONSE',
  // technical: not counted as an attempt
  'NETWORK_FAILURE', 'SYSTEM_ERROR', 'INTERRUPTED',
] as const;

export type Disposition = (typeof DISPOSITIONS)[number];
// ROBOT_SILENCE: the callee answered and the robot could not speak (speech engine down): an
// abandoned call in DOMAIN.md's sense, counted. NO_RESPONSE (ours, beyond DOMAIN.md's list): the
// robot spoke and the callee said nothing it understood. VOICEMAIL_LEFT (ours too): an answering
// machine answered and the script's message (its `voicemail` key) was said to its end; it books
// no one, so the contact is called again like after VOICEMAIL. EXPIRED (ours): the campaign's end
// date passed before the contact was done; it is a contact's outcome, never an attempt's.
export type DispositionClass = 'final' | 'pending' | 'retryable' | 'technical';

export const DISPOSITION_CLASS: Readonly<Record<Disposition, DispositionClass>> = {
  BOOKED: 'final', CONFIRMED: 'final', RESCHEDULED: 'final', CANCELLED_BY_PATIENT: 'final',
  DECLINED: 'final', ALREADY_DONE: 'final', WRONG_NUMBER: 'final', WRONG_PERSON: 'final',
  DECEASED: 'final', MOVED: 'final', DNC: 'final', INVALID_NUMBER: 'final', BLOCKED: 'final', EXPIRED: 'final',
  TRANSFERRED: 'pending', CALLBACK_REQUESTED: 'pending', NEEDS_HUMAN: 'pending', TRANSFER_ABANDONED: 'pending',
  NO_ANSWER: 'retryable', BUSY: 'retryable', UNREACHABLE: 'retryable', VOICEMAIL: 'retryable', VOICEMAIL_LEFT: 'retryable',
  REJECTED: 'retryable', EARLY_HANGUP: 'retryable', ROBOT_SILENCE: 'retryable', NO_RESPONSE: 'retryable',
  NETWORK_FAILURE: 'technical', SYSTEM_ERROR: 'technical', INTERRUPTED: 'technical',
};

export function isDisposition(s: string): s is Disposition {
  return (DISPOSITIONS as readonly string[]).includes(s);
}

/** Final SIP response to our INVITE -> disposition (DOMAIN.md, "SIP outcome -> disposition"). */
export const SIP_DISPOSITION: ReadonlyMap<number, Disposition> = new Map<number, Disposition>([
  [486, 'BUSY'], [600, 'BUSY'],
  [480, 'UNREACHABLE'], [502, 'UNREACHABLE'],
  [408, 'NO_ANSWER'], [487, 'NO_ANSWER'],
  [603, 'REJECTED'],
  [403, 'BLOCKED'],
  [404, 'INVALID_NUMBER'], [604, 'INVALID_NUMBER'], [485, 'INVALID_NUMBER'], [410, 'INVALID_NUMBER'], [484, 'INVALID_NUMBER'],
  [503, 'NETWORK_FAILURE'], [500, 'NETWORK_FAILURE'], [504, 'NETWORK_FAILURE'], [429, 'NETWORK_FAILURE'], [488, 'NETWORK_FAILURE'],
  [401, 'SYSTEM_ERROR'], [407, 'SYSTEM_ERROR'], [402, 'SYSTEM_ERROR'],
]);

/**
 * Q.850 cause (the SIP `Reason: Q.850;cause=N` header, RFC 3326) -> disposition. More precise
 * than the SIP status that carries it; DOMAIN.md's table gives the causes by status. Causes not
 * named here (16 normal clearing, ...) leave the decision to the SIP status.
 */
export const Q850_DISPOSITION: ReadonlyMap<number, Disposition> = new Map<number, Disposition>([
  [17, 'BUSY'],
  [18, 'NO_ANSWER'],
  [19, 'UNREACHABLE'], [20, 'UNREACHABLE'], [27, 'UNREACHABLE'], [31, 'UNREACHABLE'],
  [21, 'REJECTED'],
  [1, 'INVALID_NUMBER'], [22, 'INVALID_NUMBER'], [28, 'INVALID_NUMBER'],
  [34, 'NETWORK_FAILURE'], [38, 'NETWORK_FAILURE'], [41, 'NETWORK_FAILURE'], [42, 'NETWORK_FAILURE'], [47, 'NETWORK_FAILURE'],
]);

/** A status the table does not name is judged by its class: 4xx/6xx the callee's side, 5xx ours. */
export function dispositionForSip(status: number): Disposition {
  const known = SIP_DISPOSITION.get(status);
  if (known) return known;
  if (status >= 500 && status < 600) return 'NETWORK_FAILURE';
  if (status >= 600) return 'REJECTED';
  return 'UNREACHABLE';
}
