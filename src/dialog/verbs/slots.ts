import { z } from 'zod';
import { text } from '../schema-parts.js';
import { speakSlot, type TemplateVar } from '../template.js';
import { behaviour, defineVerb, invokeAct } from './verb.js';

const Slots = z.strictObject({ count: z.number().int().min(1).max(5), specialty: text(100).optional() });
type Slots = z.infer<typeof Slots>;

/** Placeholders a slots step fills: {slot.1} .. {slot.5}. */
export const SLOT_VARS = ['slot.1', 'slot.2', 'slot.3', 'slot.4', 'slot.5'] as const satisfies readonly TemplateVar[];

/**
 * `slots`: free slots to offer, said through {slot.1} .. {slot.n}. Outcomes: `found`, `none`, and
 * `one` if the step names it (exactly one free: "I have 9:40, shall I book it?").
 */
const run = behaviour<Slots & { one: boolean }>(async ({ step, args, state, call }) => {
  const offered = await call.settle(call.deps.slots.offer({ count: args.count, specialty: args.specialty ?? null }));
  const vars = { ...state.vars };
  for (const v of SLOT_VARS) delete vars[v];
  offered.forEach((s, i) => {
    vars[SLOT_VARS[i]!] = speakSlot(s.startsAt, call.language, call.timeZone);
  });
  call.note('system', `offered slots ${offered.map((s) => s.id).join(', ') || 'none'}`, step);
  const n = offered.length;
  return { outcome: n === 0 ? 'none' : n === 1 && args.one ? 'one' : 'found', set: { offered, vars } };
});

export const slots = defineVerb({
  key: 'slots',
  args: Slots,
  extras: {},
  outcomes: () => ({ required: ['found', 'none'], optional: ['one'] }),
  act: ({ name, args, step }, { go }) => invokeAct(name, { ...args, one: Object.hasOwn(step.on ?? {}, 'one') }, step.on ?? {}, run, go),
});
