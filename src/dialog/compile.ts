import { createMachine } from 'xstate';
import type { Disposition } from '../core/index.js';
import type { Script, Step } from './script-schema.js';

/** What the invoked behaviours return: the outcome that picks the next step. */
export interface StepResult {
  outcome: string;
}

export interface DialogContext {
  /** disposition the script ended with */
  disposition: Disposition | null;
}

export type DialogEvent = { type: 'HANGUP' } | { type: 'STOP' } | { type: 'SCREENING' };

/** The state that says a script's `screening` text; camelCase, so no step can be named so. */
const SCREENING_STATE = 'screeningIntro';

/**
 * Turns a checked script into an xstate v5 machine: data only. Each step is a compound state
 * `say` -> `act`; the behaviours (say, listen, slots, book, handoff) are invoked by name and
 * supplied per call by the runtime with machine.provide().
 *
 *   <step>.say --done--> <step>.act --done(outcome)--> <next step>     (any) --HANGUP--> hungUp
 *   <end step>.say --done--> ended (final, output = disposition)       (any) --error--> failed
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
  const states: Record<string, object> = Object.fromEntries(Object.entries(script.steps).map(([name, step]) => [name, compileStep(name, step)]));
  return createMachine({
    id: 'dialog',
    types: {} as { context: DialogContext; events: DialogEvent; output: DialogOutput },
    context: { disposition: null },
    initial: script.start,
    on: {
      HANGUP: { target: '.hungUp' },
      STOP: { target: '.stopped' },
      ...(script.screening ? { SCREENING: { target: `.${SCREENING_STATE}` } } : {}),
    },
    states: {
      ...states,
      ...(script.screening ? { [SCREENING_STATE]: screeningState(script.screening.say, script.start) } : {}),
      ended: { type: 'final' },
      hungUp: { type: 'final' },
      failed: { type: 'final' },
      stopped: { type: 'final' },
    },
    output: ({ context }) => ({ disposition: context.disposition }),
  });
}

export interface DialogOutput {
  disposition: Disposition | null;
}

function compileStep(name: string, step: Step): object {
  const afterSay = step.end ? { target: '#dialog.ended', actions: { type: 'end', params: { disposition: step.end } } } : 'act';
  const sayState = step.say
    ? { invoke: { src: 'say', input: { step: name, text: step.say, interruptible: step.interruptible ?? step.listen !== undefined }, onDone: afterSay, onError: { target: '#dialog.failed', actions: 'failed' } } }
    : { always: afterSay };
  if (step.end) return { initial: 'say', states: { say: sayState } };
  if (step.next) return { initial: 'say', states: { say: sayState, act: { always: `#dialog.${step.next}` } } };

  const [src, input] = behaviour(name, step);
  const on = step.on!;
  const transitions = Object.entries(on)
    .filter(([outcome]) => outcome !== 'otherwise')
    .map(([outcome, to]) => ({ guard: { type: 'outcome', params: { is: outcome } }, target: `#dialog.${to}` }));
  if (Object.hasOwn(on, 'otherwise')) transitions.push({ target: `#dialog.${on.otherwise}` } as never);
  return {
    initial: 'say',
    states: {
      say: sayState,
      act: { invoke: { src, input, onDone: transitions, onError: { target: '#dialog.failed', actions: 'failed' } } },
    },
  };
}

/** Says the introduction (never cut by the callee: an assistant talks over it), then the script's start. */
function screeningState(text: string, start: string): object {
  return { invoke: { src: 'say', input: { step: 'screening', text, interruptible: false }, onDone: `#dialog.${start}`, onError: { target: '#dialog.failed', actions: 'failed' } } };
}

function behaviour(step: string, s: Step): [string, object] {
  if (s.listen) return ['listen', { step, intents: s.listen, silenceMs: s.silenceMs ?? null }];
  if (s.slots) return ['slots', { step, count: s.slots.count, specialty: s.slots.specialty ?? null, one: Object.hasOwn(s.on ?? {}, 'one') }];
  if (s.book) return ['book', { step, index: s.book }];
  return ['handoff', { step, queue: s.handoff!.queue }];
}
