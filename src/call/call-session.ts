// Longer than 400 lines on purpose: one call's whole life (attempt, dialling, early media, the
// dialog, hang-up, the final write) reads top to bottom in run(), where the order of those steps
// is the thing to check. What stands on its own went out: the call-end table (call-end.ts), the
// transcript (transcript.ts), the slot desk (slot-desk.ts), machine detection (machine-detection.ts).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  CallFailedError, callingWindows, DISPOSITION_CLASS, fitToCallingHours, InvalidStateError, maskPhone, RegistryError, SpeechError, ZvonarError,
  type Campaign, type Clock, type ContactStep, type Disposition, type Logger, type Slot, type TranscriptLine,
} from '../core/index.js';
import { DialogRun, usesVisit, type DialogCall, type DialogResult, type OperatorDesk, type Script, type SlotDesk } from '../dialog/index.js';
import type { HandoffContext, HandoffResult, OperatorQueue } from '../operator/index.js';
import type { compileScript } from '../dialog/index.js';
import { EarlyMediaClassifier, Vad, type AmdVerdict, type MediaFactory, type MediaSession, type MediaStats } from '../media/index.js';
import {
  addDoNotCall, closeContact, countAttempts, finishAttempt, persist, setCampaignStatus, startAttempt,
  type AttemptOutcome, type Db, type LeasedContact,
} from '../registry/index.js';
import { callPrompts, type Asr, type Tts } from '../speech/index.js';
import type { CallControl, CallLeg } from '../telephony/index.js';
import { apology } from './apology.js';
import { callEnd, type CallEnd, type EarlyMedia } from './call-end.js';
import { createSlotDesk } from './slot-desk.js';
import { answerMachines, type MachineDetectionOptions } from './machine-detection.js';
import { recordTranscript } from './transcript.js';
import type { CallRecorder } from './recorder.js';

/** The ports one call uses. */
export interface SessionDeps {
  db: Db;
  calls: CallControl;
  media: MediaFactory;
  tts: Tts;
  asr: Asr;
  /** the operators' queue a handoff goes to (src/operator); noOperators when none sign in here */
  operators: OperatorQueue;
  clock: Clock;
  log: Logger;
}

export interface CallPlan {
  campaign: Campaign;
  script: Script;
  machine: ReturnType<typeof compileScript>;
  /** which text of the script this call runs (DialogVersion.hash), recorded on its attempt */
  dialogHash?: string;
  contact: LeasedContact;
  from: string;
  ringTimeoutMs: number;
  /** the robot ends an answered call that runs longer (a script going round in circles) */
  maxCallMs: number;
  clinic: DialogCall['clinic'];
  /** the dialer placing the call (its heartbeat keeps the call's attempt live) */
  dialerId: string;
  /** how long the call's last writes are retried while the registry is down */
  registryRetryMs: number;
  /**
   * Aborted when this dialer has lost the registry for so long that others will take it for
   * dead: the call is ended at once (INTERRUPTED), before anyone could dial the patient again.
   */
  fence: AbortSignal;
  /**
   * Answering-machine detection on the first seconds after the answer, in parallel with the
   * greeting (config `amd`); null: off. A machine is left the script's `voicemail` message
   * (VOICEMAIL_LEFT) or hung up on (VOICEMAIL); a screening assistant hears the script's
   * `screening` text; a person, or not sure: the script goes on (machine-detection.ts).
   */
  amd?: MachineDetectionOptions | null;
  /**
   * Keys pressed for the robot once the call is answered, before the script speaks (RFC 4733):
   * an extension behind the callee's switchboard. ',' waits half a second. Checked by the caller.
   */
  dtmfAfterAnswer?: string;
  /** keeps the answered call's audio, both sides (the campaign's `recording`); none: not recorded */
  recorder?: CallRecorder | null;
  /** a test call (`zvonar call`): slots are offered, none held or booked (see createSlotDesk) */
  rehearsal?: boolean;
  /** what the rules decide for the contact after this attempt (src/dialer/retry.ts) */
  nextStep(p: { disposition: Disposition; attempts: number; sameBefore: number; now: Date; retryAfterMs: number | null; callbackAt: Date | null }): ContactStep;
  /** caps per person across campaigns, applied as the attempt closes (see AttemptOutcome.caps); absent: none */
  caps?: AttemptOutcome['caps'];
}

export interface CallSummary {
  /** the script handed the call to the operators' queue (whatever came of it) */
  handedOff: boolean;
  callId: string;
  contactId: string;
  disposition: Disposition;
  sipStatus: number | null;
  booked: Slot | null;
}

/**
 * One call's life, as a guarded state machine:
 *
 *   created ─▶ originating ─▶ ringing ─▶ early-media ─▶ answered ─▶ dialog ⇄ handoff ─▶ operator
 *      │            └──────────┴─────────────┴──────────▶ (the steps between are skipped
 *      │                                                     when the network skips them)
 *      │
 *      │   originating … handoff ─▶ hanging-up ─▶ finished  (from any of them: not answered,
 *      │                                                       failed, hung up, fenced)
 *      └─▶ finished   (no call placed: a do-not-call number, or no attempt could be recorded)
 *
 * early-media: a 183 carried SDP and its audio is being classified (ringback, an operator's
 * announcement, a voicemail greeting) until the answer or the final status. handoff: the script
 * handed the callee to the operators' queue; it returns to the dialog when none takes the call.
 * operator: an operator took it, and the callee is bridged to their phone until either hangs up.
 * Machine detection runs beside the dialog, and a message to a machine is left in the dialog
 * state (machine-detection.ts). A move the diagram lacks throws InvalidStateError.
 */
export type CallState = 'created' | 'originating' | 'ringing' | 'early-media' | 'answered' | 'dialog' | 'handoff' | 'operator' | 'hanging-up' | 'finished';

/** The moves the diagram above allows; tests walk it. */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  created: ['originating', 'finished'],
  originating: ['ringing', 'early-media', 'answered', 'hanging-up'],
  ringing: ['early-media', 'answered', 'hanging-up'],
  'early-media': ['answered', 'hanging-up'],
  answered: ['dialog', 'hanging-up'],
  dialog: ['handoff', 'hanging-up'],
  handoff: ['dialog', 'operator', 'hanging-up'],
  operator: ['hanging-up'],
  'hanging-up': ['finished'],
  finished: [],
};
const NEXT = CALL_TRANSITIONS;

/**
 * The call's event stream: the metrics, the transcript, the operator console (a later issue)
 * and tests subscribe to it. Times are ms since the session was created.
 */
export type CallEvents = {
  state: [{ from: CallState; to: CallState; atMs: number }];
  /** the robot said a prompt */
  said: [{ step: string; text: string; atMs: number }];
  /** the callee said something (intent as matched; confidence from the recogniser) */
  heard: [{ step: string; text: string; intent: string | null; confidence: number | null; atMs: number }];
  /** the dialog noted something that was neither said nor heard (silence, slots offered, a booking) */
  note: [{ step: string; text: string; atMs: number }];
  /** a key pressed (RFC 4733 telephone-event), once per key: by the callee, or sent by the robot */
  dtmf: [{ digit: string; by: 'callee' | 'robot'; durationMs: number; atMs: number }];
  /** what early media sounded like, told once when it ends (the answer, or the final status) */
  'early-media': [{ kind: EarlyMedia; cue: string; heardMs: number; atMs: number }];
  /** machine detection's verdict, once (machine-detection.ts) */
  amd: [{ verdict: AmdVerdict; cue: string; atMs: number }];
  /** the script handed the callee to the operators' queue, and what came of it (abandoned: the callee hung up waiting) */
  handoff: [{ queue: string; outcome: 'connected' | 'unanswered' | 'unavailable' | 'abandoned'; waitMs: number; operator: string | null; atMs: number }];
  /** the first audio frame went out, ms after answer (DOMAIN.md: keep it under 1 s) */
  'first-audio': [{ afterAnswerMs: number }];
  booked: [{ slot: Slot }];
  /** a line of the transcript, as it is written (transcript.ts) */
  line: [TranscriptLine];
  /** who ended the call: 'network' when the signalling under it was lost */
  hangup: [{ by: 'robot' | 'callee' | 'system' | 'network'; atMs: number }];
  /** the outcome, and the row of the call-end table that decided it */
  ended: [{ disposition: Disposition; because: string; sipStatus: number | null; q850: number | null; durationMs: number; media: Readonly<MediaStats> | null }];
};

/**
 * The attempt could not be recorded, so the number was not dialled (no call goes unrecorded).
 * Its contact's lease, never renewed, lapses and returns it to the pool.
 */
export class NotDialledError extends RegistryError {
  constructor(callId: string, cause: unknown) {
    super('REGISTRY_UNAVAILABLE', 'the attempt could not be recorded; the number was not dialled', { callId }, { permanent: false, cause });
  }
}

/**
 * The call has ended but its attempt could not be closed while the registry was away. The dialer
 * keeps it and calls close() again until it is stored, with the call's own outcome; the heartbeat
 * keeps its contact leased meanwhile. Should the dialer die first, the next one closes it.
 */
export class UnclosedAttemptError extends RegistryError {
  readonly close: () => Promise<void>;
  constructor(callId: string, close: () => Promise<void>, cause: unknown) {
    super('REGISTRY_UNAVAILABLE', 'the attempt could not be closed while the registry was away', { callId }, { permanent: false, cause });
    this.close = close;
  }
}

/**
 * How long a registry that went away mid-conversation is waited for (PostgreSQL restarting takes
 * a second or two) before the call gives up (or, before it starts, is not placed): the patient
 * waits a moment, rather than being hung up on.
 */
const IN_CALL_RETRY_MS = 8_000;

/** Longest the answer waits for the visit a reminder is about, read while the phone rang (first audio <= 1 s: DOMAIN.md). */
const VISIT_WAIT_MS = 300;

/** After SIT tones, how long the network's own final status is waited for before our CANCEL. */
const ANNOUNCEMENT_WAIT_MS = 8_000;

/** How long a key the robot presses lasts (RFC 4733 events of 100 ms are what phones send). */
const DTMF_KEY_MS = 100;

/** A stop request is retried at least this long while the registry is down. */
const DNC_RETRY_MS = 10 * 60_000;

/**
 * One attempt, start to end: records it, dials, runs the dialog once answered, and in one
 * transaction writes the disposition and moves the contact on. run() never rejects for the
 * call's own failure: every way a call can end becomes a disposition (the call-end table). It
 * rejects with NotDialledError when no call was placed for want of the registry, and with
 * UnclosedAttemptError when the call ended but its attempt could not be closed.
 */
export class CallSession extends EventEmitter<CallEvents> {
  readonly callId = randomUUID();
  readonly #deps: SessionDeps;
  readonly #plan: CallPlan;
  readonly #log: Logger;
  readonly #t0: number;
  #state: CallState = 'created';
  /** an operator's call: resolves when either side hangs up */
  #bridged: Promise<'callee' | 'operator'> | null = null;
  /** the callee hung up waiting for an operator */
  #abandoned = false;
  #handedOff = false;
  /** written from this session's own event stream (transcript.ts); stored with the attempt */
  readonly transcript: readonly TranscriptLine[];

  constructor(deps: SessionDeps, plan: CallPlan) {
    super();
    this.transcript = recordTranscript(this);
    this.#deps = deps;
    this.#plan = plan;
    this.#t0 = deps.clock.now();
    this.#log = deps.log.child({ callId: this.callId, campaignId: plan.campaign.id, phone: maskPhone(plan.contact.patient.phone) });
  }

  get state(): CallState {
    return this.#state;
  }

  #to(to: CallState): void {
    if (!NEXT[this.#state].includes(to)) throw new InvalidStateError(`call ${this.callId}: ${this.#state} -> ${to}`, { callId: this.callId });
    const from = this.#state;
    this.#state = to;
    this.emit('state', { from, to, atMs: this.#at() });
  }

  #at(): number {
    return this.#deps.clock.now() - this.#t0;
  }

  async run(): Promise<CallSummary> {
    const { db, clock } = this.#deps;
    const { campaign, contact } = this.#plan;
    const plan = this.#plan;
    const log = this.#log;
    const callId = this.callId;

    if (contact.doNotCall) {
      await persist(() => closeContact(db, { contactId: contact.id, disposition: 'DNC' }), { clock, log, what: 'a do-not-call contact', budgetMs: IN_CALL_RETRY_MS })
        .catch((err: unknown) => {
          throw new NotDialledError(callId, err);
        });
      log.info({}, 'contact closed: number on the do-not-call list');
      this.#to('finished');
      this.emit('ended', { disposition: 'DNC', because: 'the number is on the do-not-call list', sipStatus: null, q850: null, durationMs: 0, media: null });
      return { callId, contactId: contact.id, disposition: 'DNC', sipStatus: null, booked: null, handedOff: false };
    }

    const attemptId = await persist(() => startAttempt(db, {
      callId, contactId: contact.id, campaignId: campaign.id, patientId: contact.patient.id,
      dialogId: plan.script.id, dialogVersion: plan.script.version, dialogHash: plan.dialogHash ?? null, at: new Date(clock.now()), dialerId: plan.dialerId,
    }), { clock, log, what: 'the attempt', budgetMs: IN_CALL_RETRY_MS }).catch((err: unknown) => {
      this.#to('finished');
      throw new NotDialledError(callId, err);
    });
    /** the time the callee asked to be called back at (the script's callback step), honoured if the call ends CALLBACK_REQUESTED */
    let callbackAt: Date | null = null;
    const booking = createSlotDesk({ db, clock, log, campaign, callId, attemptId, patientId: contact.patient.id, contactId: contact.id, retryMs: IN_CALL_RETRY_MS, rehearsal: plan.rehearsal === true });
    // the slots last offered: an operator taking the call sees them
    let offered: readonly Slot[] = [];
    const desk: SlotDesk = { ...booking, offer: async (q) => (offered = await booking.offer(q)) };
    // the visit a reminder is about ({visit} in its first prompt), read while the phone rings, so
    // the answer is not kept waiting for it; none (or a registry that failed) is a call without one
    const visit = !usesVisit(plan.script) ? Promise.resolve(null) : desk.visit().catch((err: unknown) => {
      log.warn({ error: describe(err) }, 'the visit this call is about could not be read; the call goes on without it');
      return null;
    });
    // whether a mailbox had the script's message on an earlier attempt (it is left once), read
    // while the phone rings; a registry that fails says no: a message twice beats none
    const leftBefore = !plan.script.voicemail || plan.script.voicemail.leave === 'every' || plan.amd === null ? Promise.resolve(false)
      : countAttempts(db, { contactId: contact.id, disposition: 'VOICEMAIL_LEFT' }).then((n) => n > 0, (err: unknown) => {
        log.warn({ error: describe(err) }, 'earlier voicemail messages could not be read; a mailbox is left the message');
        return false;
      });
    // A stop request is stored the moment it is heard, in its own transaction, retried until it
    // is: it must survive a hang-up whose final write fails.
    const dnc = { phone: contact.patient.phone, reason: 'asked during a call', source: 'patient' };
    let dncStored: Promise<unknown> | null = null;
    const storeDoNotCall = () => {
      dncStored ??= persist(() => addDoNotCall(db, dnc), { clock, log, what: 'a do-not-call request', budgetMs: Math.max(plan.registryRetryMs, DNC_RETRY_MS) })
        .then(() => log.info({}, 'number put on the do-not-call list'))
        .catch((err: unknown) => log.error({ error: describe(err) }, 'do-not-call request not stored'));
    };

    let sipStatus: number | null = null;
    let q850: number | null = null;
    let retryAfterMs: number | null = null;
    let fault: CallEnd['fault'] = null;
    let answeredAt: Date | null = null;
    let hangupBy: 'robot' | 'callee' | 'system' | 'network' | null = null;
    let error: string | null = null;
    let result: DialogResult | null = null;
    let mediaReport: MediaStats | null = null;
    let media: MediaSession | null = null;
    let leg: CallLeg | null = null;
    let dialog: DialogRun | null = null;
    let networkLost = false;
    let mediaLost = false;
    let amd: AmdVerdict | null = null;
    let voicemailLeft = false;
    /** who ended the call an operator took */
    let operatorCall: 'callee' | 'operator' | null = null;
    /** aborted when the callee's side hangs up or the line is lost */
    const lineGone = new AbortController();
    /** this call's own prompts, kept while it lasts (a greeting said again after a screening assistant) */
    const over = new AbortController();
    const tts = callPrompts(this.#deps.tts, over.signal);
    let early: { classifier: EarlyMediaClassifier; stop: () => void } | null = null;
    let earlyMedia: EarlyMedia | null = null;
    const ring = new AbortController();
    const fenced = () => {
      ring.abort();
      dialog?.stop();
    };
    plan.fence.addEventListener('abort', fenced, { once: true });
    try {
      this.#to('originating');
      if (plan.fence.aborted) throw new RegistryError('REGISTRY_UNAVAILABLE', 'the dialer lost the registry', { callId });
      media = await this.#deps.media.allocate();
      const ringTimer = clock.setTimeout(() => ring.abort(), plan.ringTimeoutMs);
      let calleeHungUp = false;
      try {
        log.debug({}, 'dialing');
        leg = await this.#deps.calls.originate(
          { callId, to: contact.patient.phone, from: plan.from, sdpOffer: media.offer() },
          {
            ringing: () => {
              if (this.#state === 'originating') this.#to('ringing');
            },
            earlyMedia: (sdp) => {
              if (early || !media || ring.signal.aborted) return;
              try {
                media.answer(sdp);
              } catch (err) {
                log.warn({ error: describe(err) }, 'early media SDP makes no sense; not listened to');
                return;
              }
              this.#to('early-media');
              const classifier = new EarlyMediaClassifier();
              let settledAt: number | null = null;
              const stop = media.on('audio', (pcm) => {
                classifier.push(pcm);
                // A voicemail greeting has said all it will (its beep was heard): no need to
                // ring on to the timeout. The CANCEL ends the INVITE with 487, judged VOICEMAIL.
                if (!classifier.settled || settledAt !== null) return;
                settledAt = clock.now();
                if (classifier.verdict()?.kind === 'voicemail') ring.abort();
                // SIT tones: the network is telling the number's status and will end the INVITE
                // itself, with a status that says more (404 or 480); a few seconds are waited for
                // it, not the whole ring timeout
                else clock.setTimeout(() => ring.abort(), ANNOUNCEMENT_WAIT_MS);
              });
              early = { classifier, stop };
            },
            remoteOffer: (sdp) => media!.accept(sdp),
            hangup: ({ by }) => {
              calleeHungUp = true;
              lineGone.abort();
              if (by === 'network') networkLost = true;
              dialog?.hangUp();
            },
          },
          ring.signal,
        );
      } finally {
        clock.clearTimeout(ringTimer);
        earlyMedia = this.#endEarlyMedia(early);
        early = null;
      }
      sipStatus = 200;
      answeredAt = new Date(clock.now());
      this.#to('answered');
      log.info({}, 'call answered');
      media.answer(leg.sdpAnswer);
      if (plan.recorder) media = plan.recorder.record(callId, media);
      media.on('dtmf', (digit, durationMs) => this.emit('dtmf', { digit, by: 'callee', durationMs, atMs: this.#at() }));
      media.on('timeout', (silentMs) => {
        // the callee's RTP stopped though the signalling goes on: a dead line, ended like a lost one
        log.warn({ silentMs: Math.round(silentMs) }, 'no RTP from the callee; call ended');
        mediaLost = true;
        lineGone.abort();
        dialog?.hangUp();
      });
      if (plan.dtmfAfterAnswer) await this.#pressKeys(media, plan.dtmfAfterAnswer);
      dialog = new DialogRun(plan.script, {
        callId,
        patient: { firstName: contact.patient.firstName, middleName: contact.patient.middleName, lastName: contact.patient.lastName, timeZone: contact.patient.timeZone },
        clinic: plan.clinic,
        // what the ring left time to read; a slower registry is not waited for here (the callee would
        // hear silence): the script's `visit: check` reads it again
        visit: await Promise.race([visit, new Promise<null>((r) => clock.setTimeout(() => r(null), VISIT_WAIT_MS))]),
      }, {
        audio: media, tts, asr: this.#deps.asr, operators: this.#operators({ attemptId, media, gone: lineGone.signal, offered: () => offered }), clock,
        slots: desk,
        callbacks: {
          fit: (t) => fitToCallingHours(t, { timeZone: contact.patient.timeZone, windows: callingWindows(campaign.rules.callingHours), calendar: campaign.rules.callingHours.calendar }),
          request: (at) => {
            callbackAt = at;
          },
        },
        onDoNotCall: storeDoNotCall,
        onLine: (line) => this.#line(line),
        vad: () => new Vad(),
      }, plan.machine);
      this.#to('dialog');
      const running = dialog.run();
      const machines = plan.amd === null ? null : answerMachines({
        media, asr: this.#deps.asr, tts, clock, log, callId, opts: plan.amd ?? {}, script: plan.script, clinic: plan.clinic,
        dialog, dialogDone: running, gone: AbortSignal.any([lineGone.signal, plan.fence]),
        told: (v) => this.emit('amd', { verdict: v.verdict, cue: v.cue, atMs: this.#at() }), line: (l) => this.#line(l), leftBefore,
      });
      // the line went (hung up, or its RTP stopped) before the dialog could hear of it
      if (lineGone.signal.aborted) dialog.hangUp();
      const longest = clock.setTimeout(() => dialog?.stop(), plan.maxCallMs);
      try {
        result = await running;
        // an operator took the call: the robot stays out of it until either side hangs up
        if (this.#bridged) operatorCall = await this.#bridged;
        voicemailLeft = (await machines?.message()) === 'left';
        if (speechFailed(result) && !lineGone.signal.aborted) await this.#apologise(media, plan.script.language, lineGone.signal);
      } finally {
        clock.clearTimeout(longest);
        machines?.stop();
        amd = machines?.verdict() ?? null;
      }
      if (result.firstAudioMs !== null) this.emit('first-audio', { afterAnswerMs: result.firstAudioMs });
      if (result.booked) this.emit('booked', { slot: result.booked });
      hangupBy = networkLost ? 'network' : mediaLost ? 'system'
        : operatorCall ? (operatorCall === 'callee' ? 'callee' : 'robot')
        : result.endedBy === 'callee' || (amd === 'machine' && calleeHungUp) ? 'callee' : 'robot';
      if ((networkLost || mediaLost) && !result.booked) {
        error = networkLost ? 'CALL_LOST' : 'MEDIA_TIMEOUT';
        fault = { kind: 'network', code: error };
        if (networkLost) log.warn({}, 'the signalling under the call was lost');
      }
      if (result.endedBy === 'error') {
        error = result.error instanceof ZvonarError ? result.error.code : 'INTERNAL';
        log.warn({ error: describe(result.error) }, 'dialog failed; call ended');
      }
      if (result.stopped && amd !== 'machine') log.warn({ maxCallMs: plan.maxCallMs }, 'call ran past its longest length; robot hung up');
    } catch (err) {
      if (err instanceof CallFailedError) {
        sipStatus = err.sipStatus;
        q850 = err.q850;
        retryAfterMs = err.retryAfterMs;
        hangupBy = err.sipStatus === 487 ? 'robot' : 'callee';
      } else {
        error = err instanceof ZvonarError ? err.code : 'INTERNAL';
        fault = { kind: error === 'SDP_INVALID' ? 'sdp' : 'engine', code: error };
        hangupBy = 'system';
        log.error({ error: describe(err) }, 'call failed inside the engine');
      }
    } finally {
      over.abort();
      plan.fence.removeEventListener('abort', fenced);
      this.#to('hanging-up');
      if (leg && leg.state !== 'ended') await leg.hangup().catch(() => {});
      if (media && answeredAt) mediaReport = { ...media.stats };
      media?.close();
    }
    if (plan.fence.aborted && !result?.booked) {
      fault = { kind: 'registry-lost', code: 'REGISTRY_UNAVAILABLE' };
      error = 'REGISTRY_UNAVAILABLE';
      hangupBy = 'system';
      log.error({}, 'registry lost for too long; call ended before others take this dialer for dead');
    }
    if (hangupBy) this.emit('hangup', { by: hangupBy, atMs: this.#at() });
    const end = callEnd({
      sipStatus: answeredAt ? null : sipStatus, q850, amd, voicemailLeft, earlyMedia, answered: answeredAt !== null, fault, handoffAbandoned: this.#abandoned,
      dialog: result && { disposition: result.disposition, booked: result.booked !== null, endedBy: result.endedBy, stopped: result.stopped, error },
    });
    const disposition = end.disposition;
    log.debug({ disposition, because: end.because }, 'call ended');
    if (disposition === 'DNC') storeDoNotCall();

    const endedAt = new Date(clock.now());
    const counted = DISPOSITION_CLASS[disposition] !== 'technical';
    const attempts = contact.attempts + (counted ? 1 : 0);
    const close = async () => {
      const sameBefore = await countAttempts(db, { contactId: contact.id, disposition });
      const next = plan.nextStep({ disposition, attempts, sameBefore, now: endedAt, retryAfterMs, callbackAt });
      const closed = await finishAttempt(db, {
        attemptId, callId, contactId: contact.id, disposition, counted, sipStatus, answeredAt, endedAt,
        hangupBy: hangupBy === 'network' ? 'system' : hangupBy, transcript: [...this.transcript], error, media: mediaReport, contact: next, ...(disposition === 'DNC' ? { doNotCall: dnc } : {}),
        ...(plan.caps ? { caps: plan.caps, calleeNamedTime: disposition === 'CALLBACK_REQUESTED' && callbackAt !== null } : {}),
      });
      if (!closed) log.warn({ disposition }, 'attempt was closed by another dialer while the registry was out of reach');
    };
    const durationMs = answeredAt ? endedAt.getTime() - answeredAt.getTime() : 0;
    try {
      await persist(close, { clock, log, what: 'the attempt', budgetMs: plan.registryRetryMs })
        .catch((err: unknown) => {
          throw new UnclosedAttemptError(callId, close, err);
        })
        .finally(() => dncStored);
    } finally {
      this.#to('finished');
      this.emit('ended', { disposition, because: end.because, sipStatus, q850, durationMs, media: mediaReport });
    }
    if (disposition === 'SYSTEM_ERROR') {
      // 401/407/402: our credentials or billing. Every further call would fail the same way.
      await setCampaignStatus(db, { id: campaign.id, status: 'paused' });
      log.error({ sipStatus }, 'trunk refused our credentials or billing; campaign paused');
    }
    log.info({ disposition, sipStatus }, 'attempt recorded');
    return { callId, contactId: contact.id, disposition, sipStatus, booked: result?.booked ?? null, handedOff: this.#handedOff };
  }

  /**
   * No engine could speak or listen: the callee hears the recorded apology (apology.ts), not
   * silence, before the robot hangs up (ROBOT_SILENCE, call-end.ts). Bounded by its own length.
   */
  async #apologise(media: MediaSession, language: string, gone: AbortSignal): Promise<void> {
    const clip = apology(language);
    if (!clip) return;
    this.#line({ who: 'system', text: '(no speech engine answered: the recorded apology was played)', atMs: 0 });
    media.flush();
    await Promise.race([
      media.play(clip),
      new Promise<void>((resolve) => {
        const t = this.#deps.clock.setTimeout(resolve, clip.length / 8 + 500);
        gone.addEventListener('abort', () => {
          this.#deps.clock.clearTimeout(t);
          resolve();
        }, { once: true });
      }),
    ]);
  }

  #line(line: TranscriptLine & { confidence?: number }): void {
    const atMs = this.#at();
    const step = line.step ?? '';
    if (line.who === 'robot') this.emit('said', { step, text: line.text, atMs });
    else if (line.who === 'callee') this.emit('heard', { step, text: line.text, intent: line.intent ?? null, confidence: line.confidence ?? null, atMs });
    else this.emit('note', { step, text: line.text, atMs });
  }

  /** Sends keys as RFC 4733 events, one after another; ',' waits half a second. */
  async #pressKeys(media: MediaSession, keys: string): Promise<void> {
    for (const key of keys) {
      if (key === ',') {
        await new Promise<void>((r) => this.#deps.clock.setTimeout(() => r(), 500));
        continue;
      }
      const sent = await media.sendDtmf(key, DTMF_KEY_MS).catch((err: unknown) => {
        // a far end without telephone-event: the keys cannot be sent; the call goes on without them
        this.#log.warn({ error: describe(err) }, 'keys not sent');
        this.emit('note', { step: '', text: `keys not sent: ${err instanceof ZvonarError ? err.code : 'error'}`, atMs: this.#at() });
        return false;
      });
      if (!sent) return; // the call ended, or no telephone-event
      this.emit('dtmf', { digit: key, by: 'robot', durationMs: DTMF_KEY_MS, atMs: this.#at() });
    }
  }

  /** Stops listening to early media and tells what it was, once; null when there was none. */
  #endEarlyMedia(early: { classifier: EarlyMediaClassifier; stop: () => void } | null): EarlyMedia | null {
    if (!early) return null;
    early.stop();
    const verdict = early.classifier.verdict();
    if (!verdict) return null;
    this.#log.info({ earlyMedia: verdict.kind, cue: verdict.cue }, 'early media classified');
    this.emit('early-media', { kind: verdict.kind, cue: verdict.cue, heardMs: early.classifier.heardMs, atMs: this.#at() });
    return verdict.kind;
  }

  /**
   * The operators' queue, seen through this call's dialog: a handoff carries the call's context
   * (patient, campaign, reason, the slots offered, the live transcript) and its audio, moves the
   * session (handoff, then operator or back to dialog), and is told as an event.
   */
  #operators(c: { attemptId: string; media: MediaSession; gone: AbortSignal; offered: () => readonly Slot[] }): OperatorDesk {
    const { campaign, contact, script, clinic } = this.#plan;
    const { patient } = contact;
    return {
      handoff: async (p, signal) => {
        this.#to('handoff');
        this.#handedOff = true;
        const context: HandoffContext = {
          patient: { name: [patient.lastName, patient.firstName, patient.middleName].filter(Boolean).join(' '), ageBand: ageBand(patient.birthYear, this.#deps.clock.now()), phone: maskPhone(patient.phone) },
          clinic: clinic.name,
          timeZone: clinic.timeZone,
          campaign: { id: campaign.id, name: campaign.name, kind: campaign.kind },
          reason: p.reason,
          offered: c.offered(),
          notes: p.note,
          script: `${script.id} v${script.version}`,
        };
        let r: HandoffResult = { outcome: 'unavailable', waitMs: 0 };
        try {
          r = await this.#deps.operators.handoff({
            id: randomUUID(), callId: this.callId, attemptId: c.attemptId, campaignId: campaign.id, contactId: contact.id, patientId: patient.id,
            queue: p.queue, skill: p.skill, priority: p.priority, language: script.language, waitMs: p.waitMs, context,
            transcript: () => [...this.transcript],
            onLine: (fn) => {
              this.on('line', fn);
              return () => this.off('line', fn);
            },
            media: c.media, gone: c.gone,
          }, signal);
        } catch (err) {
          this.#log.warn({ error: describe(err) }, 'the operators\' queue failed; the script goes on as if nobody could take the call');
        } finally {
          const operator = r.outcome === 'connected' ? r.operator : null;
          this.emit('handoff', { queue: p.queue, outcome: r.outcome, waitMs: r.outcome === 'connected' ? 0 : r.waitMs, operator, atMs: this.#at() });
          if (r.outcome === 'connected') {
            this.#bridged = r.done;
            this.#to('operator');
          } else if (this.#state === 'handoff') this.#to('dialog');
          if (r.outcome === 'abandoned') this.#abandoned = true;
        }
        return r.outcome === 'connected' ? 'connected' : 'unavailable';
      },
    };
  }
}

/** "60-69": a decade, enough for an operator to address the person. */
function ageBand(birthYear: number | null, now: number): string | null {
  if (birthYear === null) return null;
  const age = new Date(now).getUTCFullYear() - birthYear;
  const from = Math.floor(age / 10) * 10;
  return `${from}-${from + 9}`;
}

function describe(err: unknown): object {
  if (err instanceof ZvonarError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** The dialog ended because no speech engine could serve it. */
function speechFailed(r: DialogResult): boolean {
  return r.endedBy === 'error' && r.error instanceof SpeechError && r.error.code === 'SPEECH_UNAVAILABLE';
}
