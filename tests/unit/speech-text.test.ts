import { describe, expect, it } from 'vitest';
import { SpeechError, UnsupportedLanguageError } from '../../src/core/index.js';
import { loadPronunciation, stressMarksFor } from '../../src/speech/pronunciation.js';
import { normalizeText } from '../../src/speech/server/text.js';

describe('normalizeText()', () => {
  const RU: [string, string][] = [
    ['Вы записаны на 08.12.2026 в 9:40.', 'Вы записаны на восьмое декабря две тысячи двадцать шестого года в девять сорок.'],
    ['Приём 8 декабря в 10:00, кабинет 12.', 'Приём восьмого декабря в десять ноль-ноль, кабинет двенадцать.'],
    ['Запись на 8 декабря 2026 года', 'Запись на восьмое декабря две тысячи двадцать шестого года'],
    ['приходите 1.1.2027 г.', 'приходите первого января две тысячи двадцать седьмого года'],
    ['с 2026-12-08 до 15.12.2026', 'с восьмого декабря две тысячи двадцать шестого года до пятнадцатого декабря две тысячи двадцать шестого года'],
    ['работаем с 9:00 до 18:00', 'работаем с девяти ноль-ноль до восемнадцати ноль-ноль'],
    ['Звоните: +7 (863) 200-00-05', 'Звоните: плюс семь, восемьсот шестьдесят три, двести, ноль ноль, ноль пять'],
    ['талон № 5, 3-й этаж', 'талон номер пять, третий этаж'],
    ['  два\n пробела  ', 'два пробела'],
    // not a date: left for the number rules, which leave it as written
    ['31.02.2026', '31.02.2026'],
    ['2,5 мг', '2,5 мг'],
  ];
  for (const [text, said] of RU) it(`ru: "${text}"`, () => expect(normalizeText(text, 'ru-RU')).toBe(said));

  const EN: [string, string, string][] = [
    ['Your visit is on 12/08/2026 at 9:40 AM', 'en-US', 'Your visit is on December eighth, twenty twenty-six at nine forty A M'],
    ['on 08/12/2026', 'en-GB', 'on December eighth, twenty twenty-six'],
    ['December 8, 2026', 'en', 'December eighth, twenty twenty-six'],
    ['on 2026-12-08 at 10:00', 'en-US', "on December eighth, twenty twenty-six at ten o'clock"],
    ['since 2005', 'en', 'since two thousand five'],
    ['call (555) 123-4567', 'en-US', 'call five five five, one two three, four five six seven'],
  ];
  for (const [text, lang, said] of EN) it(`${lang}: "${text}"`, () => expect(normalizeText(text, lang)).toBe(said));

  it('a language with no words for numbers is refused', () => {
    expect(() => normalizeText('1', 'de-DE')).toThrow(UnsupportedLanguageError);
  });
});

describe('stressMarksFor()', () => {
  it("'+' before a vowel becomes U+0301 after it for RHVoice, and both go for espeak-ng", () => {
    expect(stressMarksFor('Дьяч+енко и з+амок', 'acute')).toBe('Дьяче\u0301нко и за\u0301мок');
    expect(stressMarksFor('Дьяч+енко, Дьяче\u0301нко', 'none')).toBe('Дьяченко, Дьяченко');
    // a '+' that marks no vowel is not a stress mark
    expect(stressMarksFor('5+3 A+B', 'acute')).toBe('5+3 A+B');
    expect(stressMarksFor('5+3', 'none')).toBe('5+3');
  });
});

describe('loadPronunciation()', () => {
  const YAML = `language: ru-RU
words:
  Дьяченко: Дьяч+енко      # stress
  МРТ: эм эр тэ
  МРТ головы: эм эр тэ головного мозга
  ул.: улица
`;

  it('replaces whole words, case-insensitively, the longest entry first', () => {
    const d = loadPronunciation('campaign/words.yaml', YAML);
    expect(d.size).toBe(4);
    expect(d.appliesTo('ru')).toBe(true);
    expect(d.appliesTo('en-US')).toBe(false);
    expect(d.appliesTo('xx')).toBe(false);
    expect(d.apply('Доктор ДЬЯЧЕНКО ждёт вас на мрт. МРТ  головы — в 9:40. МРТшка, Дьяченкова')).toBe(
      'Доктор Дьяч+енко ждёт вас на эм эр тэ. эм эр тэ головного мозга — в 9:40. МРТшка, Дьяченкова');
  });

  const BAD: [string, RegExp, number, number][] = [
    ['language: ru\nwords:\n  МРТ: [1, 2]\n', /words\.МРТ: .*string/, 3, 3],
    ['language: ru\nwords:\n  Дьяченко: Дьяч+нко\n', /a '\+' marks the stress and goes right before a vowel/, 3, 13],
    ['language: ru\nwords:\n  МРТ: эм\n  мрт: эм эр\n', /"мрт" is listed twice \(also as "МРТ"\)/, 4, 8],
    ['language: de\nwords:\n  a: b\n', /language: .*"de"/, 1, 11],
    ['language: ru\nwords:\n  "...": точка\n', /has no letter or digit/, 3, 10],
    ['language: ru\nword:\n  a: b\n', /unknown field "word"/, 2, 1],
    ['language: ru\nwords: {a: b\n', /./, 3, 1],
  ];
  for (const [yaml, message, line, col] of BAD) {
    it(`refuses ${JSON.stringify(yaml).slice(0, 60)} at its line and column`, () => {
      let err: unknown;
      try {
        loadPronunciation('campaign/words.yaml', yaml);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpeechError);
      const e = err as SpeechError;
      expect(e.code).toBe('PRONUNCIATION_INVALID');
      expect(e.describe()).toMatch(message);
      expect(e.describe()).toContain(`campaign/words.yaml:${line}:${col}:`);
    });
  }
});
