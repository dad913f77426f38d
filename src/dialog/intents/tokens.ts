import type { Lexicon } from './lexicon.js';

/** One word as the matcher sees it: w normalised (lower case, е for ё), s its stem; n when it is a number. */
export interface Token { w: string; s: string; n?: number }

/**
 * Text to tokens: case, ё/е, punctuation and hyphens go; colloquial spellings become the dictionary
 * word; number words become numbers ("сорок пять" = 45, "ноль пять" = 05); fillers go unless nothing else was said
 * ("алло?" alone still means something); a word repeated at once counts once ("да да да").
 */
export function tokenize(text: string, lex: Lexicon): Token[] {
  const flat = text
    .toLowerCase()
    .replace(/ё/g, 'е')
    // a clock time: "9:40", "9.40" -> two numbers, which slots.ts reads as a time
    .replace(/(\d{1,2})[:.](\d{2})(?!\d)/g, ' $1 $2 ')
    // "не-а" is one word (a clipped "no"); other hyphens just join words
    .replace(/(^|[^\p{L}])не-а(?!\p{L})/gu, '$1неа');
  const words = flat.split(/[^\p{L}\p{N}]+/u).filter(Boolean).map((w) => lex.spelling[w] ?? w);
  const all: Token[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (/^\d+$/.test(w)) { all.push({ w, s: w, n: Number(w) }); continue; }
    const v = lex.cardinals[w];
    const next = words[i + 1];
    const unit = next === undefined ? undefined : lex.cardinals[next];
    // a filler that is also a number ("oh") is one only before a unit: "ten oh five"
    if (v !== undefined && !(lex.fillers.has(w) && !(v === 0 && unit !== undefined && unit > 0 && unit < 10))) {
      // "сорок пять": tens then a unit add up; "девять сорок" stays two numbers (a time)
      if (unit !== undefined && v >= 20 && v % 10 === 0 && unit > 0 && unit < 10) {
        all.push({ w: String(v + unit), s: String(v + unit), n: v + unit });
        i++;
      } else if (unit !== undefined && v === 0 && unit > 0 && unit < 10) {
        // "девять ноль пять": minutes said as "ноль пять" are 05
        all.push({ w: `0${unit}`, s: `0${unit}`, n: unit });
        i++;
      } else all.push({ w: String(v), s: String(v), n: v });
      continue;
    }
    // a phrase may spell out several words ("щас" -> "сейчас", "ща" -> "сейчас")
    for (const part of w.split(' ')) all.push({ w: part, s: lex.stem(part) });
  }
  const content = all.filter((t) => !lex.fillers.has(t.w));
  const kept = content.length ? content : all;
  return kept.filter((t, i) => i === 0 || t.w !== kept[i - 1]!.w);
}
