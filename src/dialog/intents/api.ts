/** The intent library's public types; index.ts re-exports them. */

export type IntentLanguage = 'ru' | 'en';

/** yes/no-step intents first, then the slot-choice ones (a step decides which are in play) */
export const BUILTIN_INTENTS = [
  'yes', 'no', 'operator', 'callback', 'repeat', 'already_done', 'wrong_person', 'stop_calling',
  'choose', 'later', 'earlier', 'another_day',
] as const;
export type BuiltinIntent = (typeof BUILTIN_INTENTS)[number];

/** a step's intent: for a built-in, extra phrases (or `replace: true` to use only these); for a script's own intent, its phrases */
export interface IntentDefinition { phrases?: readonly string[]; replace?: boolean }

/**
 * intent: one of the matcher's intents, or null when nothing fits (never a forced guess).
 * slots: for `choose`, what was chosen: {ordinal} (1-based; -1 = "the last one"), {weekday}
 * (ISO, Monday = 1), {time} ("09:40").
 */
export interface IntentResult { intent: string | null; confidence: number; slots: Record<string, string | number> }

export interface IntentMatcher {
  readonly intents: readonly string[];
  /** partial: an ASR interim result, maybe cut mid-word; answers only when a later word cannot change it */
  match(text: string, opts?: { partial?: boolean }): IntentResult;
}

export function isBuiltin(name: string): name is BuiltinIntent {
  return (BUILTIN_INTENTS as readonly string[]).includes(name);
}
