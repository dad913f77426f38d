import { assign, type ProvidedActor } from 'xstate';
import { z } from 'zod';
import type { Disposition } from '../core/index.js';
import { sayThen } from './prompt.js';
import { MAX_SAY, text } from './schema-parts.js';
import type { DialogContext, DialogEvent, DialogStateConfig, Report } from './verbs/verb.js';
import { behaviour, FAILED, outcomeIs, stateOf } from './verbs/verb.js';
import { waitForOperator } from './verbs/handoff.js';

/**
 * Safe defaults every script has unless a supervisor turns one off with a reason (`safety:`):
 *   - "не звоните мне больше" at any listen ends politely and puts the number on the do-not-call list;
 *   - "позовите оператора" at any listen hands the call off;
 *   - "это не я / ошиблись номером" at any listen ends as WRONG_PERSON, nothing medical said;
 *   - the first prompt names the clinic and says the call is automated (checked, DOMAIN.md).
 * A listen step that names one of these intents itself routes it its own way.
 */
const reason = text(300).describe('why this default is off: kept with the script for whoever reads it next');
const Default = z.strictObject({ say: text(MAX_SAY).optional(), off: reason.optional() });
export const Safety = z.strictObject({
  stop_calling: Default.optional(),
  wrong_person: Default.optional(),
  operator: z.strictObject({
    say: text(MAX_SAY).optional(),
    busy: text(MAX_SAY).optional(),
    queue: text(100).optional(),
    /** said while the callee waits for an operator */
    hold: text(MAX_SAY).optional(),
    /** a step of the script that "позовите оператора" goes to instead (its own handoff, with a call-back offer after it) */
    step: text(100).optional(),
    /** seconds the callee waits before `busy` is said */
    wait: z.number().int().min(5).max(600).optional(),
    off: reason.optional(),
  }).optional(),
  announce: z.strictObject({ off: reason }).optional(),
}).default({});
export type Safety = z.infer<typeof Safety>;

/** The intents heard at every listen, and the machine state each leads to (camelCase: no step can be named so). */
export const SAFETY_STATES = { stop_calling: 'safetyStopCalling', wrong_person: 'safetyWrongPerson', operator: 'safetyOperator' } as const;
type SafetyIntent = keyof typeof SAFETY_STATES;

/** How each safe default ends the call (the operator's: by the handoff's outcome); the states below and the diagram (diagram-model.ts) read it. */
export const SAFETY_ENDS = {
  stop_calling: { done: 'DNC' },
  wrong_person: { done: 'WRONG_PERSON' },
  operator: { connected: 'TRANSFERRED', unavailable: 'NEEDS_HUMAN' },
} as const satisfies Record<SafetyIntent, Record<string, Disposition>>;

const TEXTS: Record<'ru' | 'en', Record<SafetyIntent | 'busy' | 'hold', string>> = {
  ru: {
    stop_calling: 'Поняла, больше не будем вам звонить. Извините за беспокойство. До свидания.',
    wrong_person: 'Извините, пожалуйста, за беспокойство. Всего доброго.',
    operator: 'Соединяю с оператором, пожалуйста, подождите.',
    busy: 'Все операторы сейчас заняты. Оператор перезвонит вам в ближайшее время. До свидания.',
    hold: 'Пожалуйста, оставайтесь на линии, оператор скоро ответит.',
  },
  en: {
    stop_calling: 'Understood, we will not call you again. Sorry to have bothered you. Goodbye.',
    wrong_person: 'Sorry to have bothered you. Goodbye.',
    operator: 'Putting you through to an operator, please hold.',
    busy: 'All our operators are busy right now. An operator will call you back soon. Goodbye.',
    hold: 'Please stay on the line, an operator will answer shortly.',
  },
};

/** The safety intents in force, and where each leads. */
export function safetyRoutes(safety: Safety): Map<string, string> {
  return new Map((Object.keys(SAFETY_STATES) as SafetyIntent[]).filter((i) => !safety[i]?.off)
    .map((i) => [i, i === 'operator' && safety.operator?.step ? `#dialog.${safety.operator.step}` : `#dialog.${SAFETY_STATES[i]}`]));
}

const handoff = behaviour<{ queue: string; hold: string; waitMs: number }>(async ({ step, args, state, call }, signal) => ({
  outcome: await waitForOperator(call, state, step, {
    queue: args.queue, reason: 'the callee asked for an operator', priority: 3, skill: null, waitMs: args.waitMs, hold: args.hold, note: null,
  }, signal),
}));

/** The states the safety intents lead to. */
export function safetyStates(safety: Safety, language: string): Record<string, DialogStateConfig> {
  const t = TEXTS[language.startsWith('ru') ? 'ru' : 'en'];
  const end = (disposition: Disposition) => ({ always: { target: '#dialog.ended', actions: assign<DialogContext, DialogEvent, undefined, DialogEvent, ProvidedActor>({ disposition }) } });
  const states: Record<string, DialogStateConfig> = {};
  if (!safety.stop_calling?.off) {
    // tagged: the number goes on the list as the state is entered, before the goodbye (runtime.ts)
    states[SAFETY_STATES.stop_calling] = { tags: ['dnc'], initial: 'say', states: { say: sayThen('stop-calling', safety.stop_calling?.say ?? t.stop_calling, false, 'done'), done: end(SAFETY_ENDS.stop_calling.done) } };
  }
  if (!safety.wrong_person?.off) {
    states[SAFETY_STATES.wrong_person] = { initial: 'say', states: { say: sayThen('wrong-person', safety.wrong_person?.say ?? t.wrong_person, false, 'done'), done: end(SAFETY_ENDS.wrong_person.done) } };
  }
  const op = safety.operator;
  if (!op?.off && !op?.step) {
    states[SAFETY_STATES.operator] = {
      initial: 'say',
      states: {
        say: sayThen('operator', op?.say ?? t.operator, false, 'handoff'),
        handoff: {
          invoke: {
            src: handoff,
            input: ({ context }: { context: DialogContext }) => ({ step: 'operator', args: { queue: op?.queue ?? 'general', hold: op?.hold ?? t.hold, waitMs: (op?.wait ?? 30) * 1000 }, state: stateOf(context), call: context.call }),
            onDone: [{ guard: outcomeIs('connected'), target: 'transferred' }, { target: 'busy' }],
            onError: FAILED,
          },
        },
        transferred: end(SAFETY_ENDS.operator.connected),
        busy: { initial: 'say', states: { say: sayThen('operator', op?.busy ?? t.busy, false, 'done'), done: end(SAFETY_ENDS.operator.unavailable) } },
      },
    };
  }
  return states;
}

const ROBOT = { ru: /робот|автоматическ/i, en: /\brobot|automated|automatic/i };

/**
 * The first thing the robot says names the clinic and says the call is automated (a 2026 bill:
 * within the first five seconds; DOMAIN.md). Checked on each prompt a call can hear first.
 */
export function checkAnnouncement(first: { step: string; say: string }, language: string, safety: Safety, report: Report): void {
  if (safety.announce?.off) return;
  const robot = ROBOT[language.startsWith('ru') ? 'ru' : 'en'];
  const problems = [
    ...(!first.say.includes('{clinic.name}') ? ['name the clinic ({clinic.name})'] : []),
    ...(!robot.test(first.say) ? [`say the call is automated (${language.startsWith('ru') ? '"автоматический звонок", "робот"' : '"automated call", "robot"'})`] : []),
  ];
  if (!problems.length) return;
  report(
    'SCRIPT_SAFETY',
    `the first prompt (step "${first.step}") must ${problems.join(' and ')}`,
    ['steps', first.step, 'say'],
    'or turn the check off with safety: {announce: {off: "<why>"}}',
  );
}
