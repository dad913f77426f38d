import { YamlFile } from '../config/index.js';
import { ScriptError, type ErrorCode } from '../core/index.js';
import { OPTIONAL_OUTCOMES, RESERVED_OUTCOMES, Script, type Step } from './script-schema.js';
import { placeholders, TEMPLATE_VARS } from './template.js';

/**
 * Reads and checks a dialog script. Every problem is a ScriptError naming the file, the line
 * and column, and what is wrong (with a "did you mean" where a name is misspelt).
 */
export function loadScript(file: string, text?: string): Script {
  const yaml = new YamlFile(file, text, { error: ScriptError, syntaxCode: 'SCRIPT_SYNTAX' });
  const script = yaml.parse(Script, 'SCRIPT_INVALID');
  checkSemantics(script, (code, message, path, hint) => yaml.fail(code, message, path, hint));
  return script;
}

type Fail = (code: ErrorCode, message: string, path: (string | number)[], hint?: string) => never;

const ACTIONS = ['listen', 'slots', 'book', 'handoff', 'next', 'end'] as const;

function checkSemantics(s: Script, fail: Fail): void {
  const names = Object.keys(s.steps);
  const target = (to: string, path: (string | number)[]) => {
    if (s.steps[to]) return;
    const near = closest(to, names);
    fail('SCRIPT_UNKNOWN_TARGET', `goes to "${to}", which is not a step.${near ? ` Did you mean "${near}"?` : ''}`, path);
  };
  target(s.start, ['start']);
  for (const [name, step] of Object.entries(s.steps)) {
    const here = ['steps', name];
    const actions = ACTIONS.filter((a) => step[a] !== undefined);
    if (actions.length !== 1) {
      fail('SCRIPT_INVALID', `step "${name}" must do exactly one of ${ACTIONS.join(', ')}; it does ${actions.length ? actions.join(' and ') : 'none'}`, here);
    }
    const kind = actions[0]!;
    for (const v of placeholders(step.say ?? '')) {
      if (!(TEMPLATE_VARS as readonly string[]).includes(v)) {
        const near = closest(v, TEMPLATE_VARS);
        fail('SCRIPT_TEMPLATE', `step "${name}" says {${v}}, which no call has.${near ? ` Did you mean {${near}}?` : ''}`, [...here, 'say']);
      }
    }
    if (kind === 'next') target(step.next!, [...here, 'next']);
    if (kind === 'next' || kind === 'end') {
      if (step.on) fail('SCRIPT_INVALID', `step "${name}" has "on" but ${kind === 'end' ? 'ends the call' : 'always goes to "next"'}`, [...here, 'on']);
      continue;
    }
    const outcomes = kind === 'listen' ? [...Object.keys(step.listen!), ...RESERVED_OUTCOMES.listen] : [...RESERVED_OUTCOMES[kind]];
    const on = step.on ?? {};
    const allowed = [...outcomes, ...OPTIONAL_OUTCOMES[kind]];
    for (const [outcome, to] of Object.entries(on)) {
      if (outcome !== 'otherwise' && !allowed.includes(outcome)) {
        const near = closest(outcome, allowed);
        fail('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" has no outcome "${outcome}"; its outcomes are ${allowed.join(', ')}.${near ? ` Did you mean "${near}"?` : ''}`, [...here, 'on', outcome]);
      }
      target(to, [...here, 'on', outcome]);
    }
    const missing = outcomes.filter((o) => !(o in on));
    if (missing.length && !on.otherwise) {
      fail('SCRIPT_UNHANDLED_OUTCOME', `step "${name}" does not say where to go on ${missing.map((m) => `"${m}"`).join(', ')}`, [...here, step.on ? 'on' : kind], 'add them under "on", or an "otherwise" entry');
    }
  }
  const seen = new Set<string>();
  const walk = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    const st: Step = s.steps[n]!;
    if (st.next) walk(st.next);
    for (const to of Object.values(st.on ?? {})) walk(to);
  };
  walk(s.start);
  const lost = names.find((n) => !seen.has(n));
  if (lost) fail('SCRIPT_UNREACHABLE_STEP', `step "${lost}" can never be reached from "${s.start}"`, ['steps', lost]);
  if (![...seen].some((n) => s.steps[n]!.end)) fail('SCRIPT_INVALID', `no step reachable from "${s.start}" ends the call`, ['start']);
}

/** The nearest name by edit distance, if it is close enough to be a typo. */
function closest(word: string, names: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(word, name);
    if (d <= Math.max(2, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
