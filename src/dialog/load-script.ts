import { closest, ScriptError, YamlFile, type ErrorCode } from '../core/index.js';
import { OPTIONAL_OUTCOMES, RESERVED_OUTCOMES, Script, type Step } from './script-schema.js';
import { IMPERSONAL_VARS, placeholders, TEMPLATE_VARS, templateProblems, type TemplateVar } from './template.js';

/**
 * Reads and checks a dialog script. Every problem found is reported at once: the ScriptError
 * thrown names the first (file, line, column, code), and its describe() prints one line per
 * problem, with a "did you mean" where a name is misspelt. The input is bounded (see YamlFile),
 * and aliases are refused: a script has no use for them, and they are how a YAML bomb works.
 */
export function loadScript(file: string, text?: string | Uint8Array): Script {
  const yaml = new YamlFile(file, text, { error: ScriptError, syntaxCode: 'SCRIPT_SYNTAX', maxAliases: 0 });
  const script = yaml.parse(Script, 'SCRIPT_INVALID');
  checkSemantics(script, (code, message, path, hint) => yaml.problem(code, message, path, hint));
  yaml.throwIfProblems();
  return script;
}

type Report = (code: ErrorCode, message: string, path: (string | number)[], hint?: string) => void;
type Kind = (typeof ACTIONS)[number];

const ACTIONS = ['listen', 'slots', 'book', 'handoff', 'next', 'end'] as const;

/** Slots a slots step's outcome leaves on offer: `one` is exactly one, `none` none, `found` up to its count. */
const OFFERED: Record<string, (count: number) => number> = { found: (c) => c, one: () => 1, none: () => 0 };

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

  checkImpersonal(s, report);

  const kinds = new Map<string, Kind>();
  for (const [name, st] of Object.entries(s.steps)) {
    const here = ['steps', name];
    for (const p of templateProblems(st.say ?? '', closest)) {
      report('SCRIPT_TEMPLATE', `step "${name}" ${p.message}.${p.meant ? ` Did you mean {${p.meant}}?` : ''}`, [...here, 'say']);
    }
    const actions = ACTIONS.filter((a) => st[a] !== undefined);
    if (actions.length !== 1) {
      report('SCRIPT_INVALID', `step "${name}" must do exactly one of ${ACTIONS.join(', ')}; it does ${actions.length ? actions.join(' and ') : 'none'}`, here);
      continue;
    }
    const kind = actions[0]!;
    kinds.set(name, kind);
    if (kind === 'next') target(st.next!, [...here, 'next']);
    if (kind === 'next' || kind === 'end') {
      if (st.on) report('SCRIPT_INVALID', `step "${name}" has "on" but ${kind === 'end' ? 'ends the call' : 'always goes to "next"'}`, [...here, 'on']);
      continue;
    }
    const on = st.on ?? {};
    const outcomes = outcomesOf(st, kind);
    const allowed = [...outcomes, ...OPTIONAL_OUTCOMES[kind]];
    for (const [outcome, to] of Object.entries(on)) {
      if (outcome !== 'otherwise' && !allowed.includes(outcome)) {
        const near = closest(outcome, allowed);
        report('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" has no outcome "${outcome}"; its outcomes are ${allowed.join(', ')}.${near ? ` Did you mean "${near}"?` : ''}`, [...here, 'on', outcome]);
      }
      target(to, [...here, 'on', outcome]);
    }
    const missing = outcomes.filter((o) => !Object.hasOwn(on, o));
    if (missing.length && !Object.hasOwn(on, 'otherwise')) {
      report('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" does not say where to go on ${missing.map((m) => `"${m}"`).join(', ')}`, [...here, st.on ? 'on' : kind], 'add them under "on", or an "otherwise" entry');
    }
  }

  /** Steps a step can move to (existing ones only): a step doing two things keeps all its edges, so one mistake is reported once. */
  const next = (n: string): string[] => [...(step(n).next ? [step(n).next!] : []), ...Object.values(step(n).on ?? {})].filter(has);

  // A misspelt target is reported once: the step it surely meant ("Did you mean") and the steps
  // after it count as reached, rather than each being reported unreachable as well.
  const meant = (to: string) => (has(to) ? to : closest(to, names));
  const nextMeant = (n: string): string[] =>
    [...(step(n).next ? [step(n).next!] : []), ...Object.values(step(n).on ?? {})].map(meant).filter((t): t is string => t !== undefined);
  if (has(s.start)) {
    const seen = reach([s.start], nextMeant);
    for (const lost of names.filter((n) => !seen.has(n))) {
      report('SCRIPT_UNREACHABLE_STEP', `step "${lost}" can never be reached from "${s.start}"`, ['steps', lost]);
    }
    if (![...seen].some((n) => step(n).end)) report('SCRIPT_INVALID', `no step reachable from "${s.start}" ends the call`, ['start']);
  }
  checkLoops(names, kinds, next, report);
  checkBookings(s, kinds, next, report);
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

function outcomesOf(st: Step, kind: Exclude<Kind, 'next' | 'end'>): string[] {
  return kind === 'listen' ? [...Object.keys(st.listen!), ...RESERVED_OUTCOMES.listen] : [...RESERVED_OUTCOMES[kind]];
}

/** Every step reachable from the given ones (themselves included), walked without recursion. */
function reach(from: string[], next: (n: string) => string[], stopAt?: (n: string) => boolean): Set<string> {
  const seen = new Set<string>(from);
  const queue = [...from];
  while (queue.length) {
    const n = queue.shift()!;
    if (stopAt?.(n)) continue;
    for (const to of next(n)) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/**
 * A loop of steps none of which listens never waits for the callee: a step that goes to itself,
 * or a booking retried on `taken` without asking. The callee cannot leave it by answering, and
 * each turn may speak, query slots or book, so it is refused. A loop through a listen step is
 * fine: the callee moves it on (the shipped scripts' slot-taken -> find-slots -> choose).
 */
function checkLoops(names: string[], kinds: Map<string, Kind>, next: (n: string) => string[], report: Report): void {
  const deaf = (n: string) => kinds.get(n) !== 'listen';
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

/** The shortest path from n back to n, as the steps visited (n first), or undefined. */
function shortestCycle(n: string, next: (n: string) => string[]): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [n];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const to of next(cur)) {
      if (to === n) {
        const path = [cur];
        while (path[0] !== n) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(to) && to !== n) {
        parent.set(to, cur);
        queue.push(to);
      }
    }
  }
  return undefined;
}

/**
 * `book: n` books the n-th slot the last slots step offered. A book step that can be reached
 * with fewer slots on offer (after `slots: {count: 2}`, after `none`, or with no slots step
 * before it) always fails as `taken`, so it is refused. Offers reset at each slots step.
 */
function checkBookings(s: Script, kinds: Map<string, Kind>, next: (n: string) => string[], report: Report): void {
  const has = (n: string) => Object.hasOwn(s.steps, n);
  const isSlots = (n: string) => kinds.get(n) === 'slots';
  const flagged = new Set<string>();
  const walk = (from: string, offered: number, why: string) => {
    for (const n of reach([from], next, isSlots)) {
      const index = s.steps[n]!.book;
      if (kinds.get(n) !== 'book' || index === undefined || index <= offered || flagged.has(n)) continue;
      flagged.add(n);
      report('SCRIPT_INVALID', `step "${n}" books slot ${index}, but ${why}`, ['steps', n, 'book'], 'book a slot that was offered, or offer more');
    }
  };
  if (has(s.start) && !isSlots(s.start)) walk(s.start, 0, `it can be reached from "${s.start}" with no slots step before it`);
  for (const [name, st] of Object.entries(s.steps)) {
    if (!isSlots(name) || !st.slots) continue;
    const on = st.on ?? {};
    const emitted = ['found', 'none', ...(Object.hasOwn(on, 'one') ? ['one'] : [])];
    for (const outcome of emitted) {
      const to = Object.hasOwn(on, outcome) ? on[outcome] : Object.hasOwn(on, 'otherwise') ? on.otherwise : undefined;
      if (to === undefined || !has(to)) continue;
      const offered = OFFERED[outcome]!(st.slots.count);
      const why =
        outcome === 'none'
          ? `it can be reached after "${name}" found no slots`
          : `"${name}" offers ${outcome === 'one' ? 'exactly one' : `at most ${offered}`} before it`;
      walk(to, offered, why);
    }
  }
}
