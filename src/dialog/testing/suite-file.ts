import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { closest, DISPOSITIONS, ScriptError, YamlFile, type CallingHours, type Slot } from '../../core/index.js';
import { loadScript } from '../load-script.js';
import { MAX_NAME } from '../schema-parts.js';
import type { Script } from '../script-schema.js';

/**
 * A suite of simulated callees for one dialog script (dialogs/tests/*.yaml): each case is a
 * persona, what it meets (free slots, operators), and what must come of the call. Read at the
 * edge with one schema; every problem is reported at once with file:line:col, as scripts are.
 *
 *   script: ../dispanserization-invite.yaml      # relative to the suite file
 *   now: 2026-12-07T09:00:00+03:00               # the fake clock's start
 *   slots: [2026-12-08T09:40:00+03:00, ...]      # the desk's free slots, offered in this order
 *   cases:
 *     agrees-second-slot:
 *       persona: { says: ["да, давайте", "второе"] }
 *       expect: { path: [greet, offer, ...], disposition: BOOKED, booked: 2, said: ["Записала вас"] }
 */

const utterance = z.string().max(500, 'at most 500 characters');
const spoken = utterance.refine((t) => t.trim().length > 0, 'must not be empty or blank');
const key = z.string().regex(/^[0-9*#]$/, 'a key is one of 0-9, * and #');
const time = z.iso.datetime({ offset: true, error: 'a date and time with its offset, e.g. 2026-12-08T09:40:00+03:00' }).transform((t) => new Date(t));
const stepRef = z.string().max(MAX_NAME).regex(/^[a-z][a-z0-9-]*$/, 'step names are lower-case words joined by "-"');
const steps = z.array(stepRef).min(1).max(200);

/** What the callee does when a listen opens (one turn per listen, in order). */
const Turn = z.union([
  z.strictObject({ say: spoken }),
  z.strictObject({ key }),
  z.strictObject({ silent: z.literal(true) }),
  z.strictObject({ hang_up: z.literal(true) }),
]);
export type Turn = z.infer<typeof Turn>;

const Persona = z.strictObject({
  /** one utterance per listen, in order; "" is silence at that listen */
  says: z.array(utterance).max(50).optional(),
  /** one key press per listen, in order */
  keys: z.array(key).max(50).optional(),
  /** a mix: {say}, {key}, {silent: true}, {hang_up: true}, one per listen */
  steps: z.array(Turn).max(50).optional(),
  /** talks over the robot's `prompt`-th utterance (1-based; default the first), `after_ms` into it */
  interrupts: z.union([
    spoken.transform((say) => ({ say, prompt: 1, after_ms: 1000 })),
    z.strictObject({ say: spoken, prompt: z.number().int().min(1).max(100).default(1), after_ms: z.number().int().min(0).max(60_000).default(1000) }),
  ]).optional(),
  /** hangs up once it has heard this many robot utterances to their end */
  hangs_up_after: z.number().int().min(1).max(100).optional(),
  /** what it does at listens once its turns run out */
  then: z.enum(['silent', 'hang_up']).default('silent'),
});

const Expect = z.strictObject({
  /** the steps the call went through (as its transcript shows them): exactly, as a prefix, or in order with others between */
  path: z.union([steps, z.strictObject({ prefix: steps }), z.strictObject({ in_order: steps })]).optional(),
  /** the disposition the script ended with; none: it ended with none (the callee hung up) */
  disposition: z.enum([...DISPOSITIONS, 'none']).optional(),
  /** which of the suite's slots (1-based) was booked, or none */
  booked: z.union([z.number().int().min(1).max(50), z.literal('none')]).optional(),
  /** texts the robot said, in this order (parts of its lines) */
  said: z.array(spoken).min(1).max(100).optional(),
  /** texts the robot never said: in the whole call, or from the first line of step `after` on */
  not_said: z.union([z.array(spoken).min(1).max(100), z.strictObject({ after: stepRef, texts: z.array(spoken).min(1).max(100) })]).optional(),
  /** the steps whose prompt the callee cut by talking over it (barge-in), in order; [] for none */
  barged_in: z.array(stepRef).max(100).optional(),
  ended_by: z.enum(['robot', 'callee']).optional(),
  /** the number was put on the do-not-call list (DialogDeps.onDoNotCall) */
  dnc: z.boolean().optional(),
  /** what became of the visit a reminder is about: kept as it was, confirmed, cancelled, or moved to the suite's slot n */
  visit: z.union([z.enum(['unchanged', 'confirmed', 'cancelled']), z.strictObject({ moved: z.number().int().min(1).max(50) })]).optional(),
  /** the call back the callee asked for, as set (with its offset; compared to the minute), or `none` */
  callback: z.union([time, z.literal('none')]).optional(),
});
export type Expect = z.infer<typeof Expect>;

const Operators = z.enum(['connected', 'unavailable']);

const Case = z.strictObject({
  persona: Persona.default({ then: 'silent' }),
  /** how the operator desk answers a handoff (default: the suite's) */
  operators: Operators.optional(),
  /** the suite's slots (1-based) someone else books first: booking one answers 'taken', and it is not offered again */
  taken: z.array(z.number().int().min(1).max(50)).max(50).default([]),
  /** the suite's visit was cancelled or moved by someone else before the call: the robot finds it gone */
  visit_gone: z.boolean().default(false),
  expect: Expect,
});

const caseName = z.string().max(MAX_NAME).regex(/^[a-z0-9][a-z0-9-]*$/, 'case names are lower-case words joined by "-"');

const SuiteSchema = z.strictObject({
  script: z.string().min(1).max(500),
  now: time.optional(),
  slots: z.array(time).max(50).optional(),
  operators: Operators.default('unavailable'),
  /** the booked visit a reminder call is about (the `visit` and `reschedule` verbs, {visit}) */
  visit: time.optional(),
  /** the callee's calling hours for a call back, local "HH:MM" (default: Monday to Friday 09:00-20:00, Saturday 10:00-17:00) */
  calling_hours: z.strictObject({
    weekdays: z.tuple([z.string(), z.string()]).nullable(),
    saturday: z.tuple([z.string(), z.string()]).nullable(),
    sunday: z.tuple([z.string(), z.string()]).nullable(),
  }).optional(),
  patient: z.strictObject({ first_name: spoken, middle_name: spoken.optional(), last_name: spoken }).optional(),
  clinic: z.strictObject({ name: spoken, time_zone: spoken.optional() }).optional(),
  cases: z.record(caseName, Case).refine((c) => Object.keys(c).length > 0, 'a suite has at least one case').refine((c) => Object.keys(c).length <= 200, 'at most 200 cases'),
});

export type Persona = z.infer<typeof Persona>;

export interface SuiteCase {
  name: string;
  persona: Persona;
  /** this case's turns, one per listen */
  turns: Turn[];
  operators: 'connected' | 'unavailable';
  taken: number[];
  visitGone: boolean;
  expect: Expect;
}

export interface Suite {
  file: string;
  scriptFile: string;
  script: Script;
  now: Date;
  /** the desk's free slots, in the order it offers them; ids are their 1-based places ("1", "2", ...) */
  slots: Slot[];
  /** the visit a reminder is about (id "visit") */
  visit: Slot | null;
  callingHours: CallingHours;
  patient: { firstName: string; middleName: string | null; lastName: string };
  clinic: { name: string; timeZone: string };
  cases: SuiteCase[];
  /** "file:line:col" of a value of the suite, for reports */
  at(path: (string | number)[]): string;
}

/** The steps a transcript can name beyond the script's own: the safe defaults' and the screening introduction (safety.ts, compile.ts). */
export const BUILTIN_STEPS = ['operator', 'wrong-person', 'stop-calling', 'screening'] as const;

const DEFAULT_NOW = '2026-12-07T09:00:00+03:00';

/**
 * Reads and checks a suite and the script it names. Throws ScriptError: the suite's problems with
 * their lines (a step not in the script, a slot index past the list, a persona with two turn
 * lists), or the script's own.
 */
export function loadSuite(file: string, text?: string | Uint8Array): Suite {
  const yaml = new YamlFile(file, text, { error: ScriptError, syntaxCode: 'SCRIPT_SYNTAX', maxAliases: 0 });
  const s = yaml.parse(SuiteSchema, 'SCRIPT_INVALID');
  const scriptFile = isAbsolute(s.script) ? s.script : join(dirname(file), s.script);
  if (!existsSync(scriptFile)) yaml.fail('CONFIG_NOT_FOUND', `script: ${scriptFile} does not exist`, ['script'], 'name the dialog script relative to the suite file');
  const script = loadScript(scriptFile);
  const now = s.now ?? new Date(DEFAULT_NOW);
  // without slots: three, 20 minutes apart, a day after `now`
  const starts = s.slots ?? [0, 20, 40].map((m) => new Date(now.getTime() + 86_400_000 + m * 60_000));
  const slots: Slot[] = starts.map((startsAt, i) => ({
    id: String(i + 1), resource: 'test', specialty: 'test', startsAt, endsAt: new Date(startsAt.getTime() + 20 * 60_000),
  }));
  const names = [...Object.keys(script.steps), ...BUILTIN_STEPS];
  const step = (n: string, path: (string | number)[]) => {
    if (names.includes(n)) return;
    const near = closest(n, names);
    yaml.problem('SCRIPT_INVALID', `"${n}" is not a step of ${scriptFile}.${near ? ` Did you mean "${near}"?` : ''}`, path);
  };
  const slot = (i: number, path: (string | number)[]) => {
    if (i > slots.length) yaml.problem('SCRIPT_INVALID', `slot ${i}, but the suite has ${slots.length} slots`, path);
  };
  const cases: SuiteCase[] = [];
  for (const [name, c] of Object.entries(s.cases)) {
    const at = ['cases', name];
    const p = c.persona;
    const lists = (['says', 'keys', 'steps'] as const).filter((k) => p[k] !== undefined);
    if (lists.length > 1) yaml.problem('SCRIPT_INVALID', `persona has ${lists.join(' and ')}; give one list of turns (steps: mixes them)`, [...at, 'persona', lists[1]!]);
    const path = c.expect.path;
    const pathSteps = path === undefined ? [] : Array.isArray(path) ? path : 'prefix' in path ? path.prefix : path.in_order;
    const pathAt = path === undefined || Array.isArray(path) ? [...at, 'expect', 'path'] : [...at, 'expect', 'path', 'prefix' in path ? 'prefix' : 'in_order'];
    pathSteps.forEach((n, i) => step(n, [...pathAt, i]));
    const ns = c.expect.not_said;
    if (ns && !Array.isArray(ns)) step(ns.after, [...at, 'expect', 'not_said', 'after']);
    c.expect.barged_in?.forEach((n, i) => step(n, [...at, 'expect', 'barged_in', i]));
    if (typeof c.expect.booked === 'number') slot(c.expect.booked, [...at, 'expect', 'booked']);
    c.taken.forEach((i, k) => slot(i, [...at, 'taken', k]));
    const v = c.expect.visit;
    if (typeof v === 'object') slot(v.moved, [...at, 'expect', 'visit', 'moved']);
    if ((v !== undefined || c.visit_gone) && !s.visit) yaml.problem('SCRIPT_INVALID', 'the suite has no `visit` for this case to be about', [...at, v !== undefined ? 'expect' : 'visit_gone']);
    cases.push({ name, persona: p, turns: turnsOf(p), operators: c.operators ?? s.operators, taken: c.taken, visitGone: c.visit_gone, expect: c.expect });
  }
  yaml.throwIfProblems();
  const who = script.language.startsWith('ru') ? { first: 'Анна', middle: 'Петровна', last: 'Иванова', clinic: 'поликлиника' } : { first: 'Anna', middle: null, last: 'Ivanova', clinic: 'the City Clinic' };
  return {
    file, scriptFile, script, now, slots, cases,
    visit: s.visit ? { id: 'visit', resource: 'test', specialty: 'test', startsAt: s.visit, endsAt: new Date(s.visit.getTime() + 20 * 60_000) } : null,
    callingHours: s.calling_hours ?? { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null },
    patient: { firstName: s.patient?.first_name ?? who.first, middleName: s.patient ? (s.patient.middle_name ?? null) : who.middle, lastName: s.patient?.last_name ?? who.last },
    clinic: { name: s.clinic?.name ?? who.clinic, timeZone: s.clinic?.time_zone ?? 'Europe/Moscow' },
    at: (path) => {
      const { line, col } = yaml.position(path);
      return `${file}:${line}:${col}`;
    },
  };
}

function turnsOf(p: Persona): Turn[] {
  if (p.steps) return p.steps;
  if (p.keys) return p.keys.map((key) => ({ key }));
  return (p.says ?? []).map((t) => (t.trim() ? { say: t } : { silent: true as const }));
}
