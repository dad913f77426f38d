import { z } from 'zod';
import type { Slot } from '../../core/index.js';
import { chosenSlot } from '../chosen-slot.js';
import { reach } from '../graph.js';
import { behaviour, defineVerb, invokeAct, type DialogState, type Report, type ScriptView } from './verb.js';

/** Which offered slot a step uses: the n-th, or `chosen`, the one the callee named (a listen's built-in `choose`: chosen-slot.ts). */
export const SlotChoice = z.union([z.number().int().min(1).max(5), z.literal('chosen')]);
export type SlotChoice = z.infer<typeof SlotChoice>;

/** The offered slot a step uses; null (`unclear`) when the callee's words name none of them. */
export function slotOf(choice: SlotChoice, state: DialogState, timeZone: string): Slot | null {
  if (choice !== 'chosen') return state.offered[choice - 1] ?? null;
  return chosenSlot(state.offered, state.heard?.slots ?? {}, timeZone);
}

/** Outcomes of a step using an offered slot: `unclear` too when it is the one the callee named. */
export const choiceOutcomes = (choice: SlotChoice, own: string[]) => ({ required: [...own, ...(choice === 'chosen' ? ['unclear'] : [])], optional: [] });

/**
 * `book: n | chosen`: books the n-th slot the last slots step offered, or the one the callee
 * named ("давайте на вторник", "в 10:20", "второе"). Outcomes: `booked`, `taken` (someone was
 * first), and for `chosen` `unclear` (what they said fits none of the slots offered).
 */
const run = behaviour<SlotChoice>(async ({ step, args: choice, state, call }) => {
  const slot = slotOf(choice, state, call.timeZone);
  if (!slot && choice === 'chosen') {
    call.note('system', '(the time named is none of those offered)', step);
    return { outcome: 'unclear' };
  }
  const result = slot ? await call.settle(call.deps.slots.book(slot)) : 'taken';
  call.note('system', result === 'booked' ? `booked slot ${slot!.id}` : `slot ${slot?.id ?? choice} taken`, step);
  if (!slot || result !== 'booked') return { outcome: 'taken' };
  call.bookedInRegistry(slot);
  return { outcome: 'booked', set: { booked: slot } };
});

/** Slots a slots step's outcome leaves on offer: `one` is exactly one, `none` none, `found` up to its count. */
const OFFERED: Record<string, (count: number) => number> = { found: (c) => c, one: () => 1, none: () => 0 };

/**
 * A step using the n-th offered slot (book, reschedule) that can be reached with fewer on offer (after
 * `slots: {count: 2}`, after `none`, or with no slots step before it) always fails as `taken`,
 * so it is refused. Offers reset at each slots step.
 */
export function checkOffered(s: ScriptView, report: Report, key: string, does: string): void {
  const isSlots = (n: string) => s.verbOf(n) === 'slots';
  const flagged = new Set<string>();
  const walk = (from: string, offered: number, why: string) => {
    for (const n of reach([from], (m) => s.next(m), isSlots)) {
      const index = s.steps[n]![key];
      if (s.verbOf(n) !== key || typeof index !== 'number' || index <= offered || flagged.has(n)) continue;
      flagged.add(n);
      report('SCRIPT_INVALID', `step "${n}" ${does} ${index}, but ${why}`, ['steps', n, key], 'use a slot that was offered, or offer more');
    }
  };
  if (s.has(s.start) && !isSlots(s.start)) walk(s.start, 0, `it can be reached from "${s.start}" with no slots step before it`);
  for (const [name, st] of Object.entries(s.steps)) {
    const count = (st.slots as { count?: unknown } | undefined)?.count;
    if (!isSlots(name) || typeof count !== 'number') continue;
    const on = st.on ?? {};
    const emitted = ['found', 'none', ...(Object.hasOwn(on, 'one') ? ['one'] : [])];
    for (const outcome of emitted) {
      const to = Object.hasOwn(on, outcome) ? on[outcome] : Object.hasOwn(on, 'otherwise') ? on.otherwise : undefined;
      if (to === undefined || !s.has(to)) continue;
      const offered = OFFERED[outcome]!(count);
      const why =
        outcome === 'none'
          ? `it can be reached after "${name}" found no slots`
          : `"${name}" offers ${outcome === 'one' ? 'exactly one' : `at most ${offered}`} before it`;
      walk(to, offered, why);
    }
  }
}

export const book = defineVerb({
  key: 'book',
  args: SlotChoice,
  extras: {},
  outcomes: ({ args }) => choiceOutcomes(args, ['booked', 'taken']),
  checkScript: (s, report) => checkOffered(s, report, 'book', 'books slot'),
  act: ({ name, args: index, step }, { go }) => invokeAct(name, index, step.on ?? {}, run, go),
});
