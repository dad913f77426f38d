import { SAFETY_ENDS, SAFETY_STATES } from './safety.js';
import type { Script, Step } from './script-schema.js';
import { VERBS, type AnyVerb } from './verbs/index.js';

/**
 * A script as a picture's data: boxes and labelled arrows, drawn by diagram.ts as Mermaid or
 * SVG. Everything about a step comes from the verb registry (verbs/), so a new verb is drawn
 * without a change here:
 *   - a step's box: its name, its verb (with a scalar argument: `end: DNC`, `book: 1`) and the
 *     start of its prompt;
 *   - an arrow per `on` outcome (`otherwise` too), per target the verb moves to by itself (`next`,
 *     and an extra of the verb that routes with `then`, labelled by its key: `no_input` ->
 *     "no input ×2", the count being the times it is heard before the move, retries + 1);
 *   - a listen step hears "repeat" (unless it routes it) and says its prompt again: a self-loop;
 *   - the safe defaults heard at every listen step (safety.ts), in a group of their own, reached
 *     from one "any listen step" box by dashed arrows, rather than an arrow from every listen step;
 *   - who answers: a person (the start), a screening assistant (its text, then the start again),
 *     a mailbox (the voicemail message).
 */

export type NodeKind = 'entry' | 'step' | 'listen' | 'end' | 'text' | 'safety';

export interface DiagramNode {
  /** unique within the diagram: `step:<name>`, `safety:<intent>`, ... */
  readonly id: string;
  readonly kind: NodeKind;
  /** the side group the node is drawn in (the safe defaults), or the main flow */
  readonly group: 'main' | 'safety';
  /** the first line: the step's name */
  readonly title: string;
  readonly lines: readonly string[];
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  /** the outcomes that take this arrow, joined with ", " where several go the same way */
  readonly label: string;
  readonly dashed: boolean;
}

export interface Diagram {
  readonly title: string;
  readonly start: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/** How much of a prompt a box shows. */
export const PROMPT_CHARS = 40;

export const stepId = (name: string) => `step:${name}`;
const ENTRY = 'entry';
const ANY_LISTEN = 'safety:any-listen';

/** The start of a text, on one line, cut at `max` characters. */
export function shorten(text: string, max = PROMPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return [...flat].length <= max ? flat : `${[...flat].slice(0, max - 1).join('').trimEnd()}…`;
}

const verbOf = (step: Step): AnyVerb | undefined => VERBS.find((v) => step[v.key] !== undefined);

/** The verb as a box says it: `end: DNC`, `slots (count 2, specialty therapist)`, `listen`. */
function verbLine(verb: AnyVerb, step: Step): string {
  const args = step[verb.key];
  if (typeof args === 'string' || typeof args === 'number' || typeof args === 'boolean') return `${verb.key}: ${String(args)}`;
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    const entries = Object.entries(args);
    if (entries.length > 0 && entries.length <= 3 && entries.every(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))) {
      return `${verb.key} (${entries.map(([k, v]) => `${k} ${String(v)}`).join(', ')})`;
    }
  }
  return verb.key;
}

/**
 * What a verb's own targets are called on their arrows, in the order the verb gives them: the
 * extra that names one as `then` (`no_input: {retries: 1, then: bye}` -> "no input ×2"), else
 * the verb's key (`next`).
 */
function targetLabels(verb: AnyVerb, name: string, step: Step): [to: string, label: string][] {
  const routes = Object.keys(verb.extras).flatMap((key) => {
    const x = step[key] as { then?: unknown; retries?: unknown } | undefined;
    if (!x || typeof x !== 'object' || typeof x.then !== 'string') return [];
    const label = key.replace(/_/g, ' ');
    return [{ to: x.then, label: typeof x.retries === 'number' ? `${label} ×${x.retries + 1}` : label }];
  });
  return verb.targets(name, step).map((to) => {
    const k = routes.findIndex((r) => r.to === to);
    return [to, k < 0 ? verb.key : routes.splice(k, 1)[0]!.label];
  });
}

/** The diagram of a checked script (loadScript). */
export function scriptDiagram(script: Script): Diagram {
  const nodes: DiagramNode[] = [];
  const edges = new Map<string, { from: string; to: string; labels: string[]; dashed: boolean }>();
  const edge = (from: string, to: string, label: string, dashed = false) => {
    const key = `${from}\u0000${to}\u0000${dashed}`;
    const e = edges.get(key);
    if (e) {
      if (!e.labels.includes(label)) e.labels.push(label);
    } else edges.set(key, { from, to, labels: [label], dashed });
  };
  const has = (n: string) => Object.hasOwn(script.steps, n);
  const start = stepId(script.start);

  nodes.push({ id: ENTRY, kind: 'entry', group: 'main', title: 'call answered', lines: [] });
  edge(ENTRY, start, 'a person');
  if (script.screening) {
    nodes.push({ id: 'screening', kind: 'text', group: 'main', title: 'screening assistant', lines: [`«${shorten(script.screening.say)}»`] });
    edge(ENTRY, 'screening', 'an assistant');
    edge('screening', start, 'start again', true);
  }
  if (script.voicemail) {
    nodes.push({ id: 'voicemail', kind: 'text', group: 'main', title: 'voicemail', lines: [`«${shorten(script.voicemail.message)}»`, 'end: VOICEMAIL_LEFT'] });
    edge(ENTRY, 'voicemail', 'a mailbox');
  }

  let listens = 0;
  for (const [name, step] of Object.entries(script.steps)) {
    const id = stepId(name);
    const verb = verbOf(step);
    const lines = [verb ? verbLine(verb, step) : '(no verb)', ...(step.say === undefined ? [] : [`«${shorten(step.say)}»`])];
    const kind: NodeKind = verb?.ends ? 'end' : verb?.listens ? 'listen' : 'step';
    nodes.push({ id, kind, group: 'main', title: name, lines });
    if (!verb) continue;
    const on = step.on ?? {};
    for (const [to, label] of targetLabels(verb, name, step)) if (has(to)) edge(id, stepId(to), label);
    for (const [outcome, to] of Object.entries(on)) if (outcome !== 'otherwise' && has(to)) edge(id, stepId(to), outcome);
    if (Object.hasOwn(on, 'otherwise') && has(on.otherwise!)) edge(id, stepId(on.otherwise!), 'otherwise');
    if (verb.listens) {
      listens++;
      if (!Object.hasOwn(on, 'repeat')) edge(id, id, 'repeat');
    }
  }

  const inForce = (Object.keys(SAFETY_STATES) as (keyof typeof SAFETY_STATES)[]).filter((i) => !script.safety[i]?.off);
  if (listens > 0 && inForce.length > 0) {
    nodes.push({ id: ANY_LISTEN, kind: 'listen', group: 'safety', title: 'any listen step', lines: ['(unless it routes the intent itself)'] });
    for (const intent of inForce) {
      const own = script.safety[intent] as { say?: string; queue?: string; step?: string } | undefined;
      // the operator default sent to the script's own step: an arrow there, not a node of its own
      if (own?.step && has(own.step)) {
        edge(ANY_LISTEN, stepId(own.step), intent, true);
        continue;
      }
      const ends = Object.entries(SAFETY_ENDS[intent]);
      const how = ends.length === 1 ? `end: ${ends[0]![1]}` : `handoff${own?.queue ? ` (queue ${own.queue})` : ''}: ${ends.map(([, d]) => d).join(' or ')}`;
      const id = `safety:${intent}`;
      nodes.push({ id, kind: 'safety', group: 'safety', title: `${intent.replace(/_/g, ' ')} (safe default)`, lines: [how, ...(own?.say ? [`«${shorten(own.say)}»`] : [])] });
      edge(ANY_LISTEN, id, intent, true);
    }
  }

  return {
    title: `${script.id} v${script.version} (${script.language})`,
    start,
    nodes,
    edges: [...edges.values()].map((e) => ({ from: e.from, to: e.to, label: e.labels.join(', '), dashed: e.dashed })),
  };
}
