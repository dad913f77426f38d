import { describe, expect, it } from 'vitest';
import { SpeechError } from '../../src/core/index.js';
import { parseSsml } from '../../src/speech/server/ssml.js';

function failure(ssml: string, language = 'ru-RU'): SpeechError {
  try {
    parseSsml(ssml, language);
  } catch (err) {
    expect(err).toBeInstanceOf(SpeechError);
    return err as SpeechError;
  }
  throw new Error(`parsed: ${ssml}`);
}

describe('parseSsml()', () => {
  it('plain text is one segment at rate 1, its whitespace collapsed; markup-like text stays text', () => {
    expect(parseSsml('  Здравствуйте,\n Анна  ', 'ru')).toEqual([{ text: 'Здравствуйте, Анна', rate: 1 }]);
    expect(parseSsml('a < b & c', 'en')).toEqual([{ text: 'a < b & c', rate: 1 }]);
    expect(parseSsml('', 'en')).toEqual([]);
  });

  it('speak, break, prosody and say-as make segments; breaks add up, nested rates multiply', () => {
    const ssml = `<?xml version="1.0"?>
<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="ru-RU">
  Здравствуйте! <break time="300ms"/><break strength="weak"/>
  <prosody rate="slow">Вы записаны на <say-as interpret-as="date">08.12.2026</say-as>
    <prosody rate="80%">в <say-as interpret-as="time">9:40</say-as></prosody></prosody>
  <!-- a comment --> Телефон: <say-as interpret-as="telephone">8 (863) 200-00-05</say-as>.
  <break time="1.5s"></break><say-as interpret-as="characters">МРТ</say-as> &amp; <say-as interpret-as="ordinal">3</say-as>
</speak>`;
    expect(parseSsml(ssml, 'ru-RU')).toEqual([
      { text: 'Здравствуйте!', rate: 1 },
      { breakMs: 500 },
      { text: 'Вы записаны на восьмого декабря две тысячи двадцать шестого года', rate: 0.8 },
      { text: 'в девять сорок', rate: 0.64 },
      { text: 'Телефон: восемь, восемьсот шестьдесят три, двести, ноль ноль, ноль пять .', rate: 1 },
      { breakMs: 1500 },
      { text: 'эм эр тэ & третий', rate: 1 },
    ]);
  });

  const RATES: [string, number][] = [['x-slow', 0.6], ['slow', 0.8], ['medium', 1], ['fast', 1.25], ['x-fast', 1.5], ['80%', 0.8], ['150%', 1.5], ['+20%', 1.2], ['-10%', 0.9], ['1.2', 1.2], ['0.5', 0.5]];
  for (const [rate, value] of RATES) {
    it(`prosody rate="${rate}" is ${value}`, () => expect(parseSsml(`<speak><prosody rate="${rate}">да</prosody></speak>`, 'ru')).toEqual([{ text: 'да', rate: value }]));
  }

  it('say-as in English: US dates are month first, ISO dates year first, times with AM/PM, letters spelled', () => {
    const seg = (inner: string) => parseSsml(`<speak>${inner}</speak>`, 'en-US')[0];
    expect(seg('<say-as interpret-as="date">12/08/2026</say-as>')).toEqual({ text: 'December eighth, twenty twenty-six', rate: 1 });
    expect(seg('<say-as interpret-as="date" format="dmy">08.12.2026</say-as>')).toEqual({ text: 'December eighth, twenty twenty-six', rate: 1 });
    expect(seg('<say-as interpret-as="date">2026-12-08</say-as>')).toEqual({ text: 'December eighth, twenty twenty-six', rate: 1 });
    expect(seg('<say-as interpret-as="time">9:40 PM</say-as>')).toEqual({ text: 'nine forty P M', rate: 1 });
    expect(seg('<say-as interpret-as="characters">mri2</say-as>')).toEqual({ text: 'M R I two', rate: 1 });
    expect(seg('<say-as interpret-as="cardinal">1 500</say-as>')).toEqual({ text: 'one thousand five hundred', rate: 1 });
  });

  // [ssml, what the message says, line, column]
  const BAD: [string, RegExp, number, number][] = [
    ['<speak><emphasis>да</emphasis></speak>', /<emphasis> is not supported/, 1, 8],
    ['<speak>\n  <prosody pitch="high">да</prosody></speak>', /<prosody>: attribute pitch is not supported; it takes rate/, 2, 12],
    ['<speak><prosody rate="3">да</prosody></speak>', /rate "3"/, 1, 17],
    ['<speak><prosody rate="very slow">да</prosody></speak>', /rate "very slow"/, 1, 17],
    ['<speak><break time="11s"/></speak>', /longer than 10 s/, 1, 15],
    ['<speak><break time="soon"/></speak>', /not a duration/, 1, 15],
    ['<speak><break strength="huge"/></speak>', /strength "huge"/, 1, 15],
    ['<speak><break time="1s">x</break></speak>', /<break> must be empty/, 1, 8],
    ['<speak><say-as interpret-as="currency">5</say-as></speak>', /interpret-as "currency" is not supported/, 1, 16],
    ['<speak><say-as>5</say-as></speak>', /needs interpret-as/, 1, 8],
    ['<speak><say-as interpret-as="cardinal">пять</say-as></speak>', /"пять" is not a whole number/, 1, 8],
    ['<speak><say-as interpret-as="date">31.02.2026</say-as></speak>', /is not a date/, 1, 8],
    ['<speak><say-as interpret-as="time">25:00</say-as></speak>', /not a time/, 1, 8],
    ['<speak><say-as interpret-as="cardinal" format="dmy">5</say-as></speak>', /format is for interpret-as="date" only/, 1, 40],
    ['<speak><say-as interpret-as="date"><break/>1.1.2026</say-as></speak>', /<break> inside <say-as>/, 1, 36],
    ['<speak><prosody rate="slow">да</speak>', /<\/speak> closes <prosody> \(opened at line 1, column 8\)/, 1, 31],
    ['<speak><prosody rate="slow">да', /<prosody> is not closed/, 1, 8],
    ['<speak>да</speak> нет', /text after <\/speak>/, 1, 18],
    ['<speak xml:lang="en-US">да</speak>', /xml:lang "en-US" differs from the request's language "ru-RU"/, 1, 8],
    ['<speak>a & b</speak>', /bare "&"/, 1, 10],
    ['<speak>&nbsp;</speak>', /unknown entity &nbsp;/, 1, 8],
    ['<speak><prosody rate=slow>да</prosody></speak>', /expected an attribute name="value"/, 1, 17],
    ['<speak><speak>да</speak></speak>', /<speak> inside <speak>/, 1, 8],
  ];
  for (const [ssml, message, line, col] of BAD) {
    it(`refuses ${ssml.replace(/\n/g, ' ')}: names what and where`, () => {
      const e = failure(ssml);
      expect(e.code).toBe('SSML_INVALID');
      expect(e.message).toMatch(message);
      expect(e.message).toContain(`line ${line}, column ${col}`);
      expect(e.where).toEqual({ line, col });
    });
  }
});
