import { assign } from 'xstate';
import { z } from 'zod';
import { parseCallbackTime } from '../callback-time.js';
import { hear } from '../hear.js';
import type { IntentMatcher } from '../intents/index.js';
import { sayThen } from '../prompt.js';
import { checkPrompt } from '../template.js';
import { MAX_SAY, text } from '../schema-parts.js';
import { listenMatcher } from './listen.js';
import { SAFETY_STATES } from '../safety.js';
import { behaviour, defineVerb, invokeAct, outcomeIs, type DialogContext, type DoneRoute, type VerbResult } from './verb.js';

const Callback = z.strictObject({
  /** said when the time was vague ("попозже"), not in calling hours, or not heard: ask once more */
  ask_again: text(MAX_SAY),
  retries: z.number().int().min(0).max(3).default(1),
  /** how long to wait for the callee to start speaking */
  silenceMs: z.number().int().min(500).max(30_000).optional(),
});
type Callback = z.infer<typeof Callback>;

/**
 * `callback`: the callee names when to call back ("перезвоните завтра после шести", "через час",
 * "в понедельник утром"). The time is read on the callee's clock (callback-time.ts), moved to the
 * first moment inside their calling hours, and set as the contact's next attempt when the call
 * ends CALLBACK_REQUESTED; {callback} says it back ("в четверг, 3 декабря, в 18:00"). A vague
 * answer, one outside calling hours, or silence gets `ask_again` (up to `retries`).
 * Outcomes: `set`, `unclear` (still no usable time).
 */
const run = behaviour<Callback & { safety: IntentMatcher }>(async ({ step, args, state, call }, signal): Promise<VerbResult> => {
  const answer = await hear(call, { hints: [], silenceMs: args.silenceMs ?? null, keys: false, signal });
  if (answer.kind !== 'said') {
    call.note('system', '(silence)', step, 'silence');
    return { outcome: 'unclear' };
  }
  const said = answer.text;
  const { clock } = call.deps;
  const when = parseCallbackTime(said, { language: call.language, now: new Date(clock.now()), timeZone: call.calleeTimeZone });
  // without a time in it, "не звоните мне больше", "позовите оператора", "это не я", "повторите" are
  // heard as at any listen (with one, "не звоните сейчас, позвоните вечером" is a time)
  const other = when?.kind === 'at' ? null : args.safety.match(said).intent;
  if (other) {
    call.note('callee', said, step, other, answer.confidence);
    return { outcome: other, set: { heard: { step, text: said, intent: other } } };
  }
  const desk = call.deps.callbacks;
  const at = when?.kind === 'at' && desk ? desk.fit(when) : null;
  const why = !when ? 'no time in it' : when.kind === 'vague' ? `vague: ${when.reason}` : !desk ? 'no callbacks here' : at ? `call back at ${at.toISOString()}` : 'outside calling hours';
  call.note('callee', said, step, at ? 'callback' : 'unclear', answer.confidence);
  call.note('system', `(${when?.kind === 'at' ? `understood "${when.understood}"; ` : ''}${why})`, step);
  if (!at) return { outcome: 'unclear' };
  desk!.request(at);
  // understood: a later visit to this step gets its re-asks again
  const retries = Object.fromEntries(Object.entries(state.retries).filter(([k]) => !k.startsWith(`${step}:`)));
  return { outcome: 'set', set: { callbackAt: at, retries } };
});

export const callback = defineVerb({
  key: 'callback',
  args: Callback,
  extras: {},
  listens: true,
  // a safe default may be routed by the step itself (e.g. "позовите оператора" where the call-back is offered because none is free)
  outcomes: () => ({ required: ['set', 'unclear'], optional: Object.keys(SAFETY_STATES) }),
  checkStep: ({ name, args }, report) => checkPrompt(args.ask_again, `step "${name}" callback.ask_again`, ['steps', name, 'callback', 'ask_again'], report),
  act: ({ name, args, step }, build) => {
    const count = `${name}:callback`;
    const tried = (c: DialogContext) => c.retries[count] ?? 0;
    const again: DoneRoute = {
      guard: (a) => outcomeIs('unclear')(a) && tried(a.context) < args.retries,
      target: build.here('act.askAgain'),
      also: assign(({ context }) => ({ retries: { ...context.retries, [count]: tried(context) + 1 } })),
    };
    // the safe defaults this step does not route itself, and "repeat" (the prompt again), as at a listen
    const on = step.on ?? {};
    const safety = [...build.safety].filter(([intent]) => !Object.hasOwn(on, intent));
    const routes: DoneRoute[] = [
      ...safety.map(([intent, target]) => ({ guard: outcomeIs(intent), target })),
      { guard: outcomeIs('repeat'), target: step.say === undefined ? build.here('act') : build.here('say') },
    ];
    const matcher = listenMatcher(build.language, {}, [...build.safety.keys()]);
    return {
      initial: 'listen',
      states: {
        listen: invokeAct(name, { ...args, safety: matcher }, on, run, build.go, { before: [again, ...routes] }),
        askAgain: sayThen(name, args.ask_again, true, 'listen'),
      },
    };
  },
});
