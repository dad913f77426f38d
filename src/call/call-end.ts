import { dispositionForSip, Q850_DISPOSITION, type Disposition } from '../core/index.js';
import type { AmdVerdict, EarlyMediaKind } from '../media/index.js';

/** What early media (a 183's audio before any answer) sounded like: src/media/early-media.ts. */
export type EarlyMedia = EarlyMediaKind;

/**
 * Everything known about how a call ended, whichever layer learnt it: signalling (SIP final
 * status, Q.850 cause), machine detection, the dialog, and faults of the engine itself.
 */
export interface CallEnd {
  /** final status of our INVITE when it was not answered (487 after our CANCEL); null once answered */
  sipStatus: number | null;
  /** Q.850 cause from the `Reason` header, when the network gave one */
  q850: number | null;
  /** machine detection's verdict after the answer; null when it did not run */
  amd: AmdVerdict | null;
  /**
   * the script's message for a machine (its `voicemail` key) was said to its last frame; false
   * when the script has none, or the callee's side hung up or the line was lost while it played
   */
  voicemailLeft: boolean;
  /** what the network played before any answer, when it sent early media */
  earlyMedia: EarlyMedia | null;
  /** the dialog's end, once answered */
  dialog: {
    /** the disposition the script ended with */
    disposition: Disposition | null;
    booked: boolean;
    endedBy: 'robot' | 'callee' | 'error';
    /** ran past the longest allowed call and was stopped */
    stopped: boolean;
    /** error code when a behaviour failed (endedBy 'error') */
    error: string | null;
  } | null;
  /**
   * The engine's own fault: an answer's SDP that makes no sense, a failure inside the engine, the
   * registry lost (the fence), or the signalling lost under an answered call (drachtio-server
   * restarted, keep-alives unanswered).
   */
  fault: { kind: 'sdp' | 'engine' | 'registry-lost' | 'network'; code: string } | null;
  answered: boolean;
  /** the callee hung up while waiting for an operator */
  handoffAbandoned?: boolean;
}

interface Row {
  /** when this row applies, in words: tests walk the table by it */
  when: string;
  test: (e: CallEnd) => boolean;
  disposition: (e: CallEnd) => Disposition;
}

const is = (d: Disposition) => () => d;

/**
 * The call-end table: the first row that applies gives the disposition. One place decides it,
 * for every way a call can end (DOMAIN.md, "SIP outcome -> disposition" and "Dispositions").
 */
export const CALL_END: readonly Row[] = [
  // Ended by this dialer, which lost the registry: not the callee's doing, not counted.
  { when: 'the dialer lost the registry and nothing was booked', test: (e) => e.fault?.kind === 'registry-lost' && !e.dialog?.booked, disposition: is('INTERRUPTED') },
  { when: 'a slot was booked', test: (e) => e.dialog?.booked === true, disposition: is('BOOKED') },
  // The registry refused a second live booking of this patient (the last line of defence): the
  // patient is booked, by an earlier call; closed so, not called again.
  { when: 'the registry refused a second booking of the patient', test: (e) => e.dialog?.error === 'BOOKING_EXISTS', disposition: is('BOOKED') },
  // An answer whose SDP makes no sense is the network's fault, retried soon.
  { when: 'the answer\'s SDP makes no sense', test: (e) => e.fault?.kind === 'sdp', disposition: is('NETWORK_FAILURE') },
  // A voicemail greeting played as early media is a machine, whatever status ends the INVITE
  // (usually our CANCEL, sent the moment its beep was heard).
  { when: 'not answered, a voicemail greeting played before the answer', test: (e) => !e.answered && e.earlyMedia === 'voicemail', disposition: is('VOICEMAIL') },
  // A Q.850 cause is more precise than the SIP status that carries it (17 user busy in a 480).
  { when: 'not answered, with a Q.850 cause the table names', test: (e) => !e.answered && e.q850 !== null && Q850_DISPOSITION.has(e.q850), disposition: (e) => Q850_DISPOSITION.get(e.q850!)! },
  // The network's own announcement ("абонент недоступен", SIT tones) tells the number's status:
  // ringing out after it, or timing out, is not a "no answer".
  {
    when: 'not answered after an operator\'s announcement, and the status says only "no answer"',
    test: (e) => !e.answered && e.earlyMedia === 'announcement' && (e.sipStatus === null || dispositionForSip(e.sipStatus) === 'NO_ANSWER'),
    disposition: is('UNREACHABLE'),
  },
  { when: 'not answered, with a SIP final status', test: (e) => !e.answered && e.sipStatus !== null, disposition: (e) => dispositionForSip(e.sipStatus!) },
  // A message cut short (the mailbox hung up mid-way: it is full, or its recording time ran out)
  // was not left: plain VOICEMAIL, the next row.
  { when: 'an answering machine answered and the script\'s message was said to its end', test: (e) => e.amd === 'machine' && e.voicemailLeft, disposition: is('VOICEMAIL_LEFT') },
  { when: 'an answering machine answered', test: (e) => e.amd === 'machine', disposition: is('VOICEMAIL') },
  // A script that reached its end (the goodbye cut short by a lost line) stands.
  { when: 'the script ended with a disposition', test: (e) => e.dialog?.disposition != null, disposition: (e) => e.dialog!.disposition! },
  // The signalling under an answered call was lost, not hung up: not the callee's doing.
  { when: 'the network lost the answered call before the script ended', test: (e) => e.fault?.kind === 'network', disposition: is('NETWORK_FAILURE') },
  // Went round in circles past the longest call: a person should call back.
  { when: 'the call ran past its longest length', test: (e) => e.dialog?.stopped === true, disposition: is('NEEDS_HUMAN') },
  // DOMAIN.md's third kind of abandoned call: a person on the operators' list calls back
  { when: 'the callee hung up waiting for an operator', test: (e) => e.handoffAbandoned === true && e.dialog?.endedBy === 'callee', disposition: is('TRANSFER_ABANDONED') },
  { when: 'the callee hung up before the script ended', test: (e) => e.dialog?.endedBy === 'callee', disposition: is('EARLY_HANGUP') },
  // Our own failure after the callee answered left them in silence: an abandoned call, counted.
  { when: 'the engine failed after the callee answered', test: (e) => e.answered, disposition: is('ROBOT_SILENCE') },
  { when: 'the engine failed before anyone answered', test: () => true, disposition: is('INTERRUPTED') },
];

/** The disposition of a call, and the row that decided it (for logs and tests). */
export function callEnd(e: CallEnd): { disposition: Disposition; because: string } {
  const row = CALL_END.find((r) => r.test(e))!;
  return { disposition: row.disposition(e), because: row.when };
}
