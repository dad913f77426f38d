import { createMachine } from 'xstate';
import type { Disposition } from '../core/index.js';
import { sayThen } from './prompt.js';
import type { Script } from './script-schema.js';
import { VERBS, type CallScope, type DialogContext, type DialogEvent } from './verbs/index.js';
import { safetyRoutes, safetyStates } from './safety.js';
import type { Build, DialogStateConfig } from './verbs/verb.js';

export interface DialogOutput {
  disposition: Disposition | null;
}

/** The state that says a script's `screening` text; camelCase, so no step can be named so. */
const SCREENING_STATE = 'screeningIntro';

const go = (to: string) => `#dialog.${to}`;

/**
 * Turns a checked script into an xstate v5 machine, once per script: every call runs an actor
 * of it, its ports given as the actor's input (a CallScope) and its state in the context. Each
 * step is a compound state `say` -> `act`, the act being the step's verb (verbs/):
 *
 *   <step>.say --done--> <step>.act --done(outcome)--> <next step>     (any) --HANGUP--> hungUp
 *   <end step>.act --> ended (final, output = disposition)             (any) --error--> failed
 *                                                                       (any) --STOP--> stopped
 *   (any) --SCREENING--> screeningIntro --done--> <start step>          (scripts with `screening`)
 *
 * SCREENING is how a screening assistant is answered: leaving whatever step the call is in
 * cancels its behaviour (the prompt being said, the listen), the introduction is said, and the
 * script starts over, because the subscriber may be the one listening now. One transition in
 * the machine is the simplest correct way: a second DialogRun would need the first one's
 * hang-up, stop and fence wiring handed over, and a hang-up between the two would be lost.
 */
export function compileScript(script: Script) {
  // fromEntries defines own properties, so no step name can reach a prototype (the schema also refuses reserved names)
  const build = (name: string): Build => ({ go, here: (part) => `${go(name)}.${part}`, safety: safetyRoutes(script.safety), language: script.language });
  const states: Record<string, DialogStateConfig> = Object.fromEntries(Object.entries(script.steps).map(([name, step]) => [name, compileStep(name, step, build(name))]));
  return createMachine({
    id: 'dialog',
    types: {} as { context: DialogContext; events: DialogEvent; input: CallScope; output: DialogOutput },
    context: ({ input }) => ({ call: input, disposition: null, vars: { ...input.vars }, offered: [], booked: null, callbackAt: null, visit: input.visit, heard: null, retries: {}, error: null }),
    initial: script.start,
    on: {
      HANGUP: { target: '.hungUp' },
      STOP: { target: '.stopped' },
      ...(script.screening ? { SCREENING: { target: `.${SCREENING_STATE}` } } : {}),
    },
    states: {
      ...states,
      ...(script.screening ? { [SCREENING_STATE]: sayThen('screening', script.screening.say, false, go(script.start)) } : {}),
      ...safetyStates(script.safety, script.language),
      ended: { type: 'final' },
      hungUp: { type: 'final' },
      failed: { type: 'final' },
      stopped: { type: 'final' },
    },
    output: ({ context }) => ({ disposition: context.disposition }),
  });
}

export type DialogMachine = ReturnType<typeof compileScript>;

function compileStep(name: string, step: Script['steps'][string], build: Build): DialogStateConfig {
  const verb = VERBS.find((v) => step[v.key] !== undefined)!;
  const act = verb.act(name, step, build);
  const tags = verb.tags(name, step);
  if (step.say === undefined) return { tags, initial: 'act', states: { act } };
  return { tags, initial: 'say', states: { say: sayThen(name, step.say, step.bargeIn ?? verb.listens, 'act'), act } };
}
