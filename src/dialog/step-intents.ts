import { ScriptError } from '../core/index.js';
import { closest } from '../core/index.js';
import { safetyRoutes } from './safety.js';
import type { Script } from './script-schema.js';
import { decision, stepGrammar, stepMatcher } from './verbs/listen.js';
import type { IntentMatcher } from './intents/index.js';

/** The intents a step of a script hears in a call, as its listen matches them (`zvonar dialog intents FILE --step STEP`). */
export function stepIntents(script: Script, step: string): IntentMatcher {
  if (!Object.hasOwn(script.steps, step)) {
    const near = closest(step, Object.keys(script.steps));
    throw new ScriptError('SCRIPT_UNKNOWN_TARGET', `the script "${script.id}" has no step "${step}".${near ? ` Did you mean "${near}"?` : ''}`, {});
  }
  const matcher = stepMatcher(script.language, script.steps[step]!, safetyRoutes(script.safety));
  if (!matcher) throw new ScriptError('SCRIPT_INVALID', `step "${step}" does not listen, so it hears no intents`, {});
  return matcher;
}

/**
 * How a step of a script hears in a call: its matcher, the closed grammar it sends the recogniser,
 * and the confidences at which it acts or confirms (`zvonar dialog intents FILE --step STEP --audio`).
 */
export function stepHearing(script: Script, step: string): { matcher: IntentMatcher; grammar: string[]; decide: (intent: string, confidence: number) => 'act' | 'confirm' | 'reject' } {
  const matcher = stepIntents(script, step);
  return {
    matcher,
    grammar: stepGrammar(script.language, script.steps[step]!, matcher) ?? [],
    decide: (intent, confidence) => decision(script.defaults.confidence, intent, confidence),
  };
}
