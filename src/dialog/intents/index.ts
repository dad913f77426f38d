/**
 * Understanding what the callee said: a built-in intent library per language (ru, en) for the
 * answers a clinic's robot hears (yes, no, operator, callback, repeat, already_done,
 * wrong_person, stop_calling; in a step offering slots choose, later, earlier, another_day),
 * which a script extends or replaces per step and adds its own intents to.
 *
 * intentMatcher() builds a step's matcher once; match() answers one of its intents or null, never
 * a forced guess. It is rules over Snowball stems: tokens.ts normalises (ё/е, case, punctuation,
 * fillers, clipped forms, number words), pattern.ts matches the lexicons' phrases (ru.ts, en.ts),
 * slots.ts reads ordinals, weekdays and clock times, matcher.ts weighs the matches. Accuracy on
 * the labelled corpus is printed by tests/unit/dialog-intents.test.ts.
 */
export { BUILTIN_INTENTS, type BuiltinIntent, type IntentDefinition, type IntentLanguage, type IntentMatcher, type IntentResult } from './api.js';
export { intentMatcher, intentLanguage, intentProblems, type IntentProblem } from './matcher.js';
