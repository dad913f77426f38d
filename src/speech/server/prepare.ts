import type { Pronunciation } from '../pronunciation.js';
import { parseSsml, type Segment } from './ssml.js';
import { normalizeText } from './text.js';

/** Turns a request's text into segments for a natural voice: SSML parsed, words for numbers and dates, the dictionaries' pronunciations. */
export type PrepareText = (text: string, o: { ssml: boolean; language: string; rate: number }) => Segment[];

/**
 * SSML (when the request says so) -> segments; each text segment has its numbers, dates, times
 * and phone numbers written out (text.ts) and the server's pronunciation dictionaries for its
 * language applied. Stress marks ('+' before a vowel) are left for the voice engine to convert.
 * Throws (SSML_INVALID, an unsupported language) with a message naming what is wrong.
 */
export function textPreparer(dictionaries: readonly Pronunciation[] = []): PrepareText {
  return (text, o) => {
    const segments = o.ssml ? parseSsml(text, o.language) : [{ text, rate: 1 }];
    const dicts = dictionaries.filter((d) => d.appliesTo(o.language));
    return segments.map((s) => {
      if ('breakMs' in s) return s;
      let t = normalizeText(s.text, o.language);
      for (const d of dicts) t = d.apply(t);
      return { text: t, rate: s.rate * o.rate };
    });
  };
}
