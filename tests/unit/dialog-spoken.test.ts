import { describe, expect, it } from 'vitest';
import { UnsupportedLanguageError, cardinal, numbersToWords, ordinal } from '../../src/core/index.js';
import { slotPhrase, slotWords } from '../../src/dialog/slot-words.js';

const MSK = 'Europe/Moscow';

describe('cardinal()', () => {
  const RU: [number, string, string, string][] = [
    // n, masculine nominative, feminine, genitive
    [0, 'ноль', 'ноль', 'нуля'],
    [1, 'один', 'одна', 'одного'],
    [2, 'два', 'две', 'двух'],
    [11, 'одиннадцать', 'одиннадцать', 'одиннадцати'],
    [21, 'двадцать один', 'двадцать одна', 'двадцати одного'],
    [40, 'сорок', 'сорок', 'сорока'],
    [90, 'девяносто', 'девяносто', 'девяноста'],
    [101, 'сто один', 'сто одна', 'ста одного'],
    [1000, 'тысяча', 'тысяча', 'тысячи'],
    [1200, 'тысяча двести', 'тысяча двести', 'тысячи двухсот'],
    [2026, 'две тысячи двадцать шесть', 'две тысячи двадцать шесть', 'двух тысяч двадцати шести'],
    [21000, 'двадцать одна тысяча', 'двадцать одна тысяча', 'двадцати одной тысячи'],
    [999999, 'девятьсот девяносто девять тысяч девятьсот девяносто девять', 'девятьсот девяносто девять тысяч девятьсот девяносто девять',
      'девятисот девяноста девяти тысяч девятисот девяноста девяти'],
    [2_500_000, 'два миллиона пятьсот тысяч', 'два миллиона пятьсот тысяч', 'двух миллионов пятисот тысяч'],
  ];
  for (const [n, m, f, gen] of RU) {
    it(`says ${n} in Russian as "${m}", feminine "${f}", genitive "${gen}"`, () => {
      expect(cardinal(n, 'ru')).toBe(m);
      expect(cardinal(n, 'ru-RU', { gender: 'f' })).toBe(f);
      expect(cardinal(n, 'ru', { grammaticalCase: 'gen' })).toBe(gen);
    });
  }
  it('says "одно" in the neuter', () => expect(cardinal(1, 'ru', { gender: 'n' })).toBe('одно'));

  const EN: [number, string][] = [[0, 'zero'], [13, 'thirteen'], [21, 'twenty-one'], [105, 'one hundred five'], [2026, 'two thousand twenty-six'],
    [999999, 'nine hundred ninety-nine thousand nine hundred ninety-nine'], [1_000_001, 'one million one']];
  for (const [n, words] of EN) it(`says ${n} in English as "${words}"`, () => expect(cardinal(n, 'en-GB')).toBe(words));

  it('throws RangeError for negative, fractional and too large numbers', () => {
    for (const n of [-1, 1.5, 1e9, Number.NaN]) expect(() => cardinal(n, 'ru')).toThrow(RangeError);
  });
});

describe('ordinal()', () => {
  const RU: [number, string, string, string, string][] = [
    // n, m nom, f nom, n/m gen (a date), f gen
    [1, 'первый', 'первая', 'первого', 'первой'],
    [2, 'второй', 'вторая', 'второго', 'второй'],
    [3, 'третий', 'третья', 'третьего', 'третьей'],
    [7, 'седьмой', 'седьмая', 'седьмого', 'седьмой'],
    [12, 'двенадцатый', 'двенадцатая', 'двенадцатого', 'двенадцатой'],
    [20, 'двадцатый', 'двадцатая', 'двадцатого', 'двадцатой'],
    [23, 'двадцать третий', 'двадцать третья', 'двадцать третьего', 'двадцать третьей'],
    [31, 'тридцать первый', 'тридцать первая', 'тридцать первого', 'тридцать первой'],
    [40, 'сороковой', 'сороковая', 'сорокового', 'сороковой'],
    [100, 'сотый', 'сотая', 'сотого', 'сотой'],
    [2000, 'двухтысячный', 'двухтысячная', 'двухтысячного', 'двухтысячной'],
    [2026, 'две тысячи двадцать шестой', 'две тысячи двадцать шестая', 'две тысячи двадцать шестого', 'две тысячи двадцать шестой'],
  ];
  for (const [n, m, f, gen, fgen] of RU) {
    it(`says ${n} in Russian as "${m}" / "${f}" / "${gen}" / "${fgen}"`, () => {
      expect(ordinal(n, 'ru')).toBe(m);
      expect(ordinal(n, 'ru', { gender: 'f' })).toBe(f);
      expect(ordinal(n, 'ru', { gender: 'n', grammaticalCase: 'gen' })).toBe(gen);
      expect(ordinal(n, 'ru', { gender: 'm', grammaticalCase: 'gen' })).toBe(gen);
      expect(ordinal(n, 'ru', { gender: 'f', grammaticalCase: 'gen' })).toBe(fgen);
    });
  }
  it('says "седьмое" in the neuter nominative', () => expect(ordinal(7, 'ru', { gender: 'n' })).toBe('седьмое'));

  const EN: [number, string][] = [[1, 'first'], [2, 'second'], [3, 'third'], [5, 'fifth'], [8, 'eighth'], [9, 'ninth'], [12, 'twelfth'],
    [20, 'twentieth'], [21, 'twenty-first'], [30, 'thirtieth'], [102, 'one hundred second']];
  for (const [n, words] of EN) it(`says ${n} in English as "${words}"`, () => expect(ordinal(n, 'en')).toBe(words));
});

describe('slotPhrase() and slotWords()', () => {
  /** [UTC instant, Russian phrase, Russian words] — slots on a Moscow clock (UTC+3) */
  const RU: [string, string, string][] = [
    ['2026-12-07T06:40:00Z', 'в понедельник, 7 декабря, в 9:40', 'в понедельник, седьмого декабря, в девять сорок'],
    ['2026-12-08T07:00:00Z', 'во вторник, 8 декабря, в 10:00', 'во вторник, восьмого декабря, в десять ноль-ноль'],
    ['2026-12-09T06:05:00Z', 'в среду, 9 декабря, в 9:05', 'в среду, девятого декабря, в девять ноль пять'],
    ['2026-12-03T11:21:00Z', 'в четверг, 3 декабря, в 14:21', 'в четверг, третьего декабря, в четырнадцать двадцать одна'],
    ['2026-12-04T14:30:00Z', 'в пятницу, 4 декабря, в 17:30', 'в пятницу, четвёртого декабря, в семнадцать тридцать'],
    ['2026-12-05T08:15:00Z', 'в субботу, 5 декабря, в 11:15', 'в субботу, пятого декабря, в одиннадцать пятнадцать'],
    ['2026-12-06T05:00:00Z', 'в воскресенье, 6 декабря, в 8:00', 'в воскресенье, шестого декабря, в восемь ноль-ноль'],
    ['2027-01-22T09:02:00Z', 'в пятницу, 22 января, в 12:02', 'в пятницу, двадцать второго января, в двенадцать ноль две'],
  ];
  for (const [at, phrase, words] of RU) {
    it(`says ${at} in Moscow as "${phrase}" and "${words}"`, () => {
      expect(slotPhrase(new Date(at), 'ru-RU', MSK)).toBe(phrase);
      expect(slotWords(new Date(at), 'ru', MSK)).toBe(words);
    });
  }

  const EN: [string, string, string][] = [
    ['2026-12-07T06:40:00Z', 'on Monday, December 7 at 9:40 AM', 'on Monday, December seventh at nine forty A M'],
    ['2026-12-08T06:05:00Z', 'on Tuesday, December 8 at 9:05 AM', 'on Tuesday, December eighth at nine oh five A M'],
    ['2026-12-09T07:00:00Z', 'on Wednesday, December 9 at 10:00 AM', "on Wednesday, December ninth at ten o'clock A M"],
    ['2026-12-03T12:30:00Z', 'on Thursday, December 3 at 3:30 PM', 'on Thursday, December third at three thirty P M'],
    ['2026-12-01T09:00:00Z', 'on Tuesday, December 1 at 12:00 PM', 'on Tuesday, December first at noon'],
  ];
  for (const [at, phrase, words] of EN) {
    it(`says ${at} in Moscow as "${phrase}" and "${words}"`, () => {
      expect(slotPhrase(new Date(at), 'en-US', MSK)).toBe(phrase);
      expect(slotWords(new Date(at), 'en', MSK)).toBe(words);
    });
  }

  it('reads the slot on the given zone\'s clock: the same instant is Tuesday 16:40 in Vladivostok', () => {
    const at = new Date('2026-12-07T06:40:00Z');
    expect(slotPhrase(at, 'ru', 'Asia/Vladivostok')).toBe('в понедельник, 7 декабря, в 16:40');
    expect(slotPhrase(new Date('2026-12-07T15:10:00Z'), 'ru', 'Asia/Vladivostok')).toBe('во вторник, 8 декабря, в 1:10');
  });

  it('follows DST in America/New_York', () => {
    expect(slotPhrase(new Date('2026-03-07T14:40:00Z'), 'en', 'America/New_York')).toBe('on Saturday, March 7 at 9:40 AM');
    expect(slotPhrase(new Date('2026-03-09T13:40:00Z'), 'en', 'America/New_York')).toBe('on Monday, March 9 at 9:40 AM');
  });

  it('throws UnsupportedLanguageError, code LANGUAGE_UNSUPPORTED, naming a language it has no words for', () => {
    const at = new Date('2026-12-07T06:40:00Z');
    for (const f of [() => slotPhrase(at, 'de-DE', MSK), () => slotWords(at, 'uk', MSK), () => numbersToWords('1', 'kk'), () => cardinal(1, 'fr')]) {
      expect(f).toThrow(UnsupportedLanguageError);
    }
    expect(() => slotPhrase(at, 'de-DE', MSK)).toThrow(/"de-DE"/);
    const thrown = (() => { try { ordinal(1, 'tt'); } catch (e) { return e; } })();
    expect(thrown).toMatchObject({ code: 'LANGUAGE_UNSUPPORTED', language: 'tt', permanent: true });
  });
});

describe('numbersToWords()', () => {
  const RU: [string, string][] = [
    ['кабинет 12', 'кабинет двенадцать'],
    ['приходите в 9:40', 'приходите в девять сорок'],
    ['в 10:00', 'в десять ноль-ноль'],
    ['в 9:05', 'в девять ноль пять'],
    ['работаем с 9:00 до 18:00', 'работаем с девяти ноль-ноль до восемнадцати ноль-ноль'],
    ['звоните 8 (863) 200-00-00', 'звоните восемь, восемьсот шестьдесят три, двести, ноль ноль, ноль ноль'],
    ['+7 863 205-12-05', 'плюс семь, восемьсот шестьдесят три, двести пять, двенадцать, ноль пять'],
    ['приходите 7 декабря', 'приходите седьмого декабря'],
    ['на 3-й этаж', 'на третий этаж'],
    ['до 21-го', 'до двадцать первого'],
    ['с 2 до 5', 'с двух до пяти'],
    ['стоимость 1500 рублей', 'стоимость тысяча пятьсот рублей'],
    ['код 05', 'код ноль пять'],
    ['без цифр', 'без цифр'],
    // read more than one way: left for the TTS engine
    ['2,5 мг', '2,5 мг'],
    ['07.12.2026', '07.12.2026'],
  ];
  for (const [text, words] of RU) it(`writes "${text}" as "${words}"`, () => expect(numbersToWords(text, 'ru')).toBe(words));

  const EN: [string, string][] = [
    ['room 12', 'room twelve'],
    ['at 9:40 AM', 'at nine forty A M'],
    ['at 3:05 p.m.', 'at three oh five P M'],
    ['at 10:00', "at ten o'clock"],
    ['on December 7', 'on December seventh'],
    ['the 21st floor', 'the twenty-first floor'],
    ['call (555) 123-4567', 'call five five five, one two three, four five six seven'],
    ['2.5 mg', '2.5 mg'],
  ];
  for (const [text, words] of EN) it(`writes "${text}" as "${words}"`, () => expect(numbersToWords(text, 'en-US')).toBe(words));
});
