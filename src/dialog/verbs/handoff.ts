import { z } from 'zod';
import { say } from '../prompt.js';
import { MAX_SAY, text } from '../schema-parts.js';
import { checkPrompt, render } from '../template.js';
import { behaviour, defineVerb, invokeAct, type CallScope, type DialogState } from './verb.js';

const Handoff = z.strictObject({
  queue: text(100).default('general'),
  /** why a person is needed: the operator reads it first */
  reason: text(300).optional(),
  /** 1 (first) .. 9 */
  priority: z.number().int().min(1).max(9).default(5),
  /** the skill an operator needs (default: the queue's name) */
  skill: text(100).optional(),
  /** said while the callee waits, again every few seconds */
  hold: text(MAX_SAY).optional(),
  /** seconds the callee waits before the step goes on `unavailable` (a call-back is offered there) */
  wait: z.number().int().min(5).max(600).default(30),
  /** what the operator should know about this script's calls */
  note: text(500).optional(),
});
type Handoff = z.infer<typeof Handoff>;

/** Between two hold messages. */
const HOLD_GAP_MS = 4_000;

/**
 * Hands the call to the operators and waits, saying `hold` every few seconds meanwhile; what the
 * robot is saying stops the moment an operator takes the call. Shared with the operator safe default.
 */
export async function waitForOperator(
  call: CallScope, state: DialogState, step: string,
  a: { queue: string; reason: string; priority: number; skill: string | null; waitMs: number; hold: string | null; note: string | null },
  signal: AbortSignal,
): Promise<'connected' | 'unavailable'> {
  const holding = new AbortController();
  const stop = AbortSignal.any([signal, holding.signal]);
  const waiting = call.deps.operators.handoff({ queue: a.queue, callId: call.callId, reason: a.reason, priority: a.priority, skill: a.skill, waitMs: a.waitMs, note: a.note }, signal);
  const hold = a.hold === null ? null : (async () => {
    const shown = render(a.hold!, state.vars);
    while (!stop.aborted) {
      // a speech engine that fails here leaves silence while the callee waits, not a failed call
      await say(call, step, { shown, spoken: shown, interruptible: false, fixed: true }, stop).catch(() => {});
      await new Promise<void>((resolve) => {
        const t = call.deps.clock.setTimeout(resolve, HOLD_GAP_MS);
        stop.addEventListener('abort', () => {
          call.deps.clock.clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  })();
  try {
    return await waiting;
  } finally {
    holding.abort();
    call.deps.audio.flush();
    await hold;
  }
}

/** `handoff`: the call goes to an operator queue. Outcomes: `connected`, `unavailable` (nobody took it within `wait`). */
const run = behaviour<Handoff>(async ({ step, args, state, call }, signal) => ({
  outcome: await waitForOperator(call, state, step, {
    queue: args.queue, reason: args.reason ?? `the script's step "${step}"`, priority: args.priority, skill: args.skill ?? null,
    waitMs: args.wait * 1000, hold: args.hold ?? null, note: args.note ?? null,
  }, signal),
}));

export const handoff = defineVerb({
  key: 'handoff',
  args: Handoff,
  extras: {},
  outcomes: () => ({ required: ['connected', 'unavailable'], optional: [] }),
  checkStep: ({ name, args }, report) => {
    if (args.hold) checkPrompt(args.hold, `step "${name}" handoff.hold`, ['steps', name, 'handoff', 'hold'], report);
  },
  act: ({ name, args, step }, { go }) => invokeAct(name, args, step.on ?? {}, run, go),
});
