import {
  assign, fromPromise, type DoneActorEvent, type ErrorActorEvent, type EventObject, type MetaObject, type ParameterizedObject, type PromiseActorLogic, type ProvidedActor,
  type StateNodeConfig,
} from 'xstate';
import { z } from 'zod';
import type { Disposition, ErrorCode, Slot, TranscriptLine } from '../../core/index.js';
import type { BargeIn } from '../barge-in.js';
import type { DialogDeps } from '../ports.js';
import type { TemplateVar } from '../template.js';

/**
 * A verb is what a step does after its prompt: listen, offer slots, book, hand off, move on, end.
 * Each lives in one file of this folder with everything about it: the YAML it takes (a zod
 * schema), the outcomes it routes through `on`, its checks, the state it compiles to and what it
 * does during a call. verbs/index.ts lists them; the schema, the checker and the compiler take
 * them from there, so a new verb is one new file and one line in that list.
 */

/** The call's state, in the dialog machine's context: what verbs read and change. */
export interface DialogState {
  /** the disposition the script ended with, once it has */
  disposition: Disposition | null;
  /** values of the prompts' placeholders: the patient's and the clinic's ({slot.n} and {booked} come from `offered` and `booked`) */
  vars: Partial<Record<TemplateVar, string>>;
  /** the slots the last slots step offered, in the order said */
  offered: readonly Slot[];
  booked: Slot | null;
  /** when the callee asked to be called back ({callback}), once a callback step set it */
  callbackAt: Date | null;
  /** the visit a reminder is about: where it stands now (moved by `reschedule`; null once cancelled, or if there is none) */
  visit: Slot | null;
  /** what the callee last said (or pressed), and what it was taken to mean */
  heard: { step: string; text: string; intent: string; slots?: Readonly<Record<string, string | number>> } | null;
  /** per step and kind ("offer:no_input"), the re-prompts made since it last understood an answer */
  retries: Readonly<Record<string, number>>;
}

/** What one call's dialog talks through and writes to, fixed for the call (the machine's input). */
export interface CallScope {
  readonly callId: string;
  /** the script's language, BCP 47 */
  readonly language: string;
  /** the clinic's time zone: slots are said in it */
  readonly timeZone: string;
  /** the callee's time zone: a time they name is read on their clock */
  readonly calleeTimeZone: string;
  /** how long a listen waits for the callee to start, unless the step says */
  readonly silenceMs: number;
  /** an answer heard with confidence below `act` is confirmed first, below `confirm` not understood */
  readonly confidence: { readonly act: number; readonly confirm: number; readonly final: number };
  /** the placeholders known before the call starts: the patient's and the clinic's */
  readonly vars: Readonly<Partial<Record<TemplateVar, string>>>;
  /** the visit a reminder is about, as the call started */
  readonly visit: Slot | null;
  readonly deps: DialogDeps;
  /** barge-in over this call's audio, when a voice activity detector was given */
  readonly bargeIn: BargeIn | null;
  /** a transcript line, said or heard, at the moment it is */
  note(who: TranscriptLine['who'], text: string, step: string, intent?: string, confidence?: number): void;
  /** registry work is waited for before the call's result is told, whatever became of its step */
  settle<T>(p: Promise<T>): Promise<T>;
  /**
   * The registry booked this slot for the call. Told apart from the context's `booked`: a booking
   * sent just before the callee hung up is answered after the machine has stopped, and the
   * attempt must still say it (its context no longer changes then).
   */
  bookedInRegistry(slot: Slot): void;
  /** the first audio of the call was queued */
  audioStarted(): void;
  /**
   * Keys the callee pressed: a key pressed while a prompt plays ("нажмите 1…" and they press 1
   * at once) is kept for the listen after it, and cuts the prompt if it may be cut.
   */
  readonly keys: KeyBuffer;
}

export interface DialogContext extends DialogState {
  call: CallScope;
  /** what failed a behaviour, when one did (the dialog then ends in `failed`) */
  error: unknown;
}

export type DialogEvent = { type: 'HANGUP' } | { type: 'STOP' } | { type: 'SCREENING' };

/** A state of the dialog machine, as verbs build them. */
export type DialogStateConfig = StateNodeConfig<DialogContext, DialogEvent, ProvidedActor, ParameterizedObject, ParameterizedObject, string, string, unknown, EventObject, MetaObject>;

/** What a verb's behaviour ends with: the outcome that picks the next step, and the state it changed. */
export interface VerbResult {
  outcome: string;
  set?: Partial<DialogState>;
}

export interface VerbInput<A> {
  step: string;
  args: A;
  state: DialogState;
  call: CallScope;
}

/** A step as verbs see it: its prompt, its routes and its own key's value. */
export interface StepView {
  say?: string | undefined;
  on?: Readonly<Record<string, string>> | undefined;
  silenceMs?: number | undefined;
}

export type Report = (code: ErrorCode, message: string, path: (string | number)[], hint?: string) => void;

/** The whole script as a verb's own checks see it. */
export interface ScriptView {
  start: string;
  language: string;
  steps: Readonly<Record<string, StepView & Readonly<Record<string, unknown>>>>;
  /** the verb each step does (steps doing none or two are left out: reported already) */
  verbOf(step: string): string | undefined;
  /** the steps a step can move to */
  next(step: string): string[];
  has(step: string): boolean;
}

/** A step doing a verb, as the verb's functions see it. */
export interface VerbUse<A, X> {
  name: string;
  /** the verb's key's value */
  args: A;
  /** the verb's other keys on the step (`extras`) */
  extras: X;
  step: StepView;
}

/** What compiling a step knows beyond the step. */
export interface Build {
  /** the machine target of a step */
  go(to: string): string;
  /** the machine target of a part of this step: `say` (its prompt), `act` (its verb), `act.<state>` (a state of the verb's) */
  here(part: string): string;
  /** intents every listen hears unless it routes them itself, and the state each leads to (safety.ts) */
  safety: ReadonlyMap<string, string>;
  /** the script's language, BCP 47 */
  language: string;
}

export interface Verb<A, S extends z.ZodRawShape> {
  /** the step's key that names it */
  readonly key: string;
  /** what the key takes */
  readonly args: z.ZodType<A>;
  /** keys of the step beside the verb's own that only this verb takes (listen: keys, no_input, no_match); `{}` for none */
  readonly extras: S;
  /** does the callee get a say here? (a loop of steps none of which listens could spin forever) */
  readonly listens?: boolean;
  /** the call ends in this step */
  readonly ends?: boolean;
  /** it acts on the visit a reminder is about (the call reads it before the answer) */
  readonly readsVisit?: boolean;
  /** the outcomes `on` must route (or send to `otherwise`), and those it may; absent: the verb takes no `on` */
  outcomes?(use: VerbUse<A, z.infer<z.ZodObject<S>>>): { required: string[]; optional: string[] };
  /** steps it moves to by itself (not through `on`) */
  targets?(use: VerbUse<A, z.infer<z.ZodObject<S>>>): string[];
  /** checks of one step beyond its schema */
  checkStep?(use: VerbUse<A, z.infer<z.ZodObject<S>>>, report: Report): void;
  /** checks across the script (e.g. a booking needs an offer before it) */
  checkScript?(script: ScriptView, report: Report): void;
  /** the state entered after the prompt */
  act(use: VerbUse<A, z.infer<z.ZodObject<S>>>, build: Build): DialogStateConfig;
  /** tags of the step's state while the call is in it ('dnc': the callee asked not to be called; runtime.ts stores it on entry) */
  tags?(use: VerbUse<A, z.infer<z.ZodObject<S>>>): string[];
}

/** The registry's view of a verb: its types forgotten, each use re-checked against its schemas. */
export interface AnyVerb {
  readonly key: string;
  readonly args: z.ZodType;
  /** its extras' schemas, each optional on a step */
  readonly extras: z.ZodRawShape;
  readonly listens: boolean;
  readonly ends: boolean;
  readonly readsVisit: boolean;
  outcomes(name: string, step: StepWithKeys): { required: string[]; optional: string[] } | null;
  targets(name: string, step: StepWithKeys): string[];
  checkStep(name: string, step: StepWithKeys, report: Report): void;
  checkScript(script: ScriptView, report: Report): void;
  act(name: string, step: StepWithKeys, build: Build): DialogStateConfig;
  tags(name: string, step: StepWithKeys): string[];
}

export type StepWithKeys = StepView & Readonly<Record<string, unknown>>;

/** Registers a verb; its values are parsed again by its own schemas wherever they are used (cheap: at load and compile). */
export function defineVerb<A, S extends z.ZodRawShape>(v: Verb<A, S>): AnyVerb {
  const extras = z.object(v.extras);
  const use = (name: string, step: StepWithKeys): VerbUse<A, z.infer<z.ZodObject<S>>> => ({ name, args: v.args.parse(step[v.key]), extras: extras.parse(step), step });
  return {
    key: v.key,
    args: v.args,
    extras: v.extras,
    listens: v.listens ?? false,
    ends: v.ends ?? false,
    readsVisit: v.readsVisit ?? false,
    outcomes: (name, step) => v.outcomes?.(use(name, step)) ?? null,
    targets: (name, step) => v.targets?.(use(name, step)) ?? [],
    checkStep: (name, step, report) => v.checkStep?.(use(name, step), report),
    checkScript: (script, report) => v.checkScript?.(script, report),
    act: (name, step, build) => v.act(use(name, step), build),
    tags: (name, step) => v.tags?.(use(name, step)) ?? [],
  };
}

/** A verb's behaviour during a call, as an actor the machine invokes. */
export function behaviour<A>(run: (input: VerbInput<A>, signal: AbortSignal) => Promise<VerbResult>): PromiseActorLogic<VerbResult, VerbInput<A>> {
  return fromPromise<VerbResult, VerbInput<A>>(({ input, signal }) => run(input, signal));
}

/** The xstate context's state part, as a verb's input reads it. */
export function stateOf(c: DialogContext): DialogState {
  return { disposition: c.disposition, vars: c.vars, offered: c.offered, booked: c.booked, callbackAt: c.callbackAt, visit: c.visit, heard: c.heard, retries: c.retries };
}

/** A transition on a behaviour's end: picked by `guard` (none: always), keeping the state the behaviour changed. */
export interface DoneRoute {
  guard?: (a: { context: DialogContext; event: DoneActorEvent<unknown> }) => boolean;
  target: string;
  /** more to do on the way, after the behaviour's changes are kept */
  also?: ReturnType<typeof assign<DialogContext, DoneActorEvent<unknown>, undefined, DialogEvent, ProvidedActor>>;
}

/** A guard: the behaviour ended with this outcome. */
export const outcomeIs = (outcome: string) => ({ event }: { event: DoneActorEvent<unknown> }) => resultOf(event.output).outcome === outcome;

const keep = assign<DialogContext, DoneActorEvent<unknown>, undefined, DialogEvent, ProvidedActor>(({ event }) => resultOf(event.output).set ?? {});

/**
 * The usual act state: the behaviour runs, its state changes are kept, and its outcome picks the
 * next step through the verb's own `before` routes, then `on`, then its `after` routes, then
 * `otherwise`. A failure ends the dialog in `failed`.
 */
export function invokeAct<A>(
  name: string, args: A, on: Readonly<Record<string, string>>, logic: PromiseActorLogic<VerbResult, VerbInput<A>>, go: (to: string) => string,
  routes: { before?: DoneRoute[]; after?: DoneRoute[] } = {},
): DialogStateConfig {
  const named: DoneRoute[] = Object.entries(on).filter(([outcome]) => outcome !== 'otherwise').map(([outcome, to]) => ({ guard: outcomeIs(outcome), target: go(to) }));
  const rest: DoneRoute[] = Object.hasOwn(on, 'otherwise') ? [{ target: go(on.otherwise!) }] : [];
  return {
    invoke: {
      src: logic,
      input: ({ context }: { context: DialogContext }) => ({ step: name, args, state: stateOf(context), call: context.call }),
      onDone: [...(routes.before ?? []), ...named, ...(routes.after ?? []), ...rest].map((r) => ({ ...(r.guard ? { guard: r.guard } : {}), target: r.target, actions: r.also ? [keep, r.also] : keep })),
      onError: FAILED,
    },
  };
}

/** A behaviour's output as the machine's done event carries it (typed unknown there). */
function resultOf(output: unknown): VerbResult {
  if (typeof output === 'object' && output !== null && typeof (output as { outcome?: unknown }).outcome === 'string') return output as VerbResult;
  throw new TypeError(`a dialog behaviour ended with ${JSON.stringify(output)}, not an outcome`);
}

/** Where a failing behaviour goes: the first error is kept for the call's result. */
export const FAILED = {
  target: '#dialog.failed',
  actions: assign<DialogContext, ErrorActorEvent<unknown>, undefined, DialogEvent, ProvidedActor>(({ context, event }) => ({ error: context.error ?? event.error })),
};

/** The callee's key presses over a call (runtime.ts keeps one per call). */
export interface KeyBuffer {
  /** the key pressed since the current prompt began and not yet taken, if any */
  take(): string | null;
  /** forgets keys pressed before now: a new prompt asks a new question */
  clear(): void;
  /** called on each key press; returns the unsubscribe */
  onKey(fn: (digit: string) => void): () => void;
}
