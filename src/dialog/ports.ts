import type { Clock, Disposition, Slot, TranscriptLine } from '../core/index.js';
import type { MediaSession } from '../media/index.js';
import type { Asr, Tts } from '../speech/index.js';
import type { VoiceActivity } from './barge-in.js';

/** The call's audio, as the dialog needs it (a MediaSession is one). */
export type CallAudio = Pick<MediaSession, 'play' | 'flush' | 'on'> & Partial<Pick<MediaSession, 'pause' | 'resume'>>;

/** The registry's slots, bound to this call (its id, attempt, patient and contact). */
export interface SlotDesk {
  /** Free slots to offer, earliest first (starting after `after`, when given); held for this call where the campaign holds. */
  offer(p: { count: number; specialty: string | null; after?: Date | null }): Promise<Slot[]>;
  /** 'taken' when someone else booked it first. */
  book(slot: Slot): Promise<'booked' | 'taken'>;
  /** the visit this call is about (a reminder), or null */
  visit(): Promise<Slot | null>;
  /** 'gone' when the visit was cancelled meanwhile (e.g. by the clinic), or there is none. */
  confirmVisit(): Promise<'confirmed' | 'gone'>;
  /** Frees the visit's slot at once. 'gone' when it was cancelled meanwhile, or there is none. */
  cancelVisit(): Promise<'cancelled' | 'gone'>;
  /** moves the visit to a slot offered in this call: the old slot is freed only if the new one is booked */
  moveVisit(slot: Slot): Promise<'moved' | 'taken' | 'gone'>;
}

/** A handoff as the script asks for it (the `handoff` verb, or the operator safe default). */
export interface HandoffAsk {
  queue: string;
  callId: string;
  /** why a person is needed, shown to the operator */
  reason: string;
  /** 1 (first) .. 9 */
  priority: number;
  /** the skill an operator needs; null: the queue's name */
  skill: string | null;
  /** how long the callee is kept waiting before the script goes on `unavailable` */
  waitMs: number;
  /** the script's note for the operator, if any */
  note: string | null;
}

export interface OperatorDesk {
  /**
   * Puts the call in an operator queue and waits: 'connected' once an operator is on the line,
   * 'unavailable' when nobody can take it or took it within `waitMs`. `signal` aborts when the
   * dialog stops (the callee hung up): the offer is withdrawn at once.
   */
  handoff(p: HandoffAsk, signal: AbortSignal): Promise<'connected' | 'unavailable'>;
}

/** Calling the callee back at a time they name (the `callback` verb). */
export interface CallbackDesk {
  /** the first moment at or after `earliest` (and before `latest`, if given) within the callee's calling hours; null if none soon */
  fit(t: { earliest: Date; latest: Date | null }): Date | null;
  /** the callee asked to be called back at `at`: the contact's next attempt, once the call ends as CALLBACK_REQUESTED */
  request(at: Date): void;
}

/** What a dialog talks through: this call's ports. */
export interface DialogDeps {
  audio: CallAudio;
  tts: Tts;
  asr: Asr;
  slots: SlotDesk;
  operators: OperatorDesk;
  /** absent: a callback step hears the time but cannot set it (it ends `unclear`) */
  callbacks?: CallbackDesk;
  clock: Clock;
  /**
   * The call reached a step that ends it with DNC: the callee asked not to be called. Called
   * once, before the goodbye is said, so the request is stored the moment it is heard.
   */
  onDoNotCall?: () => void;
  /** Each line of the transcript as it is said or heard (with the recogniser's confidence). */
  onLine?: (line: TranscriptLine & { confidence?: number }) => void;
  /** A voice activity detector for the callee's audio: with one, interruptible prompts can be barged in on (barge-in.ts). */
  vad?: () => VoiceActivity;
}

/** Who is called, for the prompts' placeholders. */
export interface DialogCall {
  callId: string;
  /** timeZone: the callee's (a time they name is read on their clock); the clinic's when absent */
  patient: { firstName: string; middleName: string | null; lastName: string; timeZone?: string };
  clinic: { name: string; phone?: string; timeZone: string };
  /** the visit a reminder call is about ({visit}; the `visit` and `reschedule` verbs), if any */
  visit?: Slot | null;
}

export interface DialogResult {
  /** the disposition the script ended with; null when the callee hung up or an error ended it */
  disposition: Disposition | null;
  endedBy: 'robot' | 'callee' | 'error';
  booked: Slot | null;
  transcript: TranscriptLine[];
  error: unknown;
  /** the robot ended it early with stop() */
  stopped: boolean;
  /** ms from answer to the first audio frame queued (DOMAIN.md: keep it <= 1000) */
  firstAudioMs: number | null;
}
