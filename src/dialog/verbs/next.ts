import { stepName } from '../schema-parts.js';
import { defineVerb } from './verb.js';

/** `next: step`: after the prompt, on to that step. */
export const next = defineVerb<string>({
  key: 'next',
  args: stepName,
  targets: (to) => [to],
  act: (_name, to, _step, go) => ({ always: go(to) }),
});
