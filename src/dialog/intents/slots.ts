import type { Lexicon } from './lexicon.js';
import type { Span } from './pattern.js';
import type { Token } from './tokens.js';

export interface Choice extends Span { slots: Record<string, string | number> }

/** Clinics see patients by day: a bare hour below 8 is afternoon ("в два" = 14:00). */
const FIRST_MORNING_HOUR = 8;

const hhmm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

/**
 * What the callee chose among the offered slots: an ordinal ("второй", "вариант два", a lone
 * "1"), a weekday ("во вторник") and/or a clock time ("девять сорок", "9:40", "в десять",
 * "полдесятого"). Null when nothing was named.
 */
export function findChoice(toks: readonly Token[], lex: Lexicon): Choice | null {
  const slots: Record<string, string | number> = {};
  let start = Infinity;
  let end = -1;
  const mark = (i: number, j: number) => { start = Math.min(start, i); end = Math.max(end, j); };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    const clock = lex.clockWords[t.w];
    if (clock && slots.time === undefined) { slots.time = clock; mark(i, i + 1); continue; }
    if (t.n !== undefined) {
      const m = next?.n;
      if (t.n <= 23 && m !== undefined && m < 60 && (m >= 10 || next!.w.length === 2)) {
        slots.time ??= hhmm(t.n, m); mark(i, i + 2); i++; continue;
      }
      if (prev && lex.hourMarkers.has(prev.w) && t.n >= 1 && t.n <= 23) {
        const h = t.n < FIRST_MORNING_HOUR ? t.n + 12 : t.n;
        slots.time ??= hhmm(h, 0); mark(i - 1, i + 1); continue;
      }
      if (t.n >= 1 && t.n <= 9 && ((prev && lex.optionMarkers.has(prev.s)) || toks.length === 1)) {
        slots.ordinal ??= t.n; mark(prev && lex.optionMarkers.has(prev.s) ? i - 1 : i, i + 1); continue;
      }
      continue;
    }
    const ord = lex.ordinals[t.s];
    if (ord !== undefined) {
      // "пол десятого": half past nine
      if (prev?.w === 'пол' && ord > 1 && ord <= 24) { slots.time ??= hhmm(ord - 1, 30); mark(i - 1, i + 1); continue; }
      slots.ordinal ??= ord; mark(i, i + 1); continue;
    }
    const day = lex.weekdays[t.s];
    if (day !== undefined) { slots.weekday ??= day; mark(i, i + 1); }
  }
  return end < 0 ? null : { start, end, slots };
}
