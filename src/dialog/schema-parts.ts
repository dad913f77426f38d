import { z } from 'zod';

/**
 * The words of the dialog language every part of its schema shares: names of steps, intents and
 * outcomes, and bounded texts. script-schema.ts composes the script from these and the verbs'
 * own schemas (verbs/).
 */

/** A script is a few dozen steps; the cap bounds every walk over the graph and the machine built from it. */
export const MAX_STEPS = 500;
/** Lengths: a prompt of 1000 characters is over a minute of speech. */
export const MAX_SAY = 1_000;
const MAX_PHRASE = 200;
export const MAX_NAME = 64;

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
export const stepName = name('-', 'step', RESERVED_STEP_NAMES);
export const intentName = name('_', 'intent', RESERVED_INTENT_NAMES);
export const outcomeName = z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9_]*$/, 'outcomes are lower-case words joined by "_"');
export const text = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty or blank');
export const phrase = text(MAX_PHRASE);
