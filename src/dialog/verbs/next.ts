import { stepName } from '../schema-parts.js';
import { defineVerb } from './verb.js';

/** `next: step`: after the prompt, on to that step. */
export const next = defineVerb({
  key: 'next',
  args: stepName,
  extras: {},
  targets: ({ args: to }) => [to],
  act: ({ args: to }, { go }) => ({ always: go(to) }),
});
