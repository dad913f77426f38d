import { existsSync } from 'node:fs';
import { closest, ScriptError, spokenLanguage, YamlFile } from '../core/index.js';
import { reach, shortestCycle } from './graph.js';
import { checkAnnouncement } from './safety.js';
import { checkTranslation, translationFile } from './translation.js';
import { Script, type Step } from './script-schema.js';
import { VERBS, type AnyVerb, type ScriptView } from './verbs/index.js';
import type { Report } from './verbs/verb.js';
import { checkPrompt, IMPERSONAL_VARS, placeholders, TEMPLATE_VARS, templateProblems, type TemplateVar } from './template.js';

/**
 * Reads and checks a dialog script. Every problem found is reported at once: the ScriptError
 * thrown names the first (file, line, column, code), and its describe() prints one line per
 * problem, with a "did you mean" where a name is misspelt. The input is bounded (see YamlFile),
 * and aliases are refused: a script has no use for them, and they are how a YAML bomb works.
 */
export function loadScript(file: string, text?: string | Uint8Array, opts: { translations?: boolean } = {}): Script {
  const yaml = new YamlFile(file, text, { error: ScriptError, syntaxCode: 'SCRIPT_SYNTAX', maxAliases: 0 });
  const script = yaml.parse(Script, 'SCRIPT_INVALID');
  const report: Report = (code, message, path, hint) => yaml.problem(code, message, path, hint);
  checkSemantics(script, report);
  if (script.translates && opts.translations !== false) {
    const original = translationFile(file, script.translates);
    if (!existsSync(original)) {
      report('SCRIPT_TRANSLATION', `translates "${script.translates}", but ${original} does not exist`, ['translates'], 'keep a translation beside the script it translates');
    } else {
      // the original's own problems are its own to report; only the difference is this file's
      let theirs: Script | null = null;
      try {
        theirs = loadScript(original, undefined, { translations: false });
      } catch (err) {
        if (!(err instanceof ScriptError)) throw err;
        report('SCRIPT_TRANSLATION', `translates "${script.translates}", but ${original} fails its own check (zvonar dialog check it)`, ['translates']);
      }
      if (theirs) checkTranslation(script, theirs, original, report);
    }
  }
  yaml.throwIfProblems();
  return script;
}

/** The verb a step does: its key in the registry (verbs/index.ts). */
const verbNamed = new Map(VERBS.map((v) => [v.key, v]));

function checkSemantics(s: Script, report: Report): void {
  const names = Object.keys(s.steps);
  const has = (n: string) => Object.hasOwn(s.steps, n);
  const step = (n: string): Step => s.steps[n]!;
  const target = (to: string, path: (string | number)[]) => {
    if (has(to)) return;
    const near = closest(to, names);
    report('SCRIPT_UNKNOWN_TARGET', `goes to "${to}", which is not a step.${near ? ` Did you mean "${near}"?` : ''}`, path);
  };
  target(s.start, ['start']);
  const operatorStep = s.safety.operator?.off ? undefined : s.safety.operator?.step;
  if (operatorStep !== undefined) target(operatorStep, ['safety', 'operator', 'step']);
  try {
    spokenLanguage(s.language);
  } catch (err) {
    report('SCRIPT_INVALID', `${(err as Error).message}: the robot cannot say dates, times and numbers in it`, ['language']);
  }

  checkImpersonal(s, report);
  for (const [key, d] of Object.entries(s.safety)) {
    for (const field of ['say', 'busy', 'hold'] as const) {
      const text = (d as Partial<Record<typeof field, string>>)[field];
      if (text !== undefined) checkPrompt(text, `safety.${key}.${field}`, ['safety', key, field], report);
    }
  }

  const verbs = new Map<string, AnyVerb>();
  for (const [name, st] of Object.entries(s.steps)) {
    const here = ['steps', name];
    checkPrompt(st.say ?? '', `step "${name}"`, [...here, 'say'], report);
    const doing = VERBS.filter((v) => st[v.key] !== undefined);
    if (doing.length !== 1) {
      const keys = VERBS.map((v) => v.key);
      report('SCRIPT_INVALID', `step "${name}" must do exactly one of ${keys.join(', ')}; it does ${doing.length ? doing.map((v) => v.key).join(' and ') : 'none'}`, here);
      continue;
    }
    const verb = doing[0]!;
    verbs.set(name, verb);
    for (const other of VERBS.filter((v) => v !== verb)) {
      for (const k of Object.keys(other.extras).filter((k) => st[k] !== undefined && !Object.hasOwn(verb.extras, k))) {
        report('SCRIPT_INVALID', `step "${name}" has "${k}", which only ${other.key} steps take; it does ${verb.key}`, [...here, k]);
      }
    }
    verb.checkStep(name, st, report);
    verb.targets(name, st).forEach((to) => target(to, [...here, verb.key]));
    const outcomes = verb.outcomes(name, st);
    if (!outcomes) {
      if (st.on) report('SCRIPT_INVALID', `step "${name}" has "on" but ${verb.ends ? 'ends the call' : `always goes on by "${verb.key}"`}`, [...here, 'on']);
      continue;
    }
    const on = st.on ?? {};
    const allowed = [...outcomes.required, ...outcomes.optional];
    for (const [outcome, to] of Object.entries(on)) {
      if (outcome !== 'otherwise' && !allowed.includes(outcome)) {
        const near = closest(outcome, allowed);
        report('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" has no outcome "${outcome}"; its outcomes are ${allowed.join(', ')}.${near ? ` Did you mean "${near}"?` : ''}`, [...here, 'on', outcome]);
      }
      target(to, [...here, 'on', outcome]);
    }
    const missing = outcomes.required.filter((o) => !Object.hasOwn(on, o));
    if (missing.length && !Object.hasOwn(on, 'otherwise')) {
      report('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" does not say where to go on ${missing.map((m) => `"${m}"`).join(', ')}`, [...here, st.on ? 'on' : verb.key], 'add them under "on", or an "otherwise" entry');
    }
  }

  /** Where a step can go: its verb's own targets and its routes. A step doing two things keeps all its edges, so one mistake is reported once. */
  const edges = (n: string): string[] => [...VERBS.flatMap((v) => (step(n)[v.key] === undefined ? [] : v.targets(n, step(n)))), ...Object.values(step(n).on ?? {})];
  const next = (n: string): string[] => edges(n).filter(has);

  // A misspelt target is reported once: the step it surely meant ("Did you mean") and the steps
  // after it count as reached, rather than each being reported unreachable as well.
  const meant = (to: string) => (has(to) ? to : closest(to, names));
  const nextMeant = (n: string): string[] => edges(n).map(meant).filter((t): t is string => t !== undefined);
  if (has(s.start)) {
    // "позовите оператора" at any listen reaches the script's own operator step, if it names one
    const seen = reach([s.start, ...(operatorStep !== undefined && has(operatorStep) ? [operatorStep] : [])], nextMeant);
    for (const lost of names.filter((n) => !seen.has(n))) {
      report('SCRIPT_UNREACHABLE_STEP', `step "${lost}" can never be reached from "${s.start}"`, ['steps', lost]);
    }
    const ends = (n: string) => VERBS.some((v) => v.ends && step(n)[v.key] !== undefined);
    if (![...seen].some(ends)) {
      report('SCRIPT_INVALID', `no step reachable from "${s.start}" ends the call`, ['start']);
    } else {
      // steps from which no end can be reached: a loop with no exit. Named once, where it is entered.
      const before = new Map<string, string[]>();
      for (const n of seen) for (const to of nextMeant(n)) before.set(to, [...(before.get(to) ?? []), n]);
      const canEnd = reach(names.filter(ends), (n) => before.get(n) ?? []);
      const named = new Set<string>();
      for (const n of [...seen].filter((m) => !canEnd.has(m))) {
        if (named.has(n) || (n !== s.start && !(before.get(n) ?? []).some((p) => canEnd.has(p)))) continue;
        const trapped = reach([n], (m) => nextMeant(m).filter((x) => !canEnd.has(x)));
        trapped.forEach((m) => named.add(m)); // entered elsewhere too, it is still this one loop
        // one that never listens is a loop checkLoops names already
        if (![...trapped].some((m) => verbs.get(m)?.listens)) continue;
        report('SCRIPT_LOOP', `no step that ends the call can be reached from step "${n}": every way on leads back into it`, ['steps', n], 'give one of its outcomes a way to a step that ends the call');
      }
    }
  }
  checkLoops(names, verbs, next, report);
  if (has(s.start)) for (const first of firstPrompts(s, next)) checkAnnouncement(first, s.language, s.safety, report);
  const view: ScriptView = { start: s.start, language: s.language, steps: s.steps, verbOf: (n) => verbs.get(n)?.key, next, has };
  for (const v of VERBS) v.checkScript(view, report);
}

/**
 * The texts said to a mailbox or a screening assistant: placeholders as in prompts, but none about
 * the patient or an appointment (IMPERSONAL_VARS). Medical detail in the words themselves is the
 * script author's to leave out; no check can tell it.
 */
function checkImpersonal(s: Script, report: Report): void {
  const texts: [string, string, string | undefined][] = [['voicemail', 'message', s.voicemail?.message], ['screening', 'say', s.screening?.say]];
  for (const [key, field, text] of texts) {
    if (text === undefined) continue;
    const where = `${key}.${field}`;
    for (const p of templateProblems(text, closest)) {
      report('SCRIPT_TEMPLATE', `${where} ${p.message}.${p.meant ? ` Did you mean {${p.meant}}?` : ''}`, [key, field]);
    }
    const personal = placeholders(text).filter((n) => (TEMPLATE_VARS as readonly string[]).includes(n) && !IMPERSONAL_VARS.includes(n as TemplateVar));
    for (const n of new Set(personal)) {
      report(
        'SCRIPT_TEMPLATE',
        `${where} says {${n}}, but a mailbox or an assistant is not the patient: only ${IMPERSONAL_VARS.map((v) => `{${v}}`).join(' and ')} may be said there`,
        [key, field],
        'leave out the patient\'s name, the appointment and any medical detail',
      );
    }
  }
}

/**
 * A loop of steps none of which listens never waits for the callee: a step that goes to itself,
 * or a booking retried on `taken` without asking. The callee cannot leave it by answering, and
 * each turn may speak, query slots or book, so it is refused. A loop through a listen step is
 * fine: the callee moves it on (the shipped scripts' slot-taken -> find-slots -> choose).
 */
function checkLoops(names: string[], verbs: Map<string, AnyVerb>, next: (n: string) => string[], report: Report): void {
  const deaf = (n: string) => !verbs.get(n)?.listens;
  const deafNext = (n: string) => (deaf(n) ? next(n).filter(deaf) : []);
  const reported = new Set<string>();
  for (const n of names.filter(deaf)) {
    if (reported.has(n)) continue;
    const cycle = shortestCycle(n, deafNext);
    if (!cycle) continue;
    // every step of the loop is named once: the others are not reported again
    const forward = reach([n], deafNext);
    for (const m of forward) if (reach([m], deafNext).has(n)) reported.add(m);
    const message =
      cycle.length === 1
        ? `step "${n}" goes to itself and never listens to the callee, so a call could spin here forever`
        : `steps ${[...cycle, n].map((c) => `"${c}"`).join(' -> ')} form a loop that never listens to the callee, so a call could spin in it forever`;
    report('SCRIPT_LOOP', message, ['steps', n], 'let one step of the loop listen, or lead it out to a step that ends the call');
  }
}

/** The prompts a call can hear first: those of the steps reached from the start through steps that say nothing. */
function firstPrompts(s: Script, next: (n: string) => string[]): { step: string; say: string }[] {
  const silent = (n: string) => s.steps[n]!.say === undefined;
  return [...reach([s.start], (n) => (silent(n) ? next(n) : []))].filter((n) => !silent(n)).map((n) => ({ step: n, say: s.steps[n]!.say! }));
}

/** Does a call of this script need the visit it is about (a verb acting on it, or {visit} in any text)? Other calls skip reading it. */
export function usesVisit(s: Script): boolean {
  let uses = visitUse.get(s);
  if (uses === undefined) {
    uses = Object.values(s.steps).some((st) => VERBS.some((v) => v.readsVisit && st[v.key] !== undefined)) || JSON.stringify(s).includes('{visit}');
    visitUse.set(s, uses);
  }
  return uses;
}
const visitUse = new WeakMap<Script, boolean>();
