import { randomUUID } from 'node:crypto';
import {
  CallFailedError, DISPOSITION_CLASS, maskPhone, RegistryError, ZvonarError,
  type Campaign, type Clock, type Disposition, type Logger, type Slot,
} from '../core/index.js';
import { DialogRun, type DialogCall, type DialogResult, type OperatorDesk, type Script } from '../dialog/index.js';
import type { compileScript } from '../dialog/index.js';
import type { MediaFactory, MediaSession } from '../media/index.js';
import {
  addDoNotCall, closeContact, countAttempts, finishAttempt, persist, setCampaignStatus, startAttempt,
  type Db, type LeasedContact,
} from '../registry/index.js';
import type { Asr, Tts } from '../speech/index.js';
import type { CallControl, CallLeg } from '../telephony/index.js';
import type { DialerMetrics } from './metrics.js';
import { callEnd, createSlotDesk, type CallEnd } from '../call/index.js';
import { nextStep } from './retry.js';

/** The ports one call uses. */
export interface CallDeps {
  db: Db;
  calls: CallControl;
  media: MediaFactory;
  tts: Tts;
  asr: Asr;
  operators: OperatorDesk;
  clock: Clock;
  log: Logger;
  metrics: DialerMetrics;
  /**
   * Resolves when the engine can hold a conversation (the speech engine answers); rejects with
   * the reason otherwise. The dialer asks before it leases contacts, so that no patient answers
   * a robot that cannot speak.
   */
  ready(): Promise<void>;
}

export interface CallPlan {
  campaign: Campaign;
  script: Script;
  machine: ReturnType<typeof compileScript>;
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
}

export interface CallSummary {
  callId: string;
  contactId: string;
  disposition: Disposition;
  sipStatus: number | null;
  booked: Slot | null;
}

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
 * How long a registry that went away mid-conversation is waited for (PostgreSQL restarting takes
 * a second or two) before the call gives up (or, before it starts, is not placed): the patient waits a moment,
 * rather than being hung up on.
 */
const IN_CALL_RETRY_MS = 8_000;

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

/** A stop request is retried at least this long while the registry is down. */
const DNC_RETRY_MS = 10 * 60_000;


/**
 * One attempt, start to end: records it, dials, runs the dialog once answered, and in one
 * transaction writes the disposition and moves the contact on. Never rejects for a call's
 * failure: every way a call can end becomes a disposition.
 */
export async function placeCall(deps: CallDeps, plan: CallPlan): Promise<CallSummary> {
  const { db, clock, metrics } = deps;
  const { campaign, contact } = plan;
  const callId = randomUUID();
  const log = deps.log.child({ callId, campaignId: campaign.id, phone: maskPhone(contact.patient.phone) });

  if (contact.doNotCall) {
    await persist(() => closeContact(db, { contactId: contact.id, disposition: 'DNC' }), { clock, log, what: 'a do-not-call contact', budgetMs: IN_CALL_RETRY_MS })
      .catch((err: unknown) => {
        throw new NotDialledError(callId, err);
      });
    log.info({}, 'contact closed: number on the do-not-call list');
    return { callId, contactId: contact.id, disposition: 'DNC', sipStatus: null, booked: null };
  }

  const attemptId = await persist(() => startAttempt(db, {
    callId, contactId: contact.id, campaignId: campaign.id, patientId: contact.patient.id,
    dialogId: plan.script.id, dialogVersion: plan.script.version, at: new Date(clock.now()), dialerId: plan.dialerId,
  }), { clock, log, what: 'the attempt', budgetMs: IN_CALL_RETRY_MS }).catch((err: unknown) => {
    throw new NotDialledError(callId, err);
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
  metrics.callsActive.inc();
  let sipStatus: number | null = null;
  let q850: number | null = null;
  let fault: CallEnd['fault'] = null;
  let answeredAt: Date | null = null;
  let hangupBy: 'robot' | 'callee' | 'system' | null = null;
  let error: string | null = null;
  let result: DialogResult | null = null;
  let media: MediaSession | null = null;
  let leg: CallLeg | null = null;
  let dialog: DialogRun | null = null;
  const ring = new AbortController();
  const fenced = () => {
    ring.abort();
    dialog?.stop();
  };
  plan.fence.addEventListener('abort', fenced, { once: true });
  try {
    if (plan.fence.aborted) throw new RegistryError('REGISTRY_UNAVAILABLE', 'the dialer lost the registry', { callId });
    media = await deps.media.allocate();
    const ringTimer = clock.setTimeout(() => ring.abort(), plan.ringTimeoutMs);
    let calleeHungUp = false;
    try {
      log.debug({}, 'dialing');
      leg = await deps.calls.originate(
        { callId, to: contact.patient.phone, from: plan.from, sdpOffer: media.offer() },
        { hangup: () => { calleeHungUp = true; dialog?.hangUp(); } },
        ring.signal,
      );
    } finally {
      clock.clearTimeout(ringTimer);
    }
    sipStatus = 200;
    answeredAt = new Date(clock.now());
    log.info({}, 'call answered');
    media.answer(leg.sdpAnswer);
    dialog = new DialogRun(plan.script, {
      callId,
      patient: { firstName: contact.patient.firstName, middleName: contact.patient.middleName, lastName: contact.patient.lastName },
      clinic: plan.clinic,
    }, {
      audio: media, tts: deps.tts, asr: deps.asr, operators: deps.operators, clock,
      slots: createSlotDesk({ db, clock, log, campaign, callId, attemptId, patientId: contact.patient.id, retryMs: IN_CALL_RETRY_MS }),
      onDoNotCall: storeDoNotCall,
    }, plan.machine);
    const running = dialog.run();
    if (calleeHungUp) dialog.hangUp();
    const longest = clock.setTimeout(() => dialog?.stop(), plan.maxCallMs);
    try {
      result = await running;
    } finally {
      clock.clearTimeout(longest);
    }
    if (result.firstAudioMs !== null) metrics.firstAudio.observe(result.firstAudioMs / 1000);
    hangupBy = result.endedBy === 'callee' ? 'callee' : 'robot';
    if (result.endedBy === 'error') {
      error = result.error instanceof ZvonarError ? result.error.code : 'INTERNAL';
      log.warn({ error: describe(result.error) }, 'dialog failed; call ended');
    }
    if (result.stopped) log.warn({ maxCallMs: plan.maxCallMs }, 'call ran past its longest length; robot hung up');
  } catch (err) {
    if (err instanceof CallFailedError) {
      sipStatus = err.sipStatus;
      q850 = err.q850;
      hangupBy = err.sipStatus === 487 ? 'robot' : 'callee';
    } else {
      error = err instanceof ZvonarError ? err.code : 'INTERNAL';
      fault = { kind: error === 'SDP_INVALID' ? 'sdp' : 'engine', code: error };
      hangupBy = 'system';
      log.error({ error: describe(err) }, 'call failed inside the engine');
    }
  } finally {
    plan.fence.removeEventListener('abort', fenced);
    if (leg && leg.state !== 'ended') await leg.hangup().catch(() => {});
    media?.close();
    metrics.callsActive.dec();
  }
  if (plan.fence.aborted && !result?.booked) {
    fault = { kind: 'registry-lost', code: 'REGISTRY_UNAVAILABLE' };
    error = 'REGISTRY_UNAVAILABLE';
    hangupBy = 'system';
    log.error({}, 'registry lost for too long; call ended before others take this dialer for dead');
  }
  const end = callEnd({
    sipStatus: answeredAt ? null : sipStatus, q850, amd: null, answered: answeredAt !== null, fault,
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
    const next = nextStep({ disposition, attempts, sameBefore, now: endedAt }, campaign.rules);
    const closed = await finishAttempt(db, {
      attemptId, callId, contactId: contact.id, disposition, counted, sipStatus, answeredAt, endedAt,
      hangupBy, transcript: result?.transcript ?? [], error, contact: next, ...(disposition === 'DNC' ? { doNotCall: dnc } : {}),
    });
    if (!closed) log.warn({ disposition }, 'attempt was closed by another dialer while the registry was out of reach');
  };
  await persist(close, { clock, log, what: 'the attempt', budgetMs: plan.registryRetryMs })
    .catch((err: unknown) => {
      throw new UnclosedAttemptError(callId, close, err);
    })
    .finally(() => dncStored);
  if (disposition === 'SYSTEM_ERROR') {
    // 401/407/402: our credentials or billing. Every further call would fail the same way.
    await setCampaignStatus(db, { id: campaign.id, status: 'paused' });
    log.error({ sipStatus }, 'trunk refused our credentials or billing; campaign paused');
  }
  metrics.attempts.inc({ campaign: campaign.id, disposition });
  if (result?.booked) metrics.bookings.inc({ campaign: campaign.id });
  log.info({ disposition, sipStatus }, 'attempt recorded');
  return { callId, contactId: contact.id, disposition, sipStatus, booked: result?.booked ?? null };
}

function describe(err: unknown): object {
  if (err instanceof ZvonarError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
