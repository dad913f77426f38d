import { z } from 'zod';
import { MAX_NAME, MAX_SAY, MAX_STEPS, stepName, outcomeName, text } from './schema-parts.js';
import { Safety } from './safety.js';
import { VERBS } from './verbs/index.js';

/**
 * The dialog language supervisors write (dialogs/*.yaml). One schema validates it at the edge;
 * `zvonar dialog schema` prints it as JSON Schema for editors (e.g. the YAML language server).
 *
 * A step says something (optional), then does one thing, a verb (verbs/): listens for intents,
 * offers slots, books one, hands off to an operator, moves on (`next`) or ends the call (`end`).
 * Outcomes of that verb choose the next step through `on`.
 */

/** Each verb's key and its extras, optional on a step (load-script.ts checks that a step has exactly one verb, and only its extras). */
const verbKeys: z.ZodRawShape = Object.fromEntries(VERBS.flatMap((v) => [[v.key, v.args.optional()], ...Object.entries(v.extras).map(([k, schema]) => [k, z.optional(schema)])]));

const StepBase = z.strictObject({
  say: text(MAX_SAY).optional(),
  /**
   * may the callee cut this prompt short by talking over it (barge-in)? Default: yes when the
   * step listens (the callee answering before the question ends), no otherwise (statements, the
   * robot naming itself, legal disclosures, goodbyes)
   */
  bargeIn: z.boolean().optional(),
  /** how long to wait for the callee to start speaking */
  silenceMs: z.number().int().min(500).max(30_000).optional(),
  /** outcome -> next step; `otherwise` catches outcomes not named */
  on: z.record(outcomeName, stepName).optional(),
});
export const Step = StepBase.extend(verbKeys);
/** A step: its prompt and routes, and one verb's key (typed by the verb: verbs/). */
export type Step = z.infer<typeof StepBase> & Readonly<Record<string, unknown>>;

export const Script = z.strictObject({
  id: z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9-]*$/),
  version: z.union([text(40), z.number()]).transform(String),
  language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a BCP 47 tag such as ru-RU'),
  description: z.string().max(2_000, 'at most 2000 characters').optional(),
  /** the id of the script this one translates, found beside it as <id>.yaml: both must have the same steps, prompts and placeholders */
  translates: z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9-]*$/).optional(),
  /** step the call starts at once it is answered */
  start: stepName,
  /**
   * Said to an answering machine (machine detection, config `amd`): the robot stops the dialog,
   * waits for the mailbox's beep (or for silence after its greeting), says this and hangs up
   * (VOICEMAIL_LEFT). Absent: it hangs up at once (VOICEMAIL). Anyone may play a mailbox back: no
   * patient name, no medical detail; of the placeholders only {clinic.name} and {clinic.phone}.
   * `leave`: 'first' (the default) leaves it once per patient in a campaign, and a mailbox that
   * answers a later attempt is hung up on (VOICEMAIL); 'every' leaves it on each.
   */
  voicemail: z.strictObject({ message: text(MAX_SAY), leave: z.enum(['first', 'every']).optional() }).optional(),
  /**
   * Said to a screening assistant ("я голосовой помощник, представьтесь"): who calls and why. The
   * robot stops what it is saying, says this, and starts again from `start` (the subscriber may
   * have taken the call). Absent: the dialog goes on as if a person answered. Placeholders as in
   * `voicemail`.
   */
  screening: z.strictObject({ say: text(MAX_SAY) }).optional(),
  /** safe defaults (safety.ts): each on unless turned off with a reason */
  safety: Safety,
  /** defaults for every step */
  defaults: z
    .strictObject({
      silenceMs: z.number().int().min(500).max(30_000).default(6000),
      /**
       * What a listen does with the recogniser's confidence in an answer: at least `act`, it acts;
       * at least `confirm`, it asks first ("Вы сказали «да»?", or a key); below, it is not understood.
       */
      confidence: z
        .strictObject({
          act: z.number().min(0).max(1).default(0.8),
          confirm: z.number().min(0).max(1).default(0.4),
          /**
           * An answer that ends the patient's calls for good (no, stop_calling, wrong_person,
           * already_done) is acted on only this sure; below, it is confirmed first. 0.99: an exact
           * engine acts at once, a recogniser that guesses always asks.
           */
          final: z.number().min(0).max(1).default(0.99),
        })
        .refine((c) => c.confirm <= c.act, { message: 'confirm must not exceed act', path: ['confirm'] })
        .default({ act: 0.8, confirm: 0.4, final: 0.99 }),
    })
    .default({ silenceMs: 6000, confidence: { act: 0.8, confirm: 0.4, final: 0.99 } }),
  steps: z.record(stepName, Step).refine((s) => Object.keys(s).length <= MAX_STEPS, {
    message: `more than ${MAX_STEPS} steps; split the dialog or simplify it`,
  }),
});
/** A checked script; its steps typed as `Step` (the schema builds their verb keys from the registry, which zod cannot type). */
export type Script = Omit<z.infer<typeof Script>, 'steps'> & { steps: Record<string, Step> };

/** The dialog language as JSON Schema (draft 2020-12), for editors. */
export function scriptJsonSchema(): object {
  return z.toJSONSchema(Script, { io: 'input' });
}
