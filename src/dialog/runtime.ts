import { assign, createActor, fromPromise, toPromise } from 'xstate';
import type { Clock, Disposition, Slot, TranscriptLine } from '../core/index.js';
import type { MediaSession } from '../media/index.js';
import type { Asr, Tts } from '../speech/index.js';
import { compileScript, type StepResult } from './compile.js';
import { matchIntent } from './intents.js';
import type { Script } from './script-schema.js';
import { render, speakSlot, type TemplateVar } from './template.js';
import { BargeIn, type VoiceActivity } from './barge-in.js';

/** The call's audio, as the dialog needs it (a MediaSession is one). */
export type CallAudio = Pick<MediaSession, 'play' | 'flush' | 'on'> & Partial<Pick<MediaSession, 'pause' | 'resume'>>;

/** The registry's slots, bound to this call (its id, attempt and patient). */
export interface SlotDesk {
  /** Free slots to offer, earliest first; held for this call where the campaign holds. */
  offer(p: { count: number; specialty: string | null }): Promise<Slot[]>;
  /** 'taken' when someone else booked it first. */
  book(slot: Slot): Promise<'booked' | 'taken'>;
}

export interface OperatorDesk {
  /** Puts the call in an operator queue; 'unavailable' when no operator can take it now. */
  handoff(p: { queue: string; callId: string }): Promise<'connected' | 'unavailable'>;
}

export interface DialogDeps {
  audio: CallAudio;
  tts: Tts;
  asr: Asr;
  slots: SlotDesk;
  operators: OperatorDesk;
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

export interface DialogCall {
  callId: string;
  /** values for the prompts' placeholders */
  patient: { firstName: string; middleName: string | null; lastName: string };
  clinic: { name: string; phone?: string; timeZone: string };
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

/** Longest a single answer may run before the robot stops listening. */
const MAX_UTTERANCE_MS = 15_000;

/**
 * Runs one call's dialog: one xstate actor whose behaviours speak, listen, offer and book
 * through this call's ports. Resolves when the script ends, the callee hangs up (hangUp())
 * or a behaviour fails; never rejects.
 */
export class DialogRun {
  readonly #script: Script;
  readonly #call: DialogCall;
  readonly #deps: DialogDeps;
  readonly #t0: number;
  readonly #transcript: TranscriptLine[] = [];
  readonly #vars: Partial<Record<TemplateVar, string>>;
  #offered: Slot[] = [];
  #booked: Slot | null = null;
  #error: unknown = null;
  #firstAudioMs: number | null = null;
  #actor: ReturnType<typeof createActor> | null = null;

  constructor(script: Script, call: DialogCall, deps: DialogDeps, machine = compileScript(script)) {
    this.#script = script;
    this.#call = call;
    this.#deps = deps;
    this.#t0 = deps.clock.now();
    this.#vars = {
      'patient.first_name': call.patient.firstName,
      'patient.middle_name': call.patient.middleName ?? '',
      'patient.last_name': call.patient.lastName,
      'clinic.name': call.clinic.name,
      'clinic.phone': call.clinic.phone ?? '',
    };
    this.#machine = machine;
  }

  readonly #machine: ReturnType<typeof compileScript>;
  #bargeIn: BargeIn | null = null;

  async run(): Promise<DialogResult> {
    if (this.#deps.vad) this.#bargeIn = new BargeIn(this.#deps.audio, this.#deps.vad(), this.#deps.clock);
    try {
      return await this.#run();
    } finally {
      this.#bargeIn?.close();
    }
  }

  async #run(): Promise<DialogResult> {
    const machine = this.#machine.provide({
      actors: {
        say: fromPromise<StepResult, { step: string; text: string; interruptible: boolean }>(({ input, signal }) => this.#say(input, signal)),
        listen: fromPromise<StepResult, { step: string; intents: Record<string, string[]>; silenceMs: number | null }>(({ input, signal }) =>
          this.#listen(input, signal)),
        slots: fromPromise<StepResult, { step: string; count: number; specialty: string | null; one: boolean }>(({ input }) => this.#settle(this.#offerSlots(input))),
        book: fromPromise<StepResult, { step: string; index: number }>(({ input }) => this.#settle(this.#book(input))),
        handoff: fromPromise<StepResult, { step: string; queue: string }>(async ({ input }) => ({
          outcome: await this.#deps.operators.handoff({ queue: input.queue, callId: this.#call.callId }),
        })),
      } as never,
      guards: {
        outcome: ({ event }: { event: { output?: StepResult } }, params: { is: string }) => event.output?.outcome === params.is,
      } as never,
      actions: {
        end: assign({ disposition: (_: unknown, params: { disposition: Disposition }) => params.disposition }) as never,
        failed: ({ event }: { event: { error?: unknown } }) => {
          this.#error ??= event.error;
        },
      } as never,
    });
    const actor = createActor(machine, { clock: this.#deps.clock as never });
    this.#actor = actor;
    const { onDoNotCall } = this.#deps;
    if (onDoNotCall) {
      const sub = actor.subscribe((snap) => {
        const v = snap.value as string | Record<string, unknown>;
        const step = typeof v === 'string' ? v : Object.keys(v)[0]!;
        const ctx = snap.context as { disposition: Disposition | null };
        if (ctx.disposition === 'DNC' || (Object.hasOwn(this.#script.steps, step) && this.#script.steps[step]!.end === 'DNC')) {
          sub.unsubscribe();
          onDoNotCall();
        }
      });
    }
    actor.start();
    const out = (await toPromise(actor)) as { disposition: Disposition | null };
    // A hang-up does not cancel a booking already sent to the registry: wait for its answer, so
    // a slot booked as the callee hung up is reported booked (and a hold made is released).
    await this.#inflight;
    const state = actor.getSnapshot().value as string;
    return {
      disposition: out.disposition,
      endedBy: state === 'ended' || state === 'stopped' ? 'robot' : state === 'hungUp' ? 'callee' : 'error',
      stopped: state === 'stopped',
      booked: this.#booked,
      transcript: this.#transcript,
      error: this.#error,
      firstAudioMs: this.#firstAudioMs,
    };
  }

  /** The callee hung up: stop whatever the robot is doing. */
  hangUp(): void {
    this.#deps.audio.flush();
    this.#actor?.send({ type: 'HANGUP' });
  }

  /**
   * A screening assistant answered for the subscriber: the robot stops what it is saying, says
   * the script's `screening` text and starts over from `start` (compile.ts). False, and nothing
   * changes, when the script has none, a slot is booked already, or the dialog has ended.
   */
  screen(): boolean {
    const actor = this.#actor;
    if (!this.#script.screening || this.#booked || actor?.getSnapshot().status !== 'active') return false;
    this.#deps.audio.flush();
    actor.send({ type: 'SCREENING' });
    return true;
  }

  /** The robot ends the call where it stands (the call ran past its longest allowed length). */
  stop(): void {
    this.#deps.audio.flush();
    this.#actor?.send({ type: 'STOP' });
  }

  #inflight: Promise<unknown> = Promise.resolve();

  /** Registry work is tracked until it settles, whatever becomes of the step that asked for it. */
  #settle<T>(p: Promise<T>): Promise<T> {
    this.#inflight = Promise.all([this.#inflight, p.catch(() => {})]);
    return p;
  }

  #note(who: TranscriptLine['who'], text: string, step: string, intent?: string, confidence?: number): void {
    const line: TranscriptLine = { atMs: this.#deps.clock.now() - this.#t0, who, text, step, ...(intent ? { intent } : {}) };
    this.#transcript.push(line);
    this.#deps.onLine?.(confidence === undefined ? line : { ...line, confidence });
  }

  async #say(input: { step: string; text: string; interruptible?: boolean }, signal: AbortSignal): Promise<StepResult> {
    const text = render(input.text, this.#vars);
    this.#note('robot', text, input.step);
    // the callee talking over an interruptible prompt cuts it (barge-in.ts); the rest is not said
    const cut = new AbortController();
    const unwatch = input.interruptible && this.#bargeIn
      ? this.#bargeIn.watch(() => {
        this.#note('system', '(the callee spoke over the prompt; the rest was not said)', input.step);
        cut.abort();
      })
      : () => {};
    const stop = AbortSignal.any([signal, cut.signal]);
    let last: Promise<boolean> = Promise.resolve(true);
    try {
      for await (const pcm of this.#deps.tts.synthesize({ text, language: this.#script.language, callId: this.#call.callId }, stop)) {
        if (stop.aborted) break;
        this.#firstAudioMs ??= this.#deps.clock.now() - this.#t0;
        last = this.#deps.audio.play(pcm);
      }
      await last;
    } catch (err) {
      if (!cut.signal.aborted) throw err; // a synthesis cut short by the barge-in is no failure
    } finally {
      unwatch();
    }
    return { outcome: 'done' };
  }

  async #listen(input: { step: string; intents: Record<string, string[]>; silenceMs: number | null }, signal: AbortSignal): Promise<StepResult> {
    const { clock } = this.#deps;
    const stream = this.#deps.asr.recognize({
      language: this.#script.language,
      hints: Object.values(input.intents).flat(),
      callId: this.#call.callId,
    });
    let outcome = 'silence';
    const stop = () => stream.cancel();
    // A key pressed while listening is an answer too: the script names digits among an intent's
    // phrases ("нажмите 1": yes: [да, "1"]); a key that no intent names is 'unknown'.
    let key: string | null = null;
    const offKeys = this.#deps.audio.on('dtmf', (digit) => {
      if (key !== null) return;
      key = digit;
      stop();
    });
    // after a barge-in, the callee's words from where they started talking over the prompt
    for (const pcm of this.#bargeIn?.takePreRoll() ?? []) stream.write(pcm);
    const off = this.#deps.audio.on('audio', (pcm) => stream.write(pcm));
    let timer = clock.setTimeout(stop, input.silenceMs ?? this.#script.defaults.silenceMs);
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const ev of stream.events()) {
        if (ev.type === 'speech-start') {
          clock.clearTimeout(timer);
          timer = clock.setTimeout(stop, MAX_UTTERANCE_MS);
        } else {
          const intent = matchIntent(ev.text, input.intents);
          outcome = intent ?? 'unknown';
          this.#note('callee', ev.text, input.step, outcome, ev.confidence);
          break;
        }
      }
    } finally {
      off();
      offKeys();
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      stream.cancel();
    }
    if (key !== null && outcome === 'silence') {
      outcome = matchIntent(key, input.intents) ?? 'unknown';
      this.#note('system', `(key ${key} pressed: ${outcome})`, input.step, outcome);
    }
    if (outcome === 'silence') this.#note('system', '(silence)', input.step, 'silence');
    return { outcome };
  }

  async #offerSlots(input: { step: string; count: number; specialty: string | null; one: boolean }): Promise<StepResult> {
    this.#offered = await this.#deps.slots.offer({ count: input.count, specialty: input.specialty });
    const { language } = this.#script;
    for (let i = 1; i <= 5; i++) delete this.#vars[`slot.${i}` as TemplateVar];
    this.#offered.forEach((s, i) => {
      this.#vars[`slot.${i + 1}` as TemplateVar] = speakSlot(s.startsAt, language, this.#call.clinic.timeZone);
    });
    this.#note('system', `offered slots ${this.#offered.map((s) => s.id).join(', ') || 'none'}`, input.step);
    const n = this.#offered.length;
    return { outcome: n === 0 ? 'none' : n === 1 && input.one ? 'one' : 'found' };
  }

  async #book(input: { step: string; index: number }): Promise<StepResult> {
    const slot = this.#offered[input.index - 1];
    const result = slot ? await this.#deps.slots.book(slot) : 'taken';
    if (slot && result === 'booked') {
      this.#booked = slot;
      this.#vars.booked = speakSlot(slot.startsAt, this.#script.language, this.#call.clinic.timeZone);
    }
    this.#note('system', result === 'booked' ? `booked slot ${slot!.id}` : `slot ${input.index} taken`, input.step);
    return { outcome: result };
  }
}
