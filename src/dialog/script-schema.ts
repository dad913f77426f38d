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
const stepName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'step names are lower-case words joined by "-"');
const intentName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'intent names are lower-case words joined by "_"');

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
  say: z.string().min(1).optional(),
  /** intent -> phrases that mean it; outcomes: each intent, `silence`, `unknown` */
  listen: z.record(intentName, z.array(z.string().min(1)).min(1)).optional(),
  /** how long to wait for the callee to start speaking */
  silenceMs: z.number().int().min(500).max(30_000).optional(),
  /** offer free slots; outcomes: `found`, `none`, and optionally `one` (exactly one free) */
  slots: z.strictObject({ count: z.number().int().min(1).max(5), specialty: z.string().min(1).optional() }).optional(),
  /** book the n-th offered slot (1-based); outcomes: `booked`, `taken` */
  book: z.number().int().min(1).max(5).optional(),
  /** hand the call to an operator; outcomes: `connected`, `unavailable` */
  handoff: z.strictObject({ queue: z.string().min(1).default('general') }).optional(),
  /** outcome -> next step; `otherwise` catches outcomes not named */
  on: z.record(z.string(), stepName).optional(),
  next: stepName.optional(),
  /** end the call with this disposition; DNC also puts the number on the do-not-call list */
  end: z.enum(DISPOSITIONS).optional(),
});
export type Step = z.infer<typeof Step>;

export const Script = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  version: z.union([z.string().min(1), z.number()]).transform(String),
  language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a BCP 47 tag such as ru-RU'),
  description: z.string().optional(),
  /** step the call starts at once it is answered */
  start: stepName,
  /** defaults for every step */
  defaults: z.strictObject({ silenceMs: z.number().int().min(500).max(30_000).default(6000) }).default({ silenceMs: 6000 }),
  steps: z.record(stepName, Step),
});
export type Script = z.infer<typeof Script>;

/** The dialog language as JSON Schema (draft 2020-12), for editors. */
export function scriptJsonSchema(): object {
  return z.toJSONSchema(Script, { io: 'input' });
}
