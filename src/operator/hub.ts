import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { ZvonarError, type Clock, type Logger, type TranscriptLine } from '../core/index.js';
import type { MediaFactory, MediaSession } from '../media/index.js';
import { recordHandoff, settleHandoff, endHandoffCall, type Account, type Db, type HandoffOutcome } from '../registry/index.js';
import type { Tts } from '../speech/index.js';
import type { CallControl, CallLeg } from '../telephony/index.js';
import { bridge } from './bridge.js';
import { meanWaitMs } from './erlang-c.js';
import type { HandoffCall, HandoffContext, HandoffResult, OperatorQueue } from './ports.js';

export type Presence = 'available' | 'busy' | 'wrap-up' | 'away';

/** An operator as the console and the supervisors see them. */
export interface OperatorView {
  id: string;
  login: string;
  name: string;
  presence: Presence;
  languages: string[];
  skills: string[];
  /** since when they are in this presence (ms since epoch) */
  since: number;
  /** the handoff offered to them or on their line */
  handoffId: string | null;
}

/** A call waiting for (or with) an operator, as the console shows it. */
export interface HandoffView {
  id: string;
  callId: string;
  queue: string;
  skill: string;
  priority: number;
  language: string;
  state: 'waiting' | 'offered' | 'connecting' | 'connected' | 'ended';
  queuedAt: number;
  /** the operator it is offered to, or who took it */
  operator: string | null;
  context: HandoffContext;
  transcript: readonly TranscriptLine[];
}

export type HubEvents = {
  /** the queue or an operator changed: consoles and supervisor pages redraw */
  changed: [];
  /** a call is offered to this operator (a screen-pop) */
  offer: [{ operatorId: string; handoff: HandoffView }];
  /** the offer was withdrawn: taken by another, the callee hung up, the wait ran out, not answered in time */
  withdrawn: [{ operatorId: string; handoffId: string; why: string }];
  /** a new line of a handed-off call's transcript, for whoever has it on screen */
  line: [{ handoffId: string; operatorId: string | null; line: TranscriptLine }];
  /** the operator is on the line with the callee */
  connected: [{ operatorId: string; handoffId: string }];
  /** the call ended; the operator is in wrap-up */
  ended: [{ operatorId: string; handoffId: string; by: 'callee' | 'operator' }];
  /** something the operator asked for failed (their phone did not answer) */
  problem: [{ operatorId: string; message: string }];
  /** a handoff's wait ended: taken, or not (the metrics count these) */
  settled: [{ queue: string; campaignId: string; outcome: HandoffResult['outcome']; waitMs: number }];
};

export interface OperatorHubOptions {
  db: Db;
  calls: CallControl;
  media: MediaFactory;
  tts: Tts;
  clock: Clock;
  log: Logger;
  /** how long one operator is offered a call before it moves to the next (their phone rings this long) */
  offerMs?: number;
  /** from: the caller id the operators' phones see */
  from?: string;
  /** a handling time to assume before any call was handled here (DOMAIN.md: ~180 s) */
  ahtMs?: number;
  /** what the operator hears on their phone when it is offered, by language ("press 1") */
  whisper?: Partial<Record<string, string>>;
}

const DEFAULT_WHISPER: Record<string, string> = {
  ru: 'Звонок от робота. Нажмите один, чтобы принять.',
  en: 'A call from the robot. Press one to take it.',
};

interface Operator {
  account: Account;
  presence: Presence;
  since: number;
  /** the handoff offered to or taken by them */
  handoffId: string | null;
}

interface Waiting {
  call: HandoffCall;
  state: HandoffView['state'];
  queuedAt: number;
  operator: string | null;
  /** operators who declined or let the offer ring out: not offered it again */
  passed: Set<string>;
  offerTimer: unknown;
  /** the offered operator's phone: ringing, then whispered to, then bridged */
  leg: { ring: AbortController; leg: Promise<CallLeg>; media: Promise<MediaSession>; answered: MediaSession | null; legDone: CallLeg | null; stopped: boolean } | null;
  /** ends the wait (once) and records how; resolves when the registry has it */
  settle: (r: HandoffResult) => Promise<void>;
  settled: boolean;
  unline: () => void;
}

/**
 * The operators of this process: their presence and skills, the calls waiting for them, and the
 * offers. A call goes to the longest-idle available operator who speaks its language and has its
 * skill; their console pops it with the context and the live transcript, and their phone rings
 * with a whisper ("press 1"). An offer not taken in `offerMs` moves on (and the operator who let it
 * ring out is set away). The first operator to take a call has it: any other is told HANDOFF_GONE.
 * A taken call is bridged through the engine to the operator's phone (CallControl + media ports,
 * so SIP and the simulated network alike). A callee who hangs up while waiting withdraws the offer
 * at once. Every handoff is recorded in the registry with its outcome and wait.
 */
export class OperatorHub extends EventEmitter<HubEvents> implements OperatorQueue {
  readonly #o: Required<Omit<OperatorHubOptions, 'whisper'>> & { whisper: Record<string, string> };
  readonly #operators = new Map<string, Operator>();
  readonly #waiting = new Map<string, Waiting>();
  /** handoffs of the last hour, and the talk times of calls handled here (for Erlang C) */
  readonly #arrivals: number[] = [];
  readonly #talkMs: number[] = [];
  /** ends the bridge of a connected handoff, saying who hung up */
  readonly #endBridge = new Map<string, (by: 'callee' | 'operator') => void>();

  constructor(o: OperatorHubOptions) {
    super();
    this.#o = { offerMs: 15_000, from: '+70000000000', ahtMs: 180_000, ...o, whisper: { ...DEFAULT_WHISPER, ...o.whisper } as Record<string, string> };
  }

  // ---- operators -------------------------------------------------------------------------

  /** An operator signed in to the console (again): away until they say they are available. */
  signIn(account: Account): void {
    const known = this.#operators.get(account.id);
    if (known) {
      known.account = account;
      return;
    }
    this.#operators.set(account.id, { account, presence: 'away', since: this.#o.clock.now(), handoffId: null });
    this.emit('changed');
  }

  /** The operator's last console closed: offers to them move on; a call on their line goes on. */
  signOut(accountId: string): void {
    const op = this.#operators.get(accountId);
    if (!op) return;
    if (op.presence === 'busy' && op.handoffId) return; // on a call: the phone goes on without the console
    this.#withdrawFrom(op, 'signed out');
    this.#operators.delete(accountId);
    this.emit('changed');
    this.#dispatch();
  }

  /** available, away or (from wrap-up) available again. busy is the hub's to set. */
  setPresence(accountId: string, presence: 'available' | 'away'): void {
    const op = this.#operator(accountId);
    if (op.presence === 'busy') throw new ZvonarError('REQUEST_INVALID', 'on a call: presence changes when it ends', { path: 'presence' });
    if (presence === 'away') this.#withdrawFrom(op, 'the operator went away');
    this.#set(op, presence);
    if (presence === 'available') op.handoffId = null;
    this.#dispatch();
  }

  operators(): OperatorView[] {
    return [...this.#operators.values()].map((op) => ({
      id: op.account.id, login: op.account.login, name: op.account.name, presence: op.presence,
      languages: op.account.languages, skills: op.account.skills, since: op.since, handoffId: op.handoffId,
    }));
  }

  operator(accountId: string): OperatorView | null {
    return this.operators().find((o) => o.id === accountId) ?? null;
  }

  queue(): HandoffView[] {
    return [...this.#waiting.values()].map((w) => this.#view(w));
  }

  find(id: string): HandoffView | null {
    const w = this.#waiting.get(id);
    return w ? this.#view(w) : null;
  }

  // ---- a call's side ---------------------------------------------------------------------

  handoff(call: HandoffCall, signal: AbortSignal): Promise<HandoffResult> {
    const { clock, db, log } = this.#o;
    const queuedAt = clock.now();
    this.#arrivals.push(queuedAt);
    const record = recordHandoff(db, {
      id: call.id, callId: call.callId, attemptId: call.attemptId, campaignId: call.campaignId, contactId: call.contactId, patientId: call.patientId,
      queue: call.queue, reason: call.context.reason, priority: call.priority, skill: call.skill, language: call.language, queuedAt: new Date(queuedAt),
    }).catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'handoff not recorded'));
    const store = (outcome: HandoffOutcome, waitMs: number, acceptedBy: string | null): Promise<void> =>
      record.then(() => settleHandoff(db, { id: call.id, outcome, waitMs, acceptedBy, at: new Date(clock.now()) }))
        .catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'handoff outcome not recorded'));

    // nobody who could take it is on duty, or the wait the operators on duty predict is longer
    // than the callee is kept waiting: the robot offers a call-back at once
    const able = this.#able(call);
    const predicted = this.predictedWaitMs(call);
    if (able === 0 || predicted > call.waitMs) {
      log.info({ handoffId: call.id, queue: call.queue, able, predictedWaitMs: Number.isFinite(predicted) ? Math.round(predicted) : null }, 'handoff: no operator can take it in time');
      this.emit('settled', { queue: call.queue, campaignId: call.campaignId, outcome: 'unavailable', waitMs: 0 });
      return store('unavailable', 0, null).then(() => ({ outcome: 'unavailable', waitMs: 0 }));
    }
    return new Promise<HandoffResult>((resolve) => {
      const w: Waiting = {
        call, state: 'waiting', queuedAt, operator: null, passed: new Set(), offerTimer: null, leg: null, settled: false,
        unline: call.onLine((line) => this.emit('line', { handoffId: call.id, operatorId: w.operator, line })),
        settle: (r) => {
          if (w.settled) return Promise.resolve();
          w.settled = true;
          clock.clearTimeout(waitTimer);
          signal.removeEventListener('abort', gone);
          call.gone.removeEventListener('abort', gone);
          let stored: Promise<void>;
          if (r.outcome !== 'connected') {
            w.unline();
            this.#withdraw(w, r.outcome === 'abandoned' ? 'the callee hung up' : 'the wait ran out');
            this.#waiting.delete(call.id);
            stored = store(r.outcome, r.waitMs, null);
          } else {
            stored = store('connected', clock.now() - queuedAt, w.operator);
          }
          this.emit('changed');
          this.emit('settled', { queue: call.queue, campaignId: call.campaignId, outcome: r.outcome, waitMs: r.outcome === 'connected' ? clock.now() - queuedAt : r.waitMs });
          resolve(r);
          return stored;
        },
      };
      // (while an operator who took it is being connected, the wait is theirs: if their phone
      // fails after it ran out, accept() ends it)
      const waitTimer = clock.setTimeout(() => {
        if (w.state === 'waiting' || w.state === 'offered') w.settle({ outcome: 'unanswered', waitMs: clock.now() - queuedAt });
      }, call.waitMs);
      const gone = () => w.settle({ outcome: 'abandoned', waitMs: clock.now() - queuedAt });
      if (signal.aborted || call.gone.aborted) return gone();
      signal.addEventListener('abort', gone, { once: true });
      call.gone.addEventListener('abort', gone, { once: true });
      this.#waiting.set(call.id, w);
      log.info({ handoffId: call.id, queue: call.queue, priority: call.priority }, 'handoff queued');
      this.emit('changed');
      this.#dispatch();
    });
  }

  /**
   * The mean wait a call would have now, by Erlang C over the operators who could take it, the
   * handoffs of the last hour and the talk time of calls handled here (180 s until some were).
   */
  predictedWaitMs(call: Pick<HandoffCall, 'language' | 'skill' | 'queue'>): number {
    const agents = this.#able(call);
    const now = this.#o.clock.now();
    while (this.#arrivals.length && this.#arrivals[0]! < now - 3_600_000) this.#arrivals.shift();
    const waiting = [...this.#waiting.values()].filter((w) => w.state === 'waiting' || w.state === 'offered').length;
    const free = [...this.#operators.values()].filter((op) => op.presence === 'available' && !op.handoffId && this.#fits(op, call)).length;
    if (free > waiting) return 0; // someone free now takes it at once
    return meanWaitMs(agents, this.#arrivals.length, this.ahtMs());
  }

  /** The mean talk time of the last calls operators took here; the assumed one before any. */
  ahtMs(): number {
    return this.#talkMs.length ? this.#talkMs.reduce((a, b) => a + b, 0) / this.#talkMs.length : this.#o.ahtMs;
  }

  /** Operators on duty (not away) who speak `language`; all of them with no language given. */
  onDuty(language?: string): number {
    return [...this.#operators.values()].filter((op) => op.presence !== 'away' && (!language || op.account.languages.some((l) => l.slice(0, 2) === language.slice(0, 2)))).length;
  }

  /** Handoffs in the last hour. */
  handoffsLastHour(): number {
    const now = this.#o.clock.now();
    return this.#arrivals.filter((t) => t >= now - 3_600_000).length;
  }

  /** Operators on duty (not away) who speak the language and have the skill. */
  #able(call: Pick<HandoffCall, 'language' | 'skill' | 'queue'>): number {
    return [...this.#operators.values()].filter((op) => op.presence !== 'away' && this.#fits(op, call)).length;
  }

  #fits(op: Operator, call: Pick<HandoffCall, 'language' | 'skill' | 'queue'>): boolean {
    const lang = call.language.slice(0, 2);
    const skill = call.skill ?? call.queue;
    return op.account.languages.some((l) => l.slice(0, 2) === lang) && (op.account.skills.includes(skill) || op.account.skills.includes('*'));
  }

  // ---- the operator's side ---------------------------------------------------------------

  /**
   * The operator takes the call: it must be offered to them (or waiting, with nobody offered, and
   * they able to take it). Rejects with HANDOFF_GONE when another took it first, or the callee
   * hung up. Resolves once the operator's phone is bridged to the callee.
   */
  async accept(accountId: string, handoffId: string): Promise<void> {
    const op = this.#operator(accountId);
    const w = this.#waiting.get(handoffId);
    if (!w || w.settled && w.state !== 'connected') throw gone(handoffId, 'the callee hung up or the wait ran out');
    if (w.state === 'connecting' || w.state === 'connected') {
      throw gone(handoffId, w.operator === accountId ? 'you have taken this call already' : 'another operator took this call');
    }
    if (w.operator !== accountId && (w.operator !== null || op.presence !== 'available' || op.handoffId || !this.#fits(op, w.call))) {
      throw gone(handoffId, 'this call is offered to another operator');
    }
    this.#o.clock.clearTimeout(w.offerTimer);
    w.state = 'connecting';
    w.operator = accountId;
    op.handoffId = handoffId;
    this.#set(op, 'busy');
    this.#o.log.info({ handoffId, operator: op.account.login }, 'operator took the call');
    const leg = w.leg ?? this.#ring(w, op, false);
    try {
      const media = await leg.media;
      if (w.settled) throw gone(handoffId, 'the callee hung up');
      await this.#connect(w, op, media, await leg.leg);
    } catch (err) {
      if (w.settled || (err instanceof ZvonarError && err.code === 'HANDOFF_GONE')) {
        this.#free(op, 'available');
        throw err instanceof ZvonarError ? err : gone(handoffId, 'the callee hung up');
      }
      // the operator's phone did not answer: the call waits for the next operator
      this.#o.log.warn({ handoffId, operator: op.account.login, error: err instanceof Error ? err.message : String(err) }, 'operator phone did not answer');
      this.emit('problem', { operatorId: accountId, message: 'your phone did not answer; the call went back to the queue' });
      this.#stopLeg(w);
      w.state = 'waiting';
      w.operator = null;
      w.passed.add(accountId);
      this.#free(op, 'away');
      const waited = this.#o.clock.now() - w.queuedAt;
      if (waited >= w.call.waitMs) void w.settle({ outcome: 'unanswered', waitMs: waited });
      else this.#dispatch();
      throw new ZvonarError('HANDOFF_GONE', 'your phone did not answer; the call went back to the queue', { handoffId }, { permanent: false });
    }
  }

  /** The operator passes on an offer: it moves to the next operator. */
  decline(accountId: string, handoffId: string): void {
    const op = this.#operator(accountId);
    const w = this.#waiting.get(handoffId);
    if (!w || w.operator !== accountId || w.state !== 'offered') throw gone(handoffId, 'this call is not offered to you');
    this.#unoffer(w, 'declined');
    w.passed.add(accountId);
    op.handoffId = null;
    this.emit('changed');
    this.#dispatch();
  }

  /** The operator ends the call from the console: both sides are hung up. */
  hangup(accountId: string, handoffId: string): void {
    const w = this.#waiting.get(handoffId);
    if (!w || w.operator !== accountId || w.state !== 'connected') throw gone(handoffId, 'this call is not on your line');
    w.leg?.legDone?.hangup().catch(() => {});
    this.#endBridge.get(handoffId)?.('operator');
  }

  /** The operator finished the wrap-up: available again. */
  wrapUpDone(accountId: string): void {
    const op = this.#operator(accountId);
    if (op.presence !== 'wrap-up') return;
    this.#free(op, 'available');
    this.#dispatch();
  }

  async #connect(w: Waiting, op: Operator, media: MediaSession, leg: CallLeg): Promise<void> {
    const { clock, log } = this.#o;
    w.state = 'connected';
    const unbridge = bridge(w.call.media, media);
    const started = clock.now();
    let end!: (by: 'callee' | 'operator') => void;
    const done = new Promise<'callee' | 'operator'>((resolve) => {
      end = (by) => {
        if (!this.#endBridge.has(w.call.id)) return;
        this.#endBridge.delete(w.call.id);
        unbridge();
        w.unline();
        this.#stopLeg(w);
        this.#waiting.delete(w.call.id);
        this.#talkMs.push(clock.now() - started);
        if (this.#talkMs.length > 200) this.#talkMs.shift();
        void endHandoffCall(this.#o.db, { id: w.call.id, at: new Date(clock.now()) }).catch(() => {});
        this.#set(op, 'wrap-up');
        log.info({ handoffId: w.call.id, by, talkMs: clock.now() - started }, 'operator call ended');
        this.emit('ended', { operatorId: op.account.id, handoffId: w.call.id, by });
        this.emit('changed');
        resolve(by);
      };
    });
    this.#endBridge.set(w.call.id, end);
    w.call.gone.addEventListener('abort', () => end('callee'), { once: true });
    media.on('close', () => end('operator'));
    if (w.call.gone.aborted) end('callee');
    // the registry knows who took the call before the console may book or wrap up on it
    await w.settle({ outcome: 'connected', operator: op.account.login, done });
    this.emit('connected', { operatorId: op.account.id, handoffId: w.call.id });
    void leg;
  }

  // ---- offers ----------------------------------------------------------------------------

  /** Offers each waiting call (most urgent first, then oldest) to the longest-idle operator who can take it. */
  #dispatch(): void {
    const waiting = [...this.#waiting.values()]
      .filter((w) => w.state === 'waiting')
      .sort((a, b) => a.call.priority - b.call.priority || a.queuedAt - b.queuedAt);
    for (const w of waiting) {
      const op = [...this.#operators.values()]
        .filter((o) => o.presence === 'available' && !o.handoffId && !w.passed.has(o.account.id) && this.#fits(o, w.call))
        .sort((a, b) => a.since - b.since)[0];
      if (op) this.#offer(w, op);
    }
  }

  #offer(w: Waiting, op: Operator): void {
    const { clock, log } = this.#o;
    w.state = 'offered';
    w.operator = op.account.id;
    op.handoffId = w.call.id;
    log.info({ handoffId: w.call.id, operator: op.account.login }, 'call offered');
    w.offerTimer = clock.setTimeout(() => {
      if (w.state !== 'offered' || w.operator !== op.account.id) return;
      // ring-out: the operator is set away so calls stop going to an empty desk
      this.#unoffer(w, 'not taken in time');
      w.passed.add(op.account.id);
      this.#free(op, 'away');
      this.#dispatch();
    }, this.#o.offerMs);
    if (op.account.phone) this.#ring(w, op, true);
    this.emit('offer', { operatorId: op.account.id, handoff: this.#view(w) });
    this.emit('changed');
  }

  /**
   * Rings the operator's phone. With `whisper`, once it answers it says who calls ("press 1"), and
   * the key takes the call, as the console's button does.
   */
  #ring(w: Waiting, op: Operator, whisper: boolean): NonNullable<Waiting['leg']> {
    const { calls, media: factory, log } = this.#o;
    const ring = new AbortController();
    const media = factory.allocate();
    const phone = op.account.phone;
    const l: NonNullable<Waiting['leg']> = {
      ring, media: Promise.resolve(null as never), leg: Promise.resolve(null as never), answered: null, legDone: null, stopped: false,
    };
    l.leg = (async () => {
      const m = await media;
      if (!phone) throw new ZvonarError('REQUEST_INVALID', `operator ${op.account.login} has no phone to put the call through to`, { path: 'phone' });
      const leg = await calls.originate({ callId: `${w.call.id}-op-${op.account.id}-${randomUUID().slice(0, 8)}`, to: phone, from: this.#o.from, sdpOffer: m.offer() }, {
        hangup: () => m.close(),
      }, ring.signal);
      m.answer(leg.sdpAnswer);
      l.answered = m;
      l.legDone = leg;
      if (l.stopped) {
        await leg.hangup().catch(() => {});
        m.close();
      }
      return leg;
    })();
    l.media = l.leg.then(() => media);
    l.leg.catch(() => media.then((m) => m.close()).catch(() => {}));
    const timer = this.#o.clock.setTimeout(() => ring.abort(), this.#o.offerMs + 15_000);
    l.leg.finally(() => this.#o.clock.clearTimeout(timer)).catch(() => {});
    w.leg = l;
    if (whisper) {
      l.media.then(async (m) => {
        if (l.stopped || w.state !== 'offered') return;
        m.on('dtmf', (digit) => {
          if (digit !== '1' || w.state !== 'offered' || w.operator !== op.account.id) return;
          this.accept(op.account.id, w.call.id).catch((err: unknown) => log.debug({ error: String(err) }, 'phone key accept failed'));
        });
        const text = this.#o.whisper[w.call.language.slice(0, 2)] ?? this.#o.whisper.en!;
        for await (const pcm of this.#o.tts.synthesize({ text, language: w.call.language, callId: w.call.callId, fixed: true })) {
          if (l.stopped || w.state !== 'offered') break;
          void m.play(pcm);
        }
      }).catch((err: unknown) => log.debug({ error: err instanceof Error ? err.message : String(err) }, 'operator phone not rung'));
    }
    return l;
  }

  #stopLeg(w: Waiting): void {
    const l = w.leg;
    if (!l || l.stopped) return;
    l.stopped = true;
    l.ring.abort();
    if (l.legDone) void l.legDone.hangup().catch(() => {});
    l.answered?.close();
    w.leg = null;
  }

  #unoffer(w: Waiting, why: string): void {
    if (w.state !== 'offered' || !w.operator) return;
    this.#o.clock.clearTimeout(w.offerTimer);
    this.#stopLeg(w);
    const opId = w.operator;
    const op = this.#operators.get(opId);
    if (op?.handoffId === w.call.id) op.handoffId = null;
    w.state = 'waiting';
    w.operator = null;
    this.emit('withdrawn', { operatorId: opId, handoffId: w.call.id, why });
  }

  /** The call stops waiting (hung up, wait over): whoever had it offered is told. */
  #withdraw(w: Waiting, why: string): void {
    const opId = w.operator;
    if (w.state === 'offered') this.#unoffer(w, why);
    else if (w.state === 'connecting' && opId) this.emit('withdrawn', { operatorId: opId, handoffId: w.call.id, why });
    this.#o.clock.clearTimeout(w.offerTimer);
    this.#stopLeg(w);
    w.state = 'ended';
  }

  #withdrawFrom(op: Operator, why: string): void {
    for (const w of this.#waiting.values()) {
      if (w.operator === op.account.id && w.state === 'offered') {
        this.#unoffer(w, why);
        w.passed.add(op.account.id);
      }
    }
    op.handoffId = null;
  }

  #free(op: Operator, presence: Presence): void {
    op.handoffId = null;
    this.#set(op, presence);
  }

  #set(op: Operator, presence: Presence): void {
    if (op.presence === presence) return;
    op.presence = presence;
    op.since = this.#o.clock.now();
    this.emit('changed');
  }

  #operator(accountId: string): Operator {
    const op = this.#operators.get(accountId);
    if (!op) throw new ZvonarError('REQUEST_INVALID', 'not signed in to the console', { path: 'operator' });
    return op;
  }

  #view(w: Waiting): HandoffView {
    return {
      id: w.call.id, callId: w.call.callId, queue: w.call.queue, skill: w.call.skill ?? w.call.queue, priority: w.call.priority,
      language: w.call.language, state: w.state, queuedAt: w.queuedAt, operator: w.operator, context: w.call.context, transcript: w.call.transcript(),
    };
  }
}

function gone(handoffId: string, why: string): ZvonarError {
  return new ZvonarError('HANDOFF_GONE', why, { handoffId });
}
