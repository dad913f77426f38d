import { describe, expect, it } from 'vitest';
import { fitToCallingHours, zonedInstant } from '../../src/core/index.js';
import { DAY_PARTS, parseCallbackTime, type CallbackTime } from '../../src/dialog/callback-time.js';
import { numbersToWords } from '../../src/core/index.js';
import { UnsupportedLanguageError } from '../../src/core/index.js';

/** Wednesday 2 December 2026, 10:00 in Moscow (UTC+3 all year, so expected times are plain ISO) */
const NOW = new Date('2026-12-02T07:00:00Z');
const MSK = 'Europe/Moscow';
const msk = (local: string) => new Date(`${local.replace(' ', 'T')}:00+03:00`);

/** [words, null | 'vague' | [earliest, latest | null, understood]] with times on a Moscow clock */
type Row = [string, null | 'vague' | [string, string | null, string]];

function expectHeard(text: string, language: string, want: Row[1], now = NOW, timeZone = MSK): void {
  const got = parseCallbackTime(text, { language, now, timeZone });
  if (want === null) return expect(got, text).toBeNull();
  if (want === 'vague') return expect(got?.kind, text).toBe('vague');
  expect(got, text).toEqual({ kind: 'at', earliest: msk(want[0]), latest: want[1] && msk(want[1]), understood: want[2] });
}

const RUSSIAN: Row[] = [
  ['перезвоните через час', ['2026-12-02 11:00', null, 'сегодня в 11:00']],
  ['через полчаса', ['2026-12-02 10:30', null, 'сегодня в 10:30']],
  ['через 2 часа', ['2026-12-02 12:00', null, 'сегодня в 12:00']],
  ['ну через двадцать минут', ['2026-12-02 10:20', null, 'сегодня в 10:20']],
  ['через полтора часа', ['2026-12-02 11:30', null, 'сегодня в 11:30']],
  ['завтра', ['2026-12-03 00:00', '2026-12-04 00:00', 'завтра']],
  ['завтра утром', ['2026-12-03 09:00', '2026-12-03 12:00', 'завтра утром']],
  ['завтра днём', ['2026-12-03 12:00', '2026-12-03 17:00', 'завтра днём']],
  ['завтра вечером', ['2026-12-03 17:00', '2026-12-03 21:00', 'завтра вечером']],
  ['перезвоните завтра после шести', ['2026-12-03 18:00', '2026-12-04 00:00', 'завтра после 18:00']],
  ['после обеда', ['2026-12-02 14:00', '2026-12-03 00:00', 'сегодня после 14:00']],
  ['вечером', ['2026-12-02 17:00', '2026-12-02 21:00', 'сегодня вечером']],
  ['в понедельник утром', ['2026-12-07 09:00', '2026-12-07 12:00', 'в понедельник, 7 декабря, утром']],
  ['в пятницу в три', ['2026-12-04 15:00', '2026-12-04 16:00', 'послезавтра в 15:00']],
  ['в 10', ['2026-12-03 10:00', '2026-12-03 11:00', 'завтра в 10:00']],
  ['в десять утра', ['2026-12-03 10:00', '2026-12-03 11:00', 'завтра в 10:00']],
  ['в полдесятого', ['2026-12-03 09:30', '2026-12-03 10:30', 'завтра в 9:30']],
  ['давайте в половине третьего', ['2026-12-02 14:30', '2026-12-02 15:30', 'сегодня в 14:30']],
  ['послезавтра', ['2026-12-04 00:00', '2026-12-05 00:00', 'послезавтра']],
  ['на выходных', ['2026-12-05 00:00', '2026-12-07 00:00', 'в субботу, 5 декабря']],
  ['на следующей неделе', 'vague'],
  ['на следующей неделе в среду', ['2026-12-09 00:00', '2026-12-10 00:00', 'в среду, 9 декабря']],
  ['через неделю', ['2026-12-09 00:00', '2026-12-10 00:00', 'в среду, 9 декабря']],
  ['попозже', 'vague'],
  ['как-нибудь потом', 'vague'],
  ['на днях', 'vague'],
  ['давайте в четверг в 11:30', ['2026-12-03 11:30', '2026-12-03 12:30', 'завтра в 11:30']],
  ['наберите завтра часов в пять', ['2026-12-03 17:00', '2026-12-03 18:00', 'завтра в 17:00']],
  ['сегодня в 9', 'vague'],
  ['в шесть вечера', ['2026-12-02 18:00', '2026-12-02 19:00', 'сегодня в 18:00']],
  ['завтра с 10 до 12', ['2026-12-03 10:00', '2026-12-03 12:00', 'завтра с 10:00 до 12:00']],
  ['до обеда', ['2026-12-02 10:00', '2026-12-02 13:00', 'сегодня до 13:00']],
  ['в обед', ['2026-12-02 13:00', '2026-12-02 14:00', 'сегодня с 13:00 до 14:00']],
  ['в час дня', ['2026-12-02 13:00', '2026-12-02 14:00', 'сегодня в 13:00']],
  ['в десять ноль пять', ['2026-12-02 10:05', '2026-12-02 11:05', 'сегодня в 10:05']],
  ['в десять тридцать', ['2026-12-02 10:30', '2026-12-02 11:30', 'сегодня в 10:30']],
  ['завтра в 10 утра', ['2026-12-03 10:00', '2026-12-03 11:00', 'завтра в 10:00']],
  ['седьмого декабря', ['2026-12-07 00:00', '2026-12-08 00:00', 'в понедельник, 7 декабря']],
  ['7 декабря в 15:00', ['2026-12-07 15:00', '2026-12-07 16:00', 'в понедельник, 7 декабря, в 15:00']],
  ['15 числа', ['2026-12-15 00:00', '2026-12-16 00:00', 'во вторник, 15 декабря']],
  ['в воскресенье', ['2026-12-06 00:00', '2026-12-07 00:00', 'в воскресенье, 6 декабря']],
  ['во вторник после двух', ['2026-12-08 14:00', '2026-12-09 00:00', 'во вторник, 8 декабря, после 14:00']],
  ['через пару дней', ['2026-12-04 00:00', '2026-12-05 00:00', 'послезавтра']],
  ['через месяц', ['2027-01-02 00:00', '2027-01-03 00:00', 'в субботу, 2 января']],
  ['не звоните больше', null],
  ['я занят', null],
  ['ближе к вечеру', ['2026-12-02 16:00', '2026-12-02 21:00', 'сегодня с 16:00 до 21:00']],
  ['утром', ['2026-12-02 10:00', '2026-12-02 12:00', 'сегодня утром']],
  ['завтра ближе к обеду', ['2026-12-03 12:00', '2026-12-03 13:00', 'завтра с 12:00 до 13:00']],
  ['в следующий понедельник в 12', ['2026-12-07 12:00', '2026-12-07 13:00', 'в понедельник, 7 декабря, в 12:00']],
  ['Перезвоните, пожалуйста, минут через 15', ['2026-12-02 10:15', null, 'сегодня в 10:15']],
  ['через минут двадцать', ['2026-12-02 10:20', null, 'сегодня в 10:20']],
  ['сегодня в девять вечера', ['2026-12-02 21:00', '2026-12-02 22:00', 'сегодня в 21:00']],
  ['через три дня утром', ['2026-12-05 09:00', '2026-12-05 12:00', 'в субботу, 5 декабря, утром']],
  ['в субботу утром', ['2026-12-05 09:00', '2026-12-05 12:00', 'в субботу, 5 декабря, утром']],
  ['на следующей неделе утром', 'vague'],
  ['в понедельник часов в 10', ['2026-12-07 10:00', '2026-12-07 11:00', 'в понедельник, 7 декабря, в 10:00']],
  ['завтра до 12', ['2026-12-03 00:00', '2026-12-03 12:00', 'завтра до 12:00']],
  ['в среду', ['2026-12-09 00:00', '2026-12-10 00:00', 'в среду, 9 декабря']],
  ['в три часа дня', ['2026-12-02 15:00', '2026-12-02 16:00', 'сегодня в 15:00']],
  ['после 6 вечера', ['2026-12-02 18:00', '2026-12-03 00:00', 'сегодня после 18:00']],
  ['через 5 минут', ['2026-12-02 10:05', null, 'сегодня в 10:05']],
  ['ну давайте часиков в одиннадцать', ['2026-12-02 11:00', '2026-12-02 12:00', 'сегодня в 11:00']],
  ['около четырёх', ['2026-12-02 16:00', '2026-12-02 17:00', 'сегодня в 16:00']],
  ['в 15:30', ['2026-12-02 15:30', '2026-12-02 16:30', 'сегодня в 15:30']],
  ['ЗАВТРА В 9.40', ['2026-12-03 09:40', '2026-12-03 10:40', 'завтра в 9:40']],
  ['перезвоните в четверг вечерком', ['2026-12-03 17:00', '2026-12-03 21:00', 'завтра вечером']],
  ['сейчас неудобно', null],
  ['', null],
  // "надо" ends in "до": a word's tail is not a preposition
  ['мне надо 2 часа, перезвоните завтра', ['2026-12-03 00:00', '2026-12-04 00:00', 'завтра']],
];

const ENGLISH: Row[] = [
  ['in an hour', ['2026-12-02 11:00', null, 'today at 11:00 AM']],
  ['in half an hour', ['2026-12-02 10:30', null, 'today at 10:30 AM']],
  ['in 20 minutes', ['2026-12-02 10:20', null, 'today at 10:20 AM']],
  ['in two hours', ['2026-12-02 12:00', null, 'today at 12:00 PM']],
  ['tomorrow morning', ['2026-12-03 09:00', '2026-12-03 12:00', 'tomorrow in the morning']],
  ['after six', ['2026-12-02 18:00', '2026-12-03 00:00', 'today after 6:00 PM']],
  ['on Monday afternoon', ['2026-12-07 12:00', '2026-12-07 17:00', 'on Monday, December 7 in the afternoon']],
  ['call me back at 3', ['2026-12-02 15:00', '2026-12-02 16:00', 'today at 3:00 PM']],
  ['next week', 'vague'],
  ['later', 'vague'],
  ['tomorrow', ['2026-12-03 00:00', '2026-12-04 00:00', 'tomorrow']],
  ['tonight', ['2026-12-02 17:00', '2026-12-02 21:00', 'today in the evening']],
  ['the day after tomorrow', ['2026-12-04 00:00', '2026-12-05 00:00', 'on Friday, December 4']],
  ['at 10 am', ['2026-12-03 10:00', '2026-12-03 11:00', 'tomorrow at 10:00 AM']],
  ['at 10:30', ['2026-12-02 10:30', '2026-12-02 11:30', 'today at 10:30 AM']],
  ['at half past nine', ['2026-12-03 09:30', '2026-12-03 10:30', 'tomorrow at 9:30 AM']],
  ['next Monday', ['2026-12-07 00:00', '2026-12-08 00:00', 'on Monday, December 7']],
  ['on the weekend', ['2026-12-05 00:00', '2026-12-07 00:00', 'on Saturday, December 5']],
  ['in a week', ['2026-12-09 00:00', '2026-12-10 00:00', 'on Wednesday, December 9']],
  ['Friday at 4 pm', ['2026-12-04 16:00', '2026-12-04 17:00', 'on Friday, December 4 at 4:00 PM']],
  ['between 2 and 4', ['2026-12-02 14:00', '2026-12-02 16:00', 'today between 2:00 PM and 4:00 PM']],
  ['before noon', ['2026-12-02 10:00', '2026-12-02 12:00', 'today before 12:00 PM']],
  ['after lunch', ['2026-12-02 13:00', '2026-12-03 00:00', 'today after 1:00 PM']],
  ['some other time', 'vague'],
  ['on December 7th', ['2026-12-07 00:00', '2026-12-08 00:00', 'on Monday, December 7']],
  ['Monday next week', ['2026-12-07 00:00', '2026-12-08 00:00', 'on Monday, December 7']],
  ['in a couple of hours', ['2026-12-02 12:00', null, 'today at 12:00 PM']],
  ['no thanks', null],
  ['around five tomorrow', ['2026-12-03 17:00', '2026-12-03 18:00', 'tomorrow at 5:00 PM']],
];

describe('parseCallbackTime() in Russian, said on Wednesday at 10:00 in Moscow', () => {
  for (const [text, want] of RUSSIAN) {
    it(`"${text}" -> ${want === null || want === 'vague' ? want : `${want[0]} .. ${want[1]}`}`, () => expectHeard(text, 'ru-RU', want));
  }
});

describe('parseCallbackTime() in English, said on Wednesday at 10:00 in Moscow', () => {
  for (const [text, want] of ENGLISH) {
    it(`"${text}" -> ${want === null || want === 'vague' ? want : `${want[0]} .. ${want[1]}`}`, () => expectHeard(text, 'en-US', want));
  }
});

describe('parseCallbackTime() edge cases', () => {
  it('gives a vague answer its reason, for the transcript', () => {
    expect(parseCallbackTime('ну попозже как-нибудь', { language: 'ru', now: NOW, timeZone: MSK })).toEqual({ kind: 'vague', reason: 'попозже' });
    expect(parseCallbackTime('на следующей неделе', { language: 'ru', now: NOW, timeZone: MSK })).toEqual({ kind: 'vague', reason: 'неделя без дня' });
  });

  it('reads "вечером" said at 22:00 as tomorrow evening', () => {
    const late = new Date('2026-12-02T19:00:00Z');
    expectHeard('вечером', 'ru', ['2026-12-03 17:00', '2026-12-03 21:00', 'завтра вечером'], late);
  });

  it('reads "вечером" said at 18:30 as from now until the evening ends', () => {
    const evening = new Date('2026-12-02T15:30:00Z');
    expectHeard('вечером', 'ru', ['2026-12-02 18:30', '2026-12-02 21:00', 'сегодня вечером'], evening);
  });

  it('reads "на выходных" said on Saturday as today and Sunday', () => {
    const saturday = new Date('2026-12-05T08:00:00Z');
    expectHeard('на выходных', 'ru', ['2026-12-05 11:00', '2026-12-07 00:00', 'сегодня'], saturday);
  });

  it('takes "7 января" said in December as next year', () => {
    expectHeard('седьмого января утром', 'ru', ['2027-01-07 09:00', '2027-01-07 12:00', 'в четверг, 7 января, утром']);
  });

  it('works in Asia/Vladivostok, where the local day is ahead of the UTC one', () => {
    // 07:00Z is 17:00 in Vladivostok (UTC+10)
    const got = parseCallbackTime('завтра в 10', { language: 'ru', now: NOW, timeZone: 'Asia/Vladivostok' });
    expect(got).toEqual({ kind: 'at', earliest: new Date('2026-12-03T00:00:00Z'), latest: new Date('2026-12-03T01:00:00Z'), understood: 'завтра в 10:00' });
    const evening = parseCallbackTime('вечером', { language: 'ru', now: NOW, timeZone: 'Asia/Vladivostok' });
    expect(evening).toMatchObject({ kind: 'at', earliest: NOW, latest: new Date('2026-12-02T11:00:00Z') });
  });

  describe('across DST changes in America/New_York', () => {
    const NY = 'America/New_York';
    it('"tomorrow at 10 am" on the Saturday before spring forward is 10:00 EDT', () => {
      const sat = new Date('2026-03-07T15:00:00Z'); // 10:00 EST
      expect(parseCallbackTime('tomorrow at 10 am', { language: 'en', now: sat, timeZone: NY }))
        .toMatchObject({ kind: 'at', earliest: new Date('2026-03-08T14:00:00Z'), latest: new Date('2026-03-08T15:00:00Z') });
    });
    it('"tomorrow morning" on the Saturday before fall back starts at 09:00 EST', () => {
      const sat = new Date('2026-10-31T14:00:00Z'); // 10:00 EDT
      expect(parseCallbackTime('tomorrow morning', { language: 'en', now: sat, timeZone: NY }))
        .toMatchObject({ kind: 'at', earliest: new Date('2026-11-01T14:00:00Z'), latest: new Date('2026-11-01T17:00:00Z'), understood: 'tomorrow in the morning' });
    });
    it('"in an hour" at 01:30 EST on the spring-forward night is 03:30 EDT: elapsed time, not clock time', () => {
      const night = new Date('2026-03-08T06:30:00Z');
      expect(parseCallbackTime('in an hour', { language: 'en', now: night, timeZone: NY }))
        .toEqual({ kind: 'at', earliest: new Date('2026-03-08T07:30:00Z'), latest: null, understood: 'today at 3:30 AM' });
    });
    it('"завтра" spans a 23-hour day when the clocks go forward', () => {
      const sat = new Date('2026-03-07T15:00:00Z');
      const got = parseCallbackTime('завтра', { language: 'ru', now: sat, timeZone: NY });
      expect(got).toMatchObject({ earliest: new Date('2026-03-08T05:00:00Z'), latest: new Date('2026-03-09T04:00:00Z') });
    });
  });

  it('throws UnsupportedLanguageError for a language it has no words for', () => {
    expect(() => parseCallbackTime('morgen', { language: 'de', now: NOW, timeZone: MSK })).toThrow(UnsupportedLanguageError);
  });

  it('keeps its day parts in order and inside one day', () => {
    const parts = Object.values(DAY_PARTS);
    for (const [from, to] of parts) expect(from[0] * 60 + from[1]).toBeLessThan(to[0] * 60 + to[1]);
  });
});

describe('zonedInstant()', () => {
  it('moves a time skipped by spring forward past the gap (02:30 -> 03:30 EDT)', () => {
    expect(zonedInstant(2026, 3, 8, 2, 30, 'America/New_York')).toEqual(new Date('2026-03-08T07:30:00Z'));
  });
  it('takes the first of a time that happens twice at fall back (01:30 EDT)', () => {
    expect(zonedInstant(2026, 11, 1, 1, 30, 'America/New_York')).toEqual(new Date('2026-11-01T05:30:00Z'));
  });
  it('rolls day 32 and hour 24 over', () => {
    expect(zonedInstant(2026, 12, 32, 24, 0, MSK)).toEqual(new Date('2027-01-01T21:00:00Z'));
  });
});

describe('fitToCallingHours()', () => {
  const weekdays: [string, string][] = [['09:00', '13:00'], ['14:00', '20:00']];
  const HOURS = { timeZone: MSK, windows: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays, sat: [['10:00', '16:00']] as [string, string][], sun: [] } };
  const fit = (from: string, to: string | null, hours = HOURS) => fitToCallingHours({ earliest: msk(from), latest: to === null ? null : msk(to) }, hours);

  it('returns `earliest` unchanged when it is inside a window', () => {
    expect(fit('2026-12-02 10:15', null)).toEqual(msk('2026-12-02 10:15'));
  });
  it('moves a time before opening to the opening', () => {
    expect(fit('2026-12-03 00:00', '2026-12-04 00:00')).toEqual(msk('2026-12-03 09:00'));
  });
  it('moves a time in the lunch break to the afternoon window', () => {
    expect(fit('2026-12-02 13:20', null)).toEqual(msk('2026-12-02 14:00'));
  });
  it('moves a time after closing to the next day with hours, past a Sunday with none', () => {
    expect(fit('2026-12-05 18:00', null)).toEqual(msk('2026-12-07 09:00'));
  });
  it('returns null when the asked window closes before calling hours open ("в 7 утра")', () => {
    expect(fit('2026-12-03 07:00', '2026-12-03 08:00')).toBeNull();
  });
  it('returns null when "после 21" leaves nothing that evening', () => {
    expect(fit('2026-12-03 21:00', '2026-12-04 00:00')).toBeNull();
  });
  it('returns null when no window falls within the horizon', () => {
    const closed = { ...HOURS, windows: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, horizonDays: 30 };
    expect(fit('2026-12-02 10:00', null, closed)).toBeNull();
  });
  it('follows the callee\'s clock across spring forward: Sunday 09:00 EDT', () => {
    const all: [string, string][] = [['09:00', '20:00']];
    const ny = { timeZone: 'America/New_York', windows: { mon: all, tue: all, wed: all, thu: all, fri: all, sat: all, sun: all } };
    expect(fitToCallingHours({ earliest: new Date('2026-03-08T02:00:00Z'), latest: null }, ny)).toEqual(new Date('2026-03-08T13:00:00Z'));
  });
  it('accepts 24:00 as a closing time', () => {
    const late = { ...HOURS, windows: { ...HOURS.windows, wed: [['20:00', '24:00']] as [string, string][] } };
    expect(fit('2026-12-02 23:30', null, late)).toEqual(msk('2026-12-02 23:30'));
  });
  it('throws RangeError naming a malformed window', () => {
    const bad = { ...HOURS, windows: { ...HOURS.windows, wed: [['9am', '20:00']] as [string, string][] } };
    expect(() => fit('2026-12-02 10:00', null, bad)).toThrow(/"9am"/);
  });
  it('throws RangeError for a window that closes before it opens', () => {
    const bad = { ...HOURS, windows: { ...HOURS.windows, wed: [['20:00', '02:00']] as [string, string][] } };
    expect(() => fit('2026-12-02 10:00', null, bad)).toThrow(/"20:00"-"02:00"/);
  });
  it('fits a parsed answer: "завтра после шести" with hours to 20:00 is 18:00 tomorrow', () => {
    const heard = parseCallbackTime('перезвоните завтра после шести', { language: 'ru', now: NOW, timeZone: MSK }) as Extract<CallbackTime, { kind: 'at' }>;
    expect(fitToCallingHours(heard, HOURS)).toEqual(msk('2026-12-03 18:00'));
  });
});

describe('on scrambled input (a seeded generator, so every run sees the same strings)', () => {
  it('parseCallbackTime() returns null, vague or a window whose end is after its start, and numbersToWords() leaves no marker behind', () => {
    const alphabet = '0123456789 :.,-()+ввчерездоапослеутромчасминутatpmamin hour';
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: Math.floor(rnd() * 30) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      for (const language of ['ru', 'en']) {
        expect(numbersToWords(s, language), s).not.toMatch(/[\uE000-\uF8FF]/);
        const got = parseCallbackTime(s, { language, now: NOW, timeZone: MSK });
        if (got?.kind !== 'at') continue;
        expect(Number.isNaN(got.earliest.getTime()), s).toBe(false);
        expect(got.earliest >= NOW, s).toBe(true);
        if (got.latest) expect(got.latest > got.earliest, s).toBe(true);
      }
    }
  });
});
