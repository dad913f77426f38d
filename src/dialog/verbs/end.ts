import { assign, type ProvidedActor } from 'xstate';
import { z } from 'zod';
import { DISPOSITIONS } from '../../core/index.js';
import { defineVerb, type DialogContext, type DialogEvent } from './verb.js';

/**
 * `end: DISPOSITION`: the call ends with it once the prompt is said. DNC also puts the number on
 * the do-not-call list, the moment the step is entered (runtime.ts), before the goodbye.
 */
export const end = defineVerb({
  key: 'end',
  args: z.enum(DISPOSITIONS),
  extras: {},
  ends: true,
  tags: ({ args: disposition }) => (disposition === 'DNC' ? ['dnc'] : []),
  act: ({ args: disposition }) => ({ always: { target: '#dialog.ended', actions: assign<DialogContext, DialogEvent, undefined, DialogEvent, ProvidedActor>({ disposition }) } }),
});
