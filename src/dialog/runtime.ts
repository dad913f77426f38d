import { createActor, toPromise, type Actor } from 'xstate';
import type { Slot, TranscriptLine } from '../core/index.js';
import { BargeIn } from './barge-in.js';
import { compileScript, type DialogMachine } from './compile.js';
import type { DialogCall, DialogDeps, DialogResult } from './ports.js';
import type { Script } from './script-schema.js';
import type { CallScope, DialogEvent } from './verbs/index.js';
import type { KeyBuffer } from './verbs/verb.js';

/**
 * Runs one call's dialog: one actor of the script's machine (compiled once per script), given
 * this call's ports as its input. Resolves when the script ends, the callee hangs up (hangUp())
 * or a behaviour fails; never rejects.
 */
export class DialogRun {
  readonly #script: Script;
  readonly #call: DialogCall;
  readonly #deps: DialogDeps;
  readonly #machine: DialogMachine;
  readonly #t0: number;
  readonly #transcript: TranscriptLine[] = [];
  #firstAudioMs: number | null = null;
  #booked: Slot | null = null;
  #inflight: Promise<unknown> = Promise.resolve();
  #actor: Actor<DialogMachine> | null = null;

  constructor(script: Script, call: DialogCall, deps: DialogDeps, machine: DialogMachine = compileScript(script)) {
    this.#script = script;
    this.#call = call;
    this.#deps = deps;
    this.#machine = machine;
    this.#t0 = deps.clock.now();
  }

  async run(): Promise<DialogResult> {
    const bargeIn = this.#deps.vad ? new BargeIn(this.#deps.audio, this.#deps.vad(), this.#deps.clock) : null;
    const keys = keyBuffer(this.#deps.audio);
    try {
      return await this.#run(bargeIn, keys);
    } finally {
      bargeIn?.close();
      keys.close();
    }
  }

  async #run(bargeIn: BargeIn | null, keys: KeyBuffer): Promise<DialogResult> {
    const { patient, clinic } = this.#call;
    const scope: CallScope = {
      callId: this.#call.callId,
      language: this.#script.language,
      timeZone: clinic.timeZone,
      calleeTimeZone: patient.timeZone ?? clinic.timeZone,
      silenceMs: this.#script.defaults.silenceMs,
      confidence: this.#script.defaults.confidence,
      vars: {
        'patient.first_name': patient.firstName,
        'patient.middle_name': patient.middleName ?? '',
        'patient.last_name': patient.lastName,
        'clinic.name': clinic.name,
        'clinic.phone': clinic.phone ?? '',
      },
      visit: this.#call.visit ?? null,
      deps: this.#deps,
      bargeIn,
      keys,
      note: (who, text, step, intent, confidence) => this.#note(who, text, step, intent, confidence),
      settle: (p) => {
        // a hang-up does not cancel a booking already sent to the registry: its answer is waited
        // for, so a slot booked as the callee hung up is reported booked (and a hold made is released)
        this.#inflight = Promise.all([this.#inflight, p.catch(() => {})]);
        return p;
      },
      bookedInRegistry: (slot) => {
        this.#booked = slot;
      },
      audioStarted: () => {
        this.#firstAudioMs ??= this.#deps.clock.now() - this.#t0;
      },
    };
    const actor = createActor(this.#machine, { input: scope, clock: this.#deps.clock });
    this.#actor = actor;
    const { onDoNotCall } = this.#deps;
    if (onDoNotCall) {
      // stored the moment a state tagged 'dnc' is entered (a step ending with DNC, the safety default), before its goodbye is said
      const sub = actor.subscribe((snap) => {
        if (snap.hasTag('dnc') || snap.context.disposition === 'DNC') {
          sub.unsubscribe();
          onDoNotCall();
        }
      });
    }
    actor.start();
    // a behaviour's failure ends the dialog in `failed`; one in the machine itself (a bug) errors the actor: either way the call gets a result
    const out = await toPromise(actor).catch((err: unknown) => ({ disposition: null, machineError: err }));
    await this.#inflight;
    const snap = actor.getSnapshot();
    const state = 'machineError' in out ? 'failed' : snap.value;
    return {
      disposition: out.disposition,
      endedBy: state === 'ended' || state === 'stopped' ? 'robot' : state === 'hungUp' ? 'callee' : 'error',
      stopped: state === 'stopped',
      booked: this.#booked,
      transcript: this.#transcript,
      error: 'machineError' in out ? out.machineError : snap.context.error,
      firstAudioMs: this.#firstAudioMs,
    };
  }

  /** The callee hung up: stop whatever the robot is doing. */
  hangUp(): void {
    this.#deps.audio.flush();
    this.#send({ type: 'HANGUP' });
  }

  /**
   * A screening assistant answered for the subscriber: the robot stops what it is saying, says
   * the script's `screening` text and starts over from `start` (compile.ts). False, and nothing
   * changes, when the script has none, a slot is booked already, or the dialog has ended.
   */
  screen(): boolean {
    const actor = this.#actor;
    const snap = actor?.getSnapshot();
    if (!this.#script.screening || !snap || snap.context.booked || snap.status !== 'active') return false;
    this.#deps.audio.flush();
    actor!.send({ type: 'SCREENING' });
    return true;
  }

  /** The robot ends the call where it stands (the call ran past its longest allowed length). */
  stop(): void {
    this.#deps.audio.flush();
    this.#send({ type: 'STOP' });
  }

  /** An event for a dialog still running (one that has ended has nothing to stop, and xstate would warn). */
  #send(event: DialogEvent): void {
    if (this.#actor?.getSnapshot().status === 'active') this.#actor.send(event);
  }

  #note(who: TranscriptLine['who'], text: string, step: string, intent?: string, confidence?: number): void {
    const line: TranscriptLine = { atMs: this.#deps.clock.now() - this.#t0, who, text, step, ...(intent ? { intent } : {}) };
    this.#transcript.push(line);
    this.#deps.onLine?.(confidence === undefined ? line : { ...line, confidence });
  }
}

/** One call's key presses, heard from the answer on, so none is lost between a prompt and its listen. */
function keyBuffer(audio: DialogDeps['audio']): KeyBuffer & { close(): void } {
  let pending: string | null = null;
  const listeners = new Set<(digit: string) => void>();
  const off = audio.on('dtmf', (digit) => {
    pending ??= digit;
    for (const fn of [...listeners]) fn(digit);
  });
  return {
    take: () => {
      const d = pending;
      pending = null;
      return d;
    },
    clear: () => {
      pending = null;
    },
    onKey: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close: off,
  };
}
