import { assign } from 'xstate';
import { z } from 'zod';
import { DISPOSITIONS, type Disposition } from '../../core/index.js';
import { defineVerb } from './verb.js';

/**
 * `end: DISPOSITION`: the call ends with it once the prompt is said. DNC also puts the number on
 * the do-not-call list, the moment the step is entered (runtime.ts), before the goodbye.
 */
export const end = defineVerb<Disposition>({
  key: 'end',
  args: z.enum(DISPOSITIONS),
  ends: true,
  act: (_name, disposition) => ({ always: { target: '#dialog.ended', actions: assign({ disposition }) } }),
});
