import { assign } from 'xstate';
import { z } from 'zod';
import { hear } from '../hear.js';
import { grammarPhrases } from '../intents/grammar.js';
import { intentLanguage, intentMatcher, intentProblems, type IntentDefinition, type IntentMatcher } from '../intents/index.js';
import { say, sayThen } from '../prompt.js';
import { checkPrompt } from '../template.js';
import { MAX_SAY, intentName, phrase, stepName, text } from '../schema-parts.js';
import { behaviour, defineVerb, invokeAct, outcomeIs, type Build, type CallScope, type DialogContext, type DialogStateConfig, type DoneRoute, type StepView, type StepWithKeys, type VerbResult } from './verb.js';

/**
 * intent -> phrases that mean it. A built-in intent (yes, no, callback, repeat, ...: intents/)
 * hears its library's phrases and these too (`yes: []` for the library's alone), or only these
 * with `{phrases: [...], replace: true}`; a script's own intent hears its phrases.
 */
const Phrases = z.union([
  z.array(phrase).max(200),
  z.strictObject({ phrases: z.array(phrase).max(200), replace: z.boolean().default(false) }),
]);
const Listen = z
  .record(intentName, Phrases)
  .refine((l) => Object.keys(l).length <= 50, 'at most 50 intents');
type Listen = z.infer<typeof Listen>;

const definition = (p: z.infer<typeof Phrases>): IntentDefinition => (Array.isArray(p) ? { phrases: p } : p);
const phrasesOf = (intents: Listen): string[] => Object.values(intents).flatMap((p) => definition(p).phrases ?? []);

/**
 * What to do when the callee says nothing (`no_input`) or nothing the step understands
 * (`no_match`): ask again up to `retries` times (with `say`, or the step's own prompt), then go
 * to `then`.
 */
const Reprompt = z.strictObject({
  retries: z.number().int().min(0).max(5).default(1),
  say: text(MAX_SAY).optional(),
  then: stepName,
});
type Reprompt = z.infer<typeof Reprompt>;

const extras = {
  /** keypad answers: a key -> the intent it means ("нажмите 1, если да": {"1": yes}) */
  keys: z.record(z.string().regex(/^[0-9*#]$/, 'a key is one of 0-9, * and #'), intentName).optional(),
  no_input: Reprompt.optional(),
  no_match: Reprompt.optional(),
};

/**
 * Answers that end the patient's calls for good, as the shipped scripts route them (DECLINED, DNC,
 * WRONG_PERSON, ALREADY_DONE): a recogniser that hears «да» as «нет» must not act on it unasked.
 */
const FINAL_INTENTS: ReadonlySet<string> = new Set(['no', 'stop_calling', 'wrong_person', 'already_done']);

/** What a listen does with an answer heard as `intent` at `confidence`: act on it, confirm it first, or take it as not understood. */
export function decision(c: { act: number; confirm: number; final: number }, intent: string, confidence: number): 'act' | 'confirm' | 'reject' {
  if (intent === 'unknown' || intent === REPEAT) return 'act';
  const bar = FINAL_INTENTS.has(intent) ? Math.max(c.final, c.act) : c.act;
  if (confidence >= bar) return 'act';
  return confidence >= c.confirm ? 'confirm' : 'reject';
}

/** The intent every listen step hears unless it routes it itself: the robot says its prompt again, not counted as a failure. */
const REPEAT = 'repeat';

interface Heard {
  matcher: IntentMatcher;
  hints: string[];
  /** the closed grammar for engines that take one: the built-ins' spoken phrases and the step's own plain phrases */
  grammar: string[];
  keys: Readonly<Record<string, string>>;
  silenceMs: number | null;
}

/**
 * `listen`: the callee answers by voice or keypad; the answer is matched to the step's intents.
 * Outcomes: each intent, `silence` (nothing said in time), `unknown` (said, but no intent fits);
 * the last two go to `no_input` and `no_match` where the step has them.
 */
const run = behaviour<Heard>(async ({ step, args, state, call }, signal): Promise<VerbResult> => {
  const answer = await hear(call, { hints: args.hints, grammar: args.grammar, silenceMs: args.silenceMs, keys: true, signal });
  let outcome = 'silence';
  let text = '';
  let said: Readonly<Record<string, string | number>> = {};
  if (answer.kind === 'said') {
    const m = args.matcher.match(answer.text);
    outcome = m.intent ?? 'unknown';
    said = m.slots;
    text = answer.text;
    call.note('callee', answer.text === '' ? '(not understood)' : answer.text, step, outcome, answer.confidence);
    // a guess is not acted on: confirmed first, or not understood (the re-prompt offers the keys);
    // an answer that ends the patient's calls for good needs more than a guess
    const decided = decision(call.confidence, outcome, answer.confidence);
    if (decided !== 'act') {
      const sure = decided === 'confirm' && (await confirmed(call, step, answer.text, signal));
      call.note('system', sure ? `(confirmed: ${outcome})` : `(not sure of "${answer.text}" at ${answer.confidence.toFixed(2)}: not understood)`, step, sure ? outcome : 'unknown');
      if (!sure) outcome = 'unknown';
    }
  } else if (answer.kind === 'key') {
    // a key the step maps, else a digit among an intent's phrases (yes: [да, "1"]), else unknown
    const key = answer.digit;
    const mapped = Object.hasOwn(args.keys, key) ? args.keys[key] : undefined;
    const m = mapped ? null : args.matcher.match(key); // "2" at a slot choice is the second slot
    outcome = mapped ?? m?.intent ?? 'unknown';
    said = m?.slots ?? {};
    text = key;
    call.note('system', `(key ${key} pressed: ${outcome})`, step, outcome);
  }
  if (outcome === 'silence') {
    call.note('system', '(silence)', step, 'silence');
    return { outcome };
  }
  const heard = { step, text, intent: outcome, ...(Object.keys(said).length ? { slots: said } : {}) };
  if (outcome === 'unknown' || outcome === REPEAT) return { outcome, set: { heard } };
  // understood: this step's re-prompts start again from zero
  const retries = Object.fromEntries(Object.entries(state.retries).filter(([k]) => !k.startsWith(`${step}:`)));
  return { outcome, set: { heard, retries } };
});

/** "Вы сказали «да»?": a yes (or key 1) confirms, anything else does not. */
async function confirmed(call: CallScope, step: string, heard: string, signal: AbortSignal): Promise<boolean> {
  const lang = intentLanguage(call.language) ?? 'en';
  const question = lang === 'ru'
    ? `Вы сказали: «${heard}»? Скажите «да» или нажмите 1. Если нет — нажмите 2.`
    : `Did you say "${heard}"? Say yes or press 1. If not, press 2.`;
  await say(call, step, { shown: question, spoken: question, interruptible: true }, signal);
  const matcher = intentMatcher(call.language, { yes: {}, no: {} });
  const answer = await hear(call, { hints: [], grammar: grammarPhrases(['yes', 'no'], lang), silenceMs: null, keys: true, signal });
  if (answer.kind === 'key') {
    call.note('system', `(key ${answer.digit} pressed)`, step);
    return answer.digit === '1';
  }
  if (answer.kind !== 'said') return false;
  const m = matcher.match(answer.text);
  call.note('callee', answer.text === '' ? '(not understood)' : answer.text, step, m.intent ?? 'unknown', answer.confidence);
  return m.intent === 'yes' && answer.confidence >= call.confidence.confirm;
}

/** The closed grammar of a listen step: the spoken phrases of the intents it hears, and its own phrases that are plain words. */
function grammarOf(language: string, matcher: IntentMatcher, intents: Listen): string[] {
  const own = phrasesOf(intents).filter((p) => /^[\p{L}\p{N}][\p{L}\p{N}\s'-]*$/u.test(p));
  const lang = intentLanguage(language);
  return [...new Set([...(lang ? grammarPhrases(matcher.intents, lang) : []), ...own.map((p) => p.toLowerCase())])];
}

type Extras = z.infer<z.ZodObject<typeof extras>>;

export const listen = defineVerb({
  key: 'listen',
  args: Listen,
  extras,
  listens: true,
  outcomes: ({ args: intents, extras: x }) => ({
    required: [...Object.keys(intents).filter((i) => i !== REPEAT), ...(x.no_input ? [] : ['silence']), ...(x.no_match ? [] : ['unknown'])],
    optional: [REPEAT, ...(x.no_input ? ['silence'] : []), ...(x.no_match ? ['unknown'] : [])],
  }),
  targets: ({ extras: x }) => [x.no_input?.then, x.no_match?.then].filter((t): t is string => t !== undefined),
  checkScript: (script, report) => {
    for (const [name, st] of Object.entries(script.steps)) {
      if (script.verbOf(name) !== 'listen') continue;
      const intents = Listen.parse(st.listen);
      for (const p of intentProblems(script.language, Object.fromEntries(Object.entries(intents).map(([i, d]) => [i, definition(d)])))) {
        report('SCRIPT_INVALID', `step "${name}": ${p.message}`, ['steps', name, 'listen', ...(Object.hasOwn(intents, p.intent) ? [p.intent] : [])]);
      }
    }
  },
  checkStep: ({ name, args: intents, extras: x, step }, report) => {
    for (const h of ['no_input', 'no_match'] as const) {
      const say = x[h]?.say;
      if (say !== undefined) checkPrompt(say, `step "${name}" ${h}.say`, ['steps', name, h, 'say'], report);
    }
    for (const [k, intent] of Object.entries(x.keys ?? {})) {
      if (!Object.hasOwn(intents, intent)) report('SCRIPT_INVALID', `step "${name}" maps key ${k} to "${intent}", which it does not listen for; its intents are ${Object.keys(intents).join(', ')}`, ['steps', name, 'keys', k]);
    }
    for (const [handler, outcome] of [['no_input', 'silence'], ['no_match', 'unknown']] as const) {
      if (x[handler] && Object.hasOwn(step.on ?? {}, outcome)) {
        report('SCRIPT_INVALID', `step "${name}" has both ${handler} and "on: ${outcome}"; ${handler} decides where ${outcome} goes`, ['steps', name, 'on', outcome]);
      }
    }
  },
  act: ({ name, args: intents, extras: x, step }, build) => listenState(name, intents, x, step, build),
});

/**
 * listen --outcome named in `on`--> that step
 *        --repeat (not named)-----> the step's prompt again
 *        --silence/unknown, a re-prompt left--> noInput/noMatch (its text, or the prompt) --> listen
 *        --silence/unknown, none left---------> no_input.then / no_match.then
 */
function listenState(name: string, intents: Listen, x: Extras, step: StepView, build: Build): DialogStateConfig {
  const on = step.on ?? {};
  const again = step.say === undefined ? build.here('act') : build.here('say');
  const routes: DoneRoute[] = [];
  const states: Record<string, DialogStateConfig> = {};
  if (!Object.hasOwn(on, REPEAT)) routes.push({ guard: outcomeIs(REPEAT), target: again });
  // the safe defaults (safety.ts) the step does not route itself
  const safety = [...build.safety].filter(([intent]) => !Object.hasOwn(intents, intent) && !Object.hasOwn(on, intent));
  for (const [intent, target] of safety) routes.push({ guard: outcomeIs(intent), target });
  const matcher = listenMatcher(build.language, intents, safety.map(([intent]) => intent));
  for (const [handler, outcome, state] of [['no_input', 'silence', 'noInput'], ['no_match', 'unknown', 'noMatch']] as const) {
    const r = x[handler];
    if (!r) continue;
    const count = `${name}:${handler}`;
    const tried = (c: DialogContext) => c.retries[count] ?? 0;
    const is = outcomeIs(outcome);
    routes.push(
      {
        guard: (a) => is(a) && tried(a.context) < r.retries,
        target: r.say ? build.here(`act.${state}`) : again,
        also: assign(({ context }) => ({ retries: { ...context.retries, [count]: tried(context) + 1 } })),
      },
      { guard: is, target: build.go(r.then) },
    );
    if (r.say) states[state] = sayThen(name, r.say, true, 'listen');
  }
  const listening = invokeAct(name, { matcher, hints: phrasesOf(intents), grammar: grammarOf(build.language, matcher, intents), keys: x.keys ?? {}, silenceMs: step.silenceMs ?? null }, on, run, build.go, { after: routes });
  return { initial: 'listen', states: { listen: listening, ...states } };
}

/** What a listen step hears: its intents, `repeat`, and the safe defaults it does not route itself. */
export function listenMatcher(language: string, intents: Listen, safety: readonly string[]): IntentMatcher {
  const defs: Record<string, IntentDefinition> = Object.fromEntries(Object.entries(intents).map(([i, p]) => [i, definition(p)]));
  for (const i of [REPEAT, ...safety]) if (!Object.hasOwn(defs, i)) defs[i] = {};
  return intentMatcher(language, defs);
}

/** The matcher a script's listen step uses in calls (`zvonar dialog intents FILE --step STEP`); null if the step does not listen. */
export function stepMatcher(language: string, step: StepWithKeys, safety: ReadonlyMap<string, string>): IntentMatcher | null {
  if (step.listen === undefined) return null;
  const intents = Listen.parse(step.listen);
  const on = step.on ?? {};
  return listenMatcher(language, intents, [...safety.keys()].filter((i) => !Object.hasOwn(intents, i) && !Object.hasOwn(on, i)));
}

/** The closed grammar a script's listen step sends the recogniser in calls; null if the step does not listen. */
export function stepGrammar(language: string, step: StepWithKeys, matcher: IntentMatcher): string[] | null {
  if (step.listen === undefined) return null;
  return grammarOf(language, matcher, Listen.parse(step.listen));
}
