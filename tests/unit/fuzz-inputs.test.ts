import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError, ScriptError, ZvonarError } from '../../src/core/index.js';
import { compileScript, loadScript } from '../../src/dialog/index.js';
import { seededRandom } from '../support/random.js';

/**
 * Issue 7, "Bad input": whatever a supervisor saves as a dialog script or a configuration, the
 * loader either accepts it or throws a ZvonarError whose describe() is one
 * `file:line:col: message [CODE]` line per problem — never another error, never a stack, and
 * within a bounded time. The inputs are the shipped files mutated by a fixed-seed generator, so
 * a failure names a case that can be replayed. FUZZ_SHOW=1 prints every case and what it got.
 */
const PROBLEM_LINE = /^.+:\d+:\d+: .+ \[[A-Z_]+\]$/;
const CASES_PER_FILE = 100;
/** Per case; generous for a shared 2-core machine. The biggest input parsed (just under 512 KB) takes about 2 s there. */
const MAX_MS = 5_000;


type Input = string | Uint8Array;
type Mutation = (text: string, r: Rand) => Input;

class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const lines = (t: string) => t.split('\n');
const at = (t: string, r: Rand) => r.int(t.length + 1);
const insert = (t: string, i: number, s: string) => t.slice(0, i) + s + t.slice(i);
const CONTROL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\ufffd', '\ufeff', '\u2028'];
const YAML_SPECIAL = ['{', '}', '[', ']', ':', '&', '*', '!', '|', '>', "'", '"', '#', '%', '@', ',', '-', '?', '\t', ' ', '\n', '\\'];
const RESERVED = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'ended', 'failed', 'stopped', 'otherwise', 'silence'];

/** Windows-1251 bytes of the text: Cyrillic letters to their code page bytes, anything else non-ASCII to "?". */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from([...text].map((c) => {
    const code = c.codePointAt(0)!;
    if (code < 0x80) return code;
    if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
    if (code === 0x401) return 0xa8;
    if (code === 0x451) return 0xb8;
    return 0x3f;
  }));
}

const MUTATIONS: Record<string, Mutation> = {
  'delete a line': (t, r) => {
    const ls = lines(t);
    ls.splice(r.int(ls.length), 1);
    return ls.join('\n');
  },
  'duplicate a line': (t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls.splice(i, 0, ls[i]!);
    return ls.join('\n');
  },
  'swap two lines': (t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    const j = r.int(ls.length);
    [ls[i], ls[j]] = [ls[j]!, ls[i]!];
    return ls.join('\n');
  },
  'swap two characters': (t, r) => {
    const i = r.int(Math.max(1, t.length - 1));
    return t.slice(0, i) + t.charAt(i + 1) + t.charAt(i) + t.slice(i + 2);
  },
  'insert a YAML character': (t, r) => insert(t, at(t, r), r.pick(YAML_SPECIAL)),
  'replace a character': (t, r) => {
    const i = r.int(t.length);
    return t.slice(0, i) + r.pick(YAML_SPECIAL) + t.slice(i + 1);
  },
  'insert a control character': (t, r) => insert(t, at(t, r), r.pick(CONTROL)),
  'insert NUL into a quoted value': (t, r) => {
    const quotes = [...t.matchAll(/"[^"\n]{2,}"/g)];
    if (!quotes.length) return insert(t, at(t, r), '\u0000');
    const m = r.pick(quotes);
    return insert(t, m.index! + 1 + r.int(m[0].length - 2), r.pick(['\u0000', '\\0', '\\x01', '\\u001b', '\\x7f']));
  },
  'insert a huge string': (t, r) => {
    const n = r.pick([5_000, 40_000, 100_000, 1_500_000]);
    const ls = lines(t);
    const i = r.int(ls.length);
    ls[i] = `${ls[i]} ${r.pick(['я', 'a', 'ab '])!.repeat(Math.ceil(n / 2))}`;
    return ls.join('\n');
  },
  'replace a value with a huge string': (t, r) => {
    const values = [...t.matchAll(/^(\s*[\w-]+: )(.+)$/gm)];
    if (!values.length) return t;
    const m = r.pick(values);
    return t.replace(m[0], `${m[1]}"${'ш'.repeat(r.pick([2_000, 1_100, 100_000]))}"`);
  },
  'append an alias bomb': (t, r) => {
    const n = r.pick([3, 30, 125, 1_000]);
    return `${t}\nbomb-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nbomb-b: &b [${Array(9).fill('*a').join(', ')}]\nbomb-c: [${Array(n).fill('*b').join(', ')}]\n`;
  },
  'alias a value': (t, r) => {
    const values = [...t.matchAll(/^(\s*[\w-]+: )([^\n&*]+)$/gm)];
    if (values.length < 2) return t;
    const a = r.pick(values);
    const b = r.pick(values);
    return t.replace(a[0], `${a[1]}&x ${a[2]}`).replace(b[0], `${b[1]}*x`);
  },
  'append an alias to its own value': (t, r) => `${t}\n${r.pick(['loop: &l [a, *l]', 'loop: &l {a: {b: *l}}', 'early: *e\nlate: &e x'])}\n`,
  'rename a key to a reserved name': (t, r) => {
    const keys = [...t.matchAll(/^(\s*)([\w-]+):/gm)];
    if (!keys.length) return t;
    const m = r.pick(keys);
    const name = r.pick(RESERVED);
    // the step's targets too, so the name is the only thing wrong
    return t.replace(m[0], `${m[1]}${name}:`).replace(new RegExp(`: ${m[2]}$`, 'gm'), `: ${name}`);
  },
  'break a placeholder': (t, r) => {
    const ps = [...t.matchAll(/\{[a-z_.0-9]+\}/g)];
    if (!ps.length) return insert(t, at(t, r), r.pick(['{', '}']));
    const m = r.pick(ps);
    const broken = r.pick([m[0].slice(0, -1), '{}', `{ ${m[0].slice(1, -1)} }`, `{${m[0].slice(1, 3)}\u0001${m[0].slice(3)}`, `${m[0].slice(1)}`, '{patient.firstname}', '{{x}}']);
    return t.replace(m[0], broken);
  },
  'change a number': (t, r) => {
    const ns = [...t.matchAll(/(?<=: )\d+/g)];
    if (!ns.length) return t;
    const m = r.pick(ns);
    return t.slice(0, m.index) + r.pick(['-1', '0', '3', '1e309', '.nan', '.inf', '99999999999999999999', '1.5', '0x10', '"5"']) + t.slice(m.index! + m[0].length);
  },
  'indent a line': (t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls[i] = r.next() < 0.5 ? `  ${ls[i]}` : ls[i]!.replace(/^ {1,2}/, '');
    return ls.join('\n');
  },
  'point a step at itself': (t, r) => {
    const steps = [...t.matchAll(/^ {2}([a-z][a-z0-9-]*):$/gm)];
    const targets = [...t.matchAll(/^( {4,6}(?:next|[a-z_]+): )([a-z][a-z0-9-]*)$/gm)];
    if (!steps.length || !targets.length) return t;
    const m = r.pick(targets);
    return t.replace(m[0], `${m[1]}${r.pick(steps)[1]}`);
  },
  'raise a book index': (t, r) => t.replace(/book: \d/g, () => `book: ${1 + r.int(5)}`),
  're-encode as Windows-1251': (t) => cp1251(t),
  'truncate the bytes': (t, r) => {
    const b = Buffer.from(t, 'utf8');
    return b.subarray(0, r.int(b.length));
  },
  'empty or blank': (_, r) => r.pick(['', '\r', '\r\r\r', '\n\n', '   ', '\ufeff', '---', '...', '~', '[]', '"x"', '- a']),
  'UTF-16 without a mark': (t) => Buffer.from(t, 'utf16le'),
  'deeply nested': (_, r) => r.pick(['[', '{a: ', '- ']).repeat(r.pick([500, 5_000])),
};
const NAMES = Object.keys(MUTATIONS);

/** Applies one to three mutations; byte mutations end the chain. */
function mutate(text: string, r: Rand): { input: Input; steps: string[] } {
  const steps: string[] = [];
  let input: Input = text;
  for (let k = 0, n = 1 + r.int(3); k < n && typeof input === 'string'; k++) {
    const name = r.pick(NAMES);
    steps.push(name);
    input = MUTATIONS[name]!(input, r);
  }
  return { input, steps };
}

interface Outcome {
  accepted: number;
  codes: Map<string, number>;
  slowest: { ms: number; steps: string[] };
}

function fuzz(file: string, seed: number, load: (input: Input) => unknown, ErrClass: typeof ZvonarError): Outcome {
  const text = readFileSync(file, 'utf8');
  const r = new Rand(seededRandom(seed));
  const out: Outcome = { accepted: 0, codes: new Map(), slowest: { ms: 0, steps: [] } };
  for (let i = 0; i < CASES_PER_FILE; i++) {
    const { input, steps } = mutate(text, r);
    const label = `${file} case ${i} (seed ${seed}): ${steps.join(', ')}`;
    const t0 = performance.now();
    let thrown: unknown;
    try {
      load(input);
      out.accepted++;
    } catch (e) {
      thrown = e;
    }
    const ms = performance.now() - t0;
    if (ms > out.slowest.ms) out.slowest = { ms: Math.round(ms), steps };
    expect(ms, label).toBeLessThan(MAX_MS);
    if (thrown === undefined) {
      if (process.env.FUZZ_SHOW) {
        const orig = new Set(lines(text));
        const changed = typeof input === 'string' ? lines(input).filter((l) => !orig.has(l)).slice(0, 3).map((l) => JSON.stringify(l.slice(0, 120))) : ['(bytes)'];
        console.log(`${label}\n  ACCEPTED ${changed.join(' | ')}`);
      }
      continue;
    }
    if (!(thrown instanceof ErrClass)) throw new Error(`${label}: threw ${(thrown as Error)?.stack ?? String(thrown)}`);
    const described = (thrown as ZvonarError).describe();
    for (const line of described.split('\n')) expect(line, label).toMatch(PROBLEM_LINE);
    expect(described.split('\n')[0]!.endsWith(`[${(thrown as ZvonarError).code}]`), label).toBe(true);
    out.codes.set((thrown as ZvonarError).code, (out.codes.get((thrown as ZvonarError).code) ?? 0) + 1);
    if (process.env.FUZZ_SHOW) console.log(`${label}\n  ${described.split('\n').slice(0, 3).join('\n  ').slice(0, 600)}`);
  }
  if (process.env.FUZZ_SHOW) console.log(file, out);
  return out;
}

describe('fuzzed dialog scripts and configurations', () => {
  const dialogs = readdirSync('dialogs').filter((f) => f.endsWith('.yaml'));
  const dialogCodes = new Set<string>();
  dialogs.forEach((f, k) => {
    it(`loadScript() accepts or reports with coded one-liners ${CASES_PER_FILE} mutations of dialogs/${f}`, () => {
      const out = fuzz(`dialogs/${f}`, 7_001 + k, (input) => compileScript(loadScript(`dialogs/${f}`, input)), ScriptError);
      // the generator must actually break things: most cases are refused, under several codes
      // (which ones a file's 100 cases hit depends on its text; across the dialogs, at least four)
      expect(out.codes.size).toBeGreaterThanOrEqual(2);
      expect(out.accepted).toBeLessThan(CASES_PER_FILE / 2);
      for (const code of out.codes.keys()) dialogCodes.add(code);
    });
  });

  it('the dialogs\' mutations were refused under at least four codes in all', () => {
    expect([...dialogCodes].length, [...dialogCodes].join(', ')).toBeGreaterThanOrEqual(4);
  });

  it(`loadConfig() accepts or reports with coded one-liners ${CASES_PER_FILE} mutations of config/default.yaml`, () => {
    const out = fuzz('config/default.yaml', 7_101, (input) => loadConfig('config/default.yaml', {}, input), ConfigError);
    expect(out.codes.get('CONFIG_INVALID')).toBeGreaterThan(CASES_PER_FILE / 3);
  });
});
