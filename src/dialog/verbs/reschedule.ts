import { z } from 'zod';
import { checkOffered } from './book.js';
import { behaviour, defineVerb, invokeAct } from './verb.js';

/**
 * `reschedule: n`: moves the visit a reminder is about to the n-th slot the last slots step
 * offered, in one registry transaction (the old slot is freed only if the new one is booked).
 * Outcomes: `moved`, `taken` (someone was first: the visit stays where it was), `gone` (no visit,
 * or it was cancelled meanwhile).
 */
const run = behaviour<number>(async ({ step, args: index, state, call }) => {
  const slot = state.offered[index - 1];
  if (!state.visit || !slot) return { outcome: state.visit ? 'taken' : 'gone' };
  const result = await call.settle(call.deps.slots.moveVisit(slot));
  call.note('system', result === 'moved' ? `visit moved to slot ${slot.id}` : `visit not moved: ${result}`, step);
  if (result !== 'moved') return { outcome: result };
  call.bookedInRegistry(slot);
  return { outcome: 'moved', set: { visit: slot, booked: slot } };
});

export const reschedule = defineVerb({
  key: 'reschedule',
  args: z.number().int().min(1).max(5),
  extras: {},
  outcomes: () => ({ required: ['moved', 'taken', 'gone'], optional: [] }),
  checkScript: (s, report) => checkOffered(s, report, 'reschedule', 'moves the visit to slot'),
  act: ({ name, args, step }, { go }) => invokeAct(name, args, step.on ?? {}, run, go),
});
