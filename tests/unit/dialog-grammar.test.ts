import { describe, expect, it } from 'vitest';
import { GRAMMAR_PHRASES, grammarPhrases } from '../../src/dialog/intents/grammar.js';
import { BUILTIN_INTENTS, intentMatcher, type IntentDefinition } from '../../src/dialog/intents/index.js';

/** The intents a step has in play (as in dialog-intents.test.ts): a yes/no question, or an offer of slots. */
const STEPS = {
  yesno: ['yes', 'no', 'operator', 'callback', 'repeat', 'already_done', 'wrong_person', 'stop_calling'],
  slots: ['choose', 'later', 'earlier', 'another_day', 'operator', 'repeat', 'stop_calling', 'wrong_person', 'callback'],
} as const;

const defs = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, {}])) as Record<string, IntentDefinition>;

describe('grammar phrases', () => {
  for (const lang of ['ru', 'en'] as const) {
    it(`${lang}: every built-in has phrases, and each phrase is heard as its intent in every step that hears it`, () => {
      const wrong: string[] = [];
      for (const intent of BUILTIN_INTENTS) {
        const phrases = GRAMMAR_PHRASES[lang][intent];
        expect(phrases.length, intent).toBeGreaterThanOrEqual(5);
        for (const [step, names] of Object.entries(STEPS)) {
          if (!(names as readonly string[]).includes(intent)) continue;
          const m = intentMatcher(lang, defs(names));
          for (const p of phrases) {
            const got = m.match(p);
            if (got.intent !== intent) wrong.push(`${step}: "${p}" -> ${got.intent ?? 'none'} (want ${intent})`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });

    it(`${lang}: phrases are lower-case words only, with no repeats across intents`, () => {
      const seen = new Map<string, string>();
      for (const intent of BUILTIN_INTENTS) {
        for (const p of GRAMMAR_PHRASES[lang][intent]) {
          expect(p).toMatch(/^[a-zа-яё']+( [a-zа-яё']+)*$/u);
          expect(seen.get(p), p).toBeUndefined();
          seen.set(p, intent);
        }
      }
    });
  }

  it('grammarPhrases joins the intents asked for, skipping names that are not built-ins', () => {
    const got = grammarPhrases(['yes', 'no', 'book_visit'], 'ru');
    expect(got).toContain('да');
    expect(got).toContain('нет спасибо');
    expect(got).not.toContain('оператор');
    expect(grammarPhrases(['operator'], 'en')).toEqual([...GRAMMAR_PHRASES.en.operator]);
  });
});
