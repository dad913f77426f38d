import { z } from 'zod';
import { text } from '../schema-parts.js';
import { behaviour, defineVerb, invokeAct } from './verb.js';

const Handoff = z.strictObject({ queue: text(100).default('general') });
type Handoff = z.infer<typeof Handoff>;

/** `handoff`: the call goes to an operator queue. Outcomes: `connected`, `unavailable` (nobody can take it now). */
const run = behaviour<Handoff>(async ({ args, call }) => ({
  outcome: await call.deps.operators.handoff({ queue: args.queue, callId: call.callId }),
}));

export const handoff = defineVerb({
  key: 'handoff',
  args: Handoff,
  extras: {},
  outcomes: () => ({ required: ['connected', 'unavailable'], optional: [] }),
  act: ({ name, args, step }, { go }) => invokeAct(name, args, step.on ?? {}, run, go),
});
