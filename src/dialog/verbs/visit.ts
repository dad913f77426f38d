import { z } from 'zod';
import { behaviour, defineVerb, invokeAct } from './verb.js';

const Visit = z.enum(['check', 'confirm', 'cancel']);
type Visit = z.infer<typeof Visit>;

const OUTCOMES: Record<Visit, [string, string]> = { check: ['found', 'none'], confirm: ['confirmed', 'gone'], cancel: ['cancelled', 'gone'] };

/**
 * `visit: check | confirm | cancel`: the visit a reminder call is about ({visit}). `check` says
 * whether there is one still booked (`found`, `none`); `confirm` records that the patient will
 * come (`confirmed`); `cancel` cancels it and frees its slot at once (`cancelled`). Either of the
 * last two is `gone` when the visit was cancelled or moved meanwhile (by the clinic, say).
 */
const run = behaviour<Visit>(async ({ step, args, state, call }) => {
  const desk = call.deps.slots;
  if (args === 'check') {
    const visit = state.visit ?? (await call.settle(desk.visit()));
    return { outcome: visit ? 'found' : 'none', set: { visit } };
  }
  // the desk knows the visit even when the call could not read it before the answer
  const result = await call.settle(args === 'confirm' ? desk.confirmVisit() : desk.cancelVisit());
  call.note('system', `visit ${result}`, step);
  // cancelled, or gone (changed by the clinic meanwhile): {visit} no longer names it
  return result === 'confirmed' ? { outcome: result } : { outcome: result, set: { visit: null } };
});

export const visit = defineVerb({
  key: 'visit',
  args: Visit,
  extras: {},
  readsVisit: true,
  outcomes: ({ args }) => ({ required: OUTCOMES[args], optional: [] }),
  act: ({ name, args, step }, { go }) => invokeAct(name, args, step.on ?? {}, run, go),
});
