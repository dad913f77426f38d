import type { Lexicon } from './lexicon.js';
import { tokenize, type Token } from './tokens.js';

/**
 * The lexicons' pattern notation, one phrase per string:
 *   word      the word in any form: compared by stem ("звоните" matches "звонить", "звоню")
 *   word*     any word starting so ("перезвон*" matches "перезвоните", "перезвоньте")
 *   =word     exactly this word ("=прошла", not "прошлом")
 *   a|b*|=c   any of these at this place
 *   ...       up to three other words ("не ... звон" matches "не надо мне звонить")
 *   ^ at the start: the phrase must be all that was said ("^что" is repeat; "что за клиника" is not)
 *   @2.5 at the start: the pattern's strength, overriding its intent's (see matcher.ts)
 */
type Alt = { kind: 'stem' | 'prefix' | 'exact'; v: string };
type Elem = { gap: number } | { alts: Alt[] };

export interface Pattern { source: string; elems: Elem[]; whole: boolean; strength: number | null }
export interface Span { start: number; end: number }

const GAP = 3;

export function compilePattern(source: string, lex: Lexicon): Pattern {
  let rest = source.trim();
  let strength: number | null = null;
  const m = /^@(\d+(?:\.\d+)?)\s+/.exec(rest);
  if (m) { strength = Number(m[1]); rest = rest.slice(m[0].length); }
  const whole = rest.startsWith('^');
  if (whole) rest = rest.slice(1);
  const elems: Elem[] = rest.split(/\s+/).filter(Boolean).map((part) => {
    if (part === '...') return { gap: GAP };
    return { alts: part.split('|').map((a) => compileAlt(a, lex, source)) };
  });
  if (!elems.some((e) => 'alts' in e)) throw new Error(`intent pattern "${source}" has no words`);
  return { source, elems, whole, strength };
}

function compileAlt(a: string, lex: Lexicon, source: string): Alt {
  const word = a.toLowerCase().replace(/ё/g, 'е');
  if (word.endsWith('*')) return { kind: 'prefix', v: word.slice(0, -1) };
  if (word.startsWith('=')) return { kind: 'exact', v: word.slice(1) };
  const t = tokenize(word, lex);
  // a filler ("алло") is only kept when it is all that was said, so it belongs in a ^ pattern
  if (t.length !== 1) throw new Error(`intent pattern "${source}": "${a}" is not one word`);
  return { kind: 'stem', v: t[0]!.s };
}

/** A script's phrase: its words in order, each compared by stem (numbers by value). */
export function phrasePattern(phrase: string, lex: Lexicon): Pattern | null {
  const toks = tokenize(phrase, lex);
  if (!toks.length) return null;
  return { source: phrase, elems: toks.map((t) => ({ alts: [{ kind: 'stem', v: t.s }] })), whole: false, strength: null };
}

function altMatches(a: Alt, t: Token): boolean {
  if (a.kind === 'stem') return t.s === a.v;
  if (a.kind === 'exact') return t.w === a.v;
  return t.w.startsWith(a.v);
}

function endAt(p: Pattern, toks: readonly Token[], e: number, i: number): number {
  if (e === p.elems.length) return !p.whole || i === toks.length ? i : -1;
  const el = p.elems[e]!;
  if ('gap' in el) {
    for (let k = 0; k <= el.gap && i + k <= toks.length; k++) {
      const r = endAt(p, toks, e + 1, i + k);
      if (r >= 0) return r;
    }
    return -1;
  }
  const t = toks[i];
  if (!t || !el.alts.some((a) => altMatches(a, t))) return -1;
  return endAt(p, toks, e + 1, i + 1);
}

/** Every place the pattern matches, shortest match at each start. */
export function findSpans(p: Pattern, toks: readonly Token[]): Span[] {
  const spans: Span[] = [];
  const last = p.whole ? 0 : toks.length - 1;
  for (let i = 0; i <= last; i++) {
    const end = endAt(p, toks, 0, i);
    if (end > i) spans.push({ start: i, end });
  }
  return spans;
}
