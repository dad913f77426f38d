import { z } from 'zod';
import { offerAfter } from '../chosen-slot.js';
import { text } from '../schema-parts.js';
import { behaviour, defineVerb, invokeAct } from './verb.js';

const Slots = z.strictObject({
  count: z.number().int().min(1).max(5),
  specialty: text(100).optional(),
  /** offer more: after the last slot offered ("а попозже есть?") or from the next day ("другой день"); nothing offered yet: from now */
  after: z.enum(['later', 'another_day']).optional(),
});
type Slots = z.infer<typeof Slots>;

/**
 * `slots`: free slots to offer, said through {slot.1} .. {slot.n} (prompt.ts). Outcomes: `found`, `none`, and
 * `one` if the step names it (exactly one free: "I have 9:40, shall I book it?").
 */
const run = behaviour<Slots & { one: boolean }>(async ({ step, args, state, call }) => {
  const after = args.after ? offerAfter(state.offered, args.after, call.timeZone) : null;
  const offered = await call.settle(call.deps.slots.offer({ count: args.count, specialty: args.specialty ?? null, after }));
  call.note('system', `offered slots ${offered.map((s) => s.id).join(', ') || 'none'}`, step);
  const n = offered.length;
  return { outcome: n === 0 ? 'none' : n === 1 && args.one ? 'one' : 'found', set: { offered } };
});

export const slots = defineVerb({
  key: 'slots',
  args: Slots,
  extras: {},
  outcomes: () => ({ required: ['found', 'none'], optional: ['one'] }),
  act: ({ name, args, step }, { go }) => invokeAct(name, { ...args, one: Object.hasOwn(step.on ?? {}, 'one') }, step.on ?? {}, run, go),
});
