import type { BuiltinIntent } from './api.js';

/**
 * What the matcher needs to know about one language. Patterns are written in a small notation
 * (pattern.ts) so that the data reads like the phrases people say.
 */
export interface Lexicon {
  /** the language's stemmer (Snowball, through @orama/stemmers) */
  stem(word: string): string;
  /** clipped and colloquial spellings and ASR's habits, mapped to the dictionary word */
  spelling: Readonly<Record<string, string>>;
  /** words that carry nothing on the phone ("ну", "э-э", "слушайте"); dropped before matching */
  fillers: ReadonlySet<string>;
  /** cardinal number words and their values; tens and units add up ("сорок пять" = 45) */
  cardinals: Readonly<Record<string, number>>;
  /** ordinal stems and their value, for slot choice ("второй" = 2) */
  ordinals: Readonly<Record<string, number>>;
  /** weekday stems, ISO numbers (Monday = 1) */
  weekdays: Readonly<Record<string, number>>;
  /** "полдесятого" = 9:30; whole words mapped to a clock time */
  clockWords: Readonly<Record<string, string>>;
  /** words that, before a bare hour, say it is one ("в", "на", "at") */
  hourMarkers: ReadonlySet<string>;
  /** words that, before a bare number, make it an ordinal ("вариант два", "option two") */
  optionMarkers: ReadonlySet<string>;
  /**
   * Answers that are neither: a question back ("а сколько стоит?" holds "можно"-free yes-words
   * often enough), a doubt ("не знаю"). When one of these outweighs every intent the answer is none.
   */
  unsure: readonly string[];
  /** the built-in intents' patterns */
  patterns: Readonly<Record<BuiltinIntent, readonly string[]>>;
}

/**
 * A stemmer that remembers: Snowball costs a few µs a word, and at 250 calls every answer's words
 * were stemmed afresh (perf: 1.7% of the process) while callees say the same few hundred words.
 * It forgets all once it holds CACHED_STEMS words.
 */
const CACHED_STEMS = 20_000;

export function cachedStemmer(stem: (word: string) => string): (word: string) => string {
  const cache = new Map<string, string>();
  return (word) => {
    let s = cache.get(word);
    if (s === undefined) {
      if (cache.size >= CACHED_STEMS) cache.clear();
      s = stem(word);
      cache.set(word, s);
    }
    return s;
  };
}

/**
 * A table keyed by stem, from words in their dictionary form: the nth word gets n, and `more`
 * adds words with their own values. Stemming here keeps the table in step with the stemmer.
 */
export function byStemWith(stem: (w: string) => string) {
  return (words: readonly string[], more: Readonly<Record<string, number>> = {}): Record<string, number> =>
    Object.fromEntries([...words.map((w, i) => [stem(w), i + 1] as const), ...Object.entries(more).map(([w, v]) => [stem(w), v] as const)]);
}
