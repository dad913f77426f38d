import { checkOffered, choiceOutcomes, slotOf, SlotChoice } from './book.js';
import { behaviour, defineVerb, invokeAct } from './verb.js';

/**
 * `reschedule: n | chosen`: moves the visit a reminder is about to the n-th slot the last slots
 * step offered (or the one the callee named, as `book: chosen`; `unclear` if none fits), in one registry transaction (the old slot is freed only if the new one is booked).
 * Outcomes: `moved`, `taken` (someone was first: the visit stays where it was), `gone` (no visit,
 * or it was cancelled meanwhile).
 */
const run = behaviour<SlotChoice>(async ({ step, args: choice, state, call }) => {
  const slot = slotOf(choice, state, call.timeZone);
  if (!slot) {
    call.note('system', choice === 'chosen' ? '(the time named is none of those offered)' : `slot ${choice} was not offered`, step);
    return { outcome: choice === 'chosen' ? 'unclear' : 'taken' };
  }
  const result = await call.settle(call.deps.slots.moveVisit(slot));
  call.note('system', result === 'moved' ? `visit moved to slot ${slot.id}` : `visit not moved: ${result}`, step);
  if (result === 'gone') return { outcome: result, set: { visit: null } };
  if (result !== 'moved') return { outcome: result };
  call.bookedInRegistry(slot);
  return { outcome: 'moved', set: { visit: slot, booked: slot } };
});

export const reschedule = defineVerb({
  key: 'reschedule',
  args: SlotChoice,
  extras: {},
  readsVisit: true,
  outcomes: ({ args }) => choiceOutcomes(args, ['moved', 'taken', 'gone']),
  checkScript: (s, report) => checkOffered(s, report, 'reschedule', 'moves the visit to slot'),
  act: ({ name, args, step }, { go }) => invokeAct(name, args, step.on ?? {}, run, go),
});
