import { z } from 'zod';
import { DISPOSITIONS } from '../core/index.js';

/**
 * The dialog language supervisors write (dialogs/*.yaml). One schema validates it at the edge;
 * `zvonar dialog-schema` prints it as JSON Schema for editors (e.g. the YAML language server).
 *
 * A step says something (optional), then does one thing: listens for intents, offers slots,
 * books one, hands off to an operator, moves on (`next`) or ends the call (`end`). Outcomes of
 * that thing choose the next step through `on`.
 */
/** A script is a few dozen steps; the cap bounds every walk over the graph and the machine built from it. */
export const MAX_STEPS = 500;
/** Lengths: a prompt of 1000 characters is over a minute of speech. */
const MAX_SAY = 1_000;
const MAX_PHRASE = 200;
const MAX_NAME = 64;

/**
 * Names a step may not have: the machine's own final states (compile.ts), and names every plain
 * object already has, which a lookup such as `steps[name]` would find without the script saying so.
 */
export const RESERVED_STEP_NAMES: ReadonlySet<string> = new Set(['ended', 'failed', 'stopped', ...Object.getOwnPropertyNames(Object.prototype)]);
/** Names an intent may not have: the outcomes every listen step has, the catch-all, and plain objects' own. */
export const RESERVED_INTENT_NAMES: ReadonlySet<string> = new Set(['silence', 'unknown', 'otherwise', ...Object.getOwnPropertyNames(Object.prototype)]);

const name = (joiner: '-' | '_', what: string, reserved: ReadonlySet<string>) =>
  z
    .string()
    .max(MAX_NAME, `${what} names are at most ${MAX_NAME} characters`)
    .regex(joiner === '-' ? /^[a-z][a-z0-9-]*$/ : /^[a-z][a-z0-9_]*$/, `${what} names are lower-case words joined by "${joiner}"`)
    .refine((n) => !reserved.has(n), { message: `this ${what} name is reserved; choose another` });
const stepName = name('-', 'step', RESERVED_STEP_NAMES);
const intentName = name('_', 'intent', RESERVED_INTENT_NAMES);
const outcomeName = z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9_]*$/, 'outcomes are lower-case words joined by "_"');
const text = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty or blank');

export const RESERVED_OUTCOMES = {
  listen: ['silence', 'unknown'],
  slots: ['found', 'none'],
  book: ['booked', 'taken'],
  handoff: ['connected', 'unavailable'],
} as const;

/** Outcomes a step may name but need not: without them the general outcome is taken. */
export const OPTIONAL_OUTCOMES = {
  listen: [],
  /** exactly one slot is free: "I have 9:40, shall I book it?" rather than "9:40, or ..." */
  slots: ['one'],
  book: [],
  handoff: [],
} as const;

export const Step = z.strictObject({
  say: text(MAX_SAY).optional(),
  /** intent -> phrases that mean it; outcomes: each intent, `silence`, `unknown` */
  listen: z
    .record(intentName, z.array(text(MAX_PHRASE)).min(1).max(200))
    .refine((l) => Object.keys(l).length <= 50, 'at most 50 intents')
    .optional(),
  /**
   * may the callee cut this prompt short by talking over it (barge-in)? Default: yes when the
   * step listens (the callee answering before the question ends), no otherwise (statements, the
   * robot naming itself, legal disclosures, goodbyes)
   */
  interruptible: z.boolean().optional(),
  /** how long to wait for the callee to start speaking */
  silenceMs: z.number().int().min(500).max(30_000).optional(),
  /** offer free slots; outcomes: `found`, `none`, and optionally `one` (exactly one free) */
  slots: z.strictObject({ count: z.number().int().min(1).max(5), specialty: text(100).optional() }).optional(),
  /** book the n-th offered slot (1-based); outcomes: `booked`, `taken` */
  book: z.number().int().min(1).max(5).optional(),
  /** hand the call to an operator; outcomes: `connected`, `unavailable` */
  handoff: z.strictObject({ queue: text(100).default('general') }).optional(),
  /** outcome -> next step; `otherwise` catches outcomes not named */
  on: z.record(outcomeName, stepName).optional(),
  next: stepName.optional(),
  /** end the call with this disposition; DNC also puts the number on the do-not-call list */
  end: z.enum(DISPOSITIONS).optional(),
});
export type Step = z.infer<typeof Step>;

export const Script = z.strictObject({
  id: z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9-]*$/),
  version: z.union([text(40), z.number()]).transform(String),
  language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a BCP 47 tag such as ru-RU'),
  description: z.string().max(2_000, 'at most 2000 characters').optional(),
  /** step the call starts at once it is answered */
  start: stepName,
  /**
   * Said to an answering machine (machine detection, config `amd`): the robot stops the dialog,
   * waits for the mailbox's beep (or for silence after its greeting), says this and hangs up
   * (VOICEMAIL_LEFT). Absent: it hangs up at once (VOICEMAIL). Anyone may play a mailbox back: no
   * patient name, no medical detail; of the placeholders only {clinic.name} and {clinic.phone}.
   */
  voicemail: z.strictObject({ message: text(MAX_SAY) }).optional(),
  /**
   * Said to a screening assistant ("я голосовой помощник, представьтесь"): who calls and why. The
   * robot stops what it is saying, says this, and starts again from `start` (the subscriber may
   * have taken the call). Absent: the dialog goes on as if a person answered. Placeholders as in
   * `voicemail`.
   */
  screening: z.strictObject({ say: text(MAX_SAY) }).optional(),
  /** defaults for every step */
  defaults: z.strictObject({ silenceMs: z.number().int().min(500).max(30_000).default(6000) }).default({ silenceMs: 6000 }),
  steps: z.record(stepName, Step).refine((s) => Object.keys(s).length <= MAX_STEPS, {
    message: `more than ${MAX_STEPS} steps; split the dialog or simplify it`,
  }),
});
export type Script = z.infer<typeof Script>;

/** The dialog language as JSON Schema (draft 2020-12), for editors. */
export function scriptJsonSchema(): object {
  return z.toJSONSchema(Script, { io: 'input' });
}
