import type { Slot, TranscriptLine } from '../core/index.js';
import type { MediaSession } from '../media/index.js';
import type { HandoffRecord } from '../registry/index.js';

/** What an operator sees when a call is offered: who, why, and what was said so far. */
export interface HandoffContext {
  patient: {
    name: string;
    /** "60-69": enough to address the person; the birth year stays in the registry */
    ageBand: string | null;
    /** masked, as in logs (+7918***4567): the operator's phone shows the caller */
    phone: string;
  };
  clinic: string;
  /** the clinic's IANA zone: slots are shown in it */
  timeZone: string;
  campaign: { id: string; name: string; kind: 'cold' | 'warm' };
  reason: string;
  /** the slots the robot offered in this call, earliest first */
  offered: readonly Slot[];
  /** the script's notes for operators (its `notes` key), if any */
  notes: string | null;
  /** the script's id and version */
  script: string;
}

/**
 * A live call the robot hands to the operators (built by the call session from its own state):
 * what the registry records of it (its id, one per handoff; the call, attempt, campaign, contact
 * and patient; the queue, the skill an operator needs or null for the queue's name, priority 1
 * first, the language an operator must speak), and what the hub needs while it waits.
 */
export interface HandoffCall extends Omit<HandoffRecord, 'reason' | 'queuedAt'> {
  /** how long the callee is kept waiting before the robot offers a call-back */
  waitMs: number;
  context: HandoffContext;
  /** the transcript so far, and each new line as it comes (returns an unsubscribe) */
  transcript(): readonly TranscriptLine[];
  onLine(fn: (line: TranscriptLine) => void): () => void;
  /** the callee's audio, bridged to the operator's phone once an operator takes the call */
  media: MediaSession;
  /** aborted when the callee hangs up or the line is lost */
  gone: AbortSignal;
}

/**
 * How a handoff ended: `connected` (an operator is on the line; `done` resolves when either side
 * hangs up, saying which), `unanswered` (nobody took it within the wait), `unavailable` (nobody
 * could: no operator signed in for it, or the predicted wait is longer than the wait), or
 * `abandoned` (the callee hung up, or the call ended, while waiting).
 */
export type HandoffResult =
  | { outcome: 'connected'; operator: string; done: Promise<'callee' | 'operator'> }
  | { outcome: 'unanswered' | 'unavailable' | 'abandoned'; waitMs: number };

/** The operators' queue, as a call sees it. */
export interface OperatorQueue {
  /** Queues the call; `signal` aborts when the dialog stops (the callee hung up): the offer is withdrawn at once. */
  handoff(call: HandoffCall, signal: AbortSignal): Promise<HandoffResult>;
}
