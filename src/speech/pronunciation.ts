import { z } from 'zod';
import { SpeechError, YamlFile, spokenLanguage } from '../core/index.js';
import type { Tts } from './ports.js';

/**
 * A campaign's pronunciation dictionary: words the voices say wrongly (surnames, street names,
 * abbreviations), each with what to say instead. Replacement is of whole words, case-insensitive,
 * before synthesis, the longest entry first.
 *
 * ```yaml
 * language: ru-RU
 * words:
 *   Дьяченко: Дьяч+енко      # '+' before the stressed vowel
 *   МРТ: эм эр тэ
 * ```
 *
 * Stress is marked with '+' before the vowel (RHVoice's own convention) or with U+0301 after it
 * (as in dictionaries: Дьяче́нко). RHVoice 1.8 as Debian builds it takes U+0301 and treats a bare
 * '+' as a word break (its stress_marker setting is empty), so stressMarksFor() turns marks into
 * U+0301 for RHVoice and drops them for espeak-ng, which reads '+' as "плюс" and ignores U+0301.
 */

const VOWEL = 'аеёиоуыэюяaeiouy';
const ACUTE = '\u0301';
const PLUS_MARK = new RegExp(`\\+(?=[${VOWEL}])`, 'giu');
const ACUTE_AFTER_VOWEL = new RegExp(`(?<=[${VOWEL}])${ACUTE}`, 'giu');
/** entries in one dictionary: a campaign's list is tens of words, a clinic's a few hundred */
const MAX_WORDS = 5000;

export type StressMarks = 'acute' | 'none';

/** '+' before a vowel becomes U+0301 after it ('acute', for RHVoice), or both are dropped ('none'). */
export function stressMarksFor(text: string, marks: StressMarks): string {
  if (marks === 'none') return text.replace(PLUS_MARK, '').replace(ACUTE_AFTER_VOWEL, '');
  return text.replace(new RegExp(`\\+([${VOWEL}])`, 'giu'), `$1${ACUTE}`);
}

const Dictionary = z.strictObject({
  /** BCP 47: the dictionary applies to requests in this language (any region) */
  language: z.string().min(2).max(35),
  words: z.record(z.string().min(1).max(200), z.string().min(1).max(500)),
});

export interface Pronunciation {
  readonly file: string;
  /** the entries as written: word -> what to say */
  readonly words: Readonly<Record<string, string>>;
  /** "ru-RU" */
  readonly language: string;
  readonly size: number;
  /** true when the dictionary is for this request language ("ru" and "ru-RU" match) */
  appliesTo(language: string): boolean;
  /** the text with every entry replaced; stress marks are left for the engine (stressMarksFor) */
  apply(text: string): string;
}

/**
 * Reads a dictionary file (text: its contents, when the caller has them). Rejects with
 * SpeechError('PRONUNCIATION_INVALID') naming file:line:col for every problem found.
 */
export function loadPronunciation(file: string, text?: string | Uint8Array): Pronunciation {
  const yaml = new YamlFile(file, text, { error: SpeechError, syntaxCode: 'PRONUNCIATION_INVALID' });
  const d = yaml.parse(Dictionary, 'PRONUNCIATION_INVALID');
  try {
    spokenLanguage(d.language);
  } catch (err) {
    yaml.problem('PRONUNCIATION_INVALID', `language: ${(err as Error).message}`, ['language'], 'use ru, ru-RU, en or en-US');
  }
  const entries = Object.entries(d.words);
  if (entries.length > MAX_WORDS) yaml.fail('PRONUNCIATION_INVALID', `words: ${entries.length} entries, at most ${MAX_WORDS}`, ['words']);
  const seen = new Map<string, string>();
  for (const [word, said] of entries) {
    const key = word.trim().toLocaleLowerCase();
    if (!/[\p{L}\p{N}]/u.test(key)) yaml.problem('PRONUNCIATION_INVALID', `words: "${word}" has no letter or digit to match`, ['words', word]);
    else if (seen.has(key)) yaml.problem('PRONUNCIATION_INVALID', `words: "${word}" is listed twice (also as "${seen.get(key)}"); case does not matter`, ['words', word]);
    seen.set(key, word);
    if (new RegExp(`\\+(?![${VOWEL}])`, 'iu').test(said)) {
      yaml.problem('PRONUNCIATION_INVALID', `words.${word}: a '+' marks the stress and goes right before a vowel ("Дьяч+енко")`, ['words', word]);
    }
  }
  yaml.throwIfProblems();
  return new Dict(file, d.language, entries.map(([w, s]) => [w.trim(), s.trim()]));
}

/** A dictionary already checked (kept with a campaign's rules), from its language and words. */
export function pronunciationFrom(d: { language: string; words: Readonly<Record<string, string>> }, file = '(campaign)'): Pronunciation {
  return new Dict(file, d.language, Object.entries(d.words).map(([w, s]) => [w.trim(), s.trim()]));
}

/** Synthesis with a dictionary applied to every request in its language (a campaign's, before any engine). */
export function pronouncing(tts: Tts, dict: Pronunciation): Tts {
  return {
    synthesize: (req, signal) => tts.synthesize(dict.appliesTo(req.language) ? { ...req, text: dict.apply(req.text) } : req, signal),
  };
}

class Dict implements Pronunciation {
  readonly file: string;
  readonly words: Readonly<Record<string, string>>;
  readonly language: string;
  readonly size: number;
  readonly #base: string;
  readonly #said: Map<string, string>;
  readonly #re: RegExp | null;

  constructor(file: string, language: string, entries: [string, string][]) {
    this.file = file;
    this.words = Object.fromEntries(entries);
    this.language = language;
    this.size = entries.length;
    this.#base = spokenLanguage(language);
    this.#said = new Map(entries.map(([w, s]) => [w.split(/\s+/).join(' ').toLocaleLowerCase(), s]));
    // longest first, so "МРТ головы" wins over "МРТ"; whitespace inside an entry matches any run of it
    const words = [...this.#said.keys()].sort((a, b) => b.length - a.length);
    const alternatives = words.map((w) => w.split(/\s+/).map(escape).join('\\s+'));
    this.#re = words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'giu') : null;
  }

  appliesTo(language: string): boolean {
    try {
      return spokenLanguage(language) === this.#base;
    } catch {
      return false;
    }
  }

  apply(text: string): string {
    if (!this.#re) return text;
    return text.replace(this.#re, (m) => this.#said.get(m.replace(/\s+/g, ' ').toLocaleLowerCase()) ?? m);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
