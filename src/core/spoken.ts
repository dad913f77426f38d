import { UnsupportedLanguageError } from './errors.js';

/**
 * Dates, times and numbers as the patient hears them, written out in words (the dialog's slot
 * phrases, src/dialog/slot-words.ts, and the speech server's text normalisation build on these), because TTS engines read "9:40" as "девять двоеточие сорок"
 * or as a ratio, and "7 декабря" in the nominative ("семь декабря").
 *
 * Russian times follow the announcer's form ("в девять сорок", "в десять ноль-ноль", "до
 * восемнадцати ноль-ноль"): it reads the clock as written, with no "часов/минут" to agree, so
 * one rule serves slots and free text alike.
 */

export type Gender = 'm' | 'f' | 'n';
export type GrammaticalCase = 'nom' | 'gen';
type Lang = 'ru' | 'en';

export const SPOKEN_LANGUAGES = ['ru', 'en'] as const;

/** "ru-RU" -> "ru"; throws UnsupportedLanguageError for a language with no words here */
export function spokenLanguage(language: string): Lang {
  const base = language.toLowerCase().split(/[-_]/)[0];
  if (base === 'ru' || base === 'en') return base;
  throw new UnsupportedLanguageError(language, SPOKEN_LANGUAGES);
}

// ---- Russian cardinals --------------------------------------------------------------------

const RU_UNITS = ['ноль', 'один', 'два', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять'];
const RU_UNITS_GEN = ['нуля', 'одного', 'двух', 'трёх', 'четырёх', 'пяти', 'шести', 'семи', 'восьми', 'девяти'];
const RU_TEENS = ['десять', 'одиннадцать', 'двенадцать', 'тринадцать', 'четырнадцать', 'пятнадцать', 'шестнадцать', 'семнадцать', 'восемнадцать', 'девятнадцать'];
const RU_TENS = ['', '', 'двадцать', 'тридцать', 'сорок', 'пятьдесят', 'шестьдесят', 'семьдесят', 'восемьдесят', 'девяносто'];
const RU_TENS_GEN = ['', '', 'двадцати', 'тридцати', 'сорока', 'пятидесяти', 'шестидесяти', 'семидесяти', 'восьмидесяти', 'девяноста'];
const RU_HUNDREDS = ['', 'сто', 'двести', 'триста', 'четыреста', 'пятьсот', 'шестьсот', 'семьсот', 'восемьсот', 'девятьсот'];
const RU_HUNDREDS_GEN = ['', 'ста', 'двухсот', 'трёхсот', 'четырёхсот', 'пятисот', 'шестисот', 'семисот', 'восьмисот', 'девятисот'];

/** Russian plural class: 1, 21 -> one; 2-4, 22 -> few; 0, 5-20, 25 -> many */
function ruPlural(n: number): 0 | 1 | 2 {
  const d = n % 10, h = n % 100;
  if (d === 1 && h !== 11) return 0;
  if (d >= 2 && d <= 4 && (h < 12 || h > 14)) return 1;
  return 2;
}

/** 1..999 in words; gender matters for 1 and 2 only ("одна тысяча", "две минуты") */
function ruBelowThousand(n: number, gender: Gender, gcase: GrammaticalCase): string[] {
  const words: string[] = [];
  const h = Math.floor(n / 100), rest = n % 100;
  if (h) words.push((gcase === 'gen' ? RU_HUNDREDS_GEN : RU_HUNDREDS)[h]!);
  if (rest >= 10 && rest < 20) {
    const teen = RU_TEENS[rest - 10]!;
    words.push(gcase === 'gen' ? teen.slice(0, -1) + 'и' : teen);
  } else {
    const t = Math.floor(rest / 10), u = rest % 10;
    if (t) words.push((gcase === 'gen' ? RU_TENS_GEN : RU_TENS)[t]!);
    if (u) words.push(ruUnit(u, gender, gcase));
  }
  return words;
}

function ruUnit(u: number, gender: Gender, gcase: GrammaticalCase): string {
  if (gcase === 'gen') return u === 1 && gender === 'f' ? 'одной' : RU_UNITS_GEN[u]!;
  if (u === 1) return gender === 'f' ? 'одна' : gender === 'n' ? 'одно' : 'один';
  if (u === 2) return gender === 'f' ? 'две' : 'два';
  return RU_UNITS[u]!;
}

// [nominative one, few, many] and [genitive one, few=many, many]
const RU_SCALES: { size: number; gender: Gender; nom: [string, string, string]; gen: [string, string, string] }[] = [
  { size: 1_000_000, gender: 'm', nom: ['миллион', 'миллиона', 'миллионов'], gen: ['миллиона', 'миллионов', 'миллионов'] },
  { size: 1_000, gender: 'f', nom: ['тысяча', 'тысячи', 'тысяч'], gen: ['тысячи', 'тысяч', 'тысяч'] },
];

function ruCardinal(n: number, gender: Gender, gcase: GrammaticalCase): string {
  if (n === 0) return gcase === 'gen' ? 'нуля' : 'ноль';
  const words: string[] = [];
  let rest = n;
  for (const s of RU_SCALES) {
    const k = Math.floor(rest / s.size);
    rest %= s.size;
    if (!k) continue;
    // "тысяча двести", not "одна тысяча двести": a lone "one" before a scale word goes unsaid
    if (k === 1) words.push(s[gcase][0]);
    else words.push(...ruBelowThousand(k, s.gender, gcase), s[gcase][ruPlural(k)]);
  }
  if (rest) words.push(...ruBelowThousand(rest, gender, gcase));
  return words.join(' ');
}

// ---- Russian ordinals ---------------------------------------------------------------------

/** adjective endings: [m nom, f nom, n nom, m/n gen, f gen] */
const RU_ENDINGS = {
  ый: ['ый', 'ая', 'ое', 'ого', 'ой'],
  ой: ['ой', 'ая', 'ое', 'ого', 'ой'],
  ий: ['ий', 'ья', 'ье', 'ьего', 'ьей'], // третий, the one soft ordinal
} as const;
type Ending = keyof typeof RU_ENDINGS;
const o = (stem: string, e: Ending = 'ый'): [string, Ending] => [stem, e];
const RU_ORD_UNITS = [o('нулев', 'ой'), o('перв'), o('втор', 'ой'), o('трет', 'ий'), o('четвёрт'), o('пят'), o('шест', 'ой'), o('седьм', 'ой'), o('восьм', 'ой'), o('девят')];
const RU_ORD_TEENS = RU_TEENS.map((w) => o(w.slice(0, -1)));
const RU_ORD_TENS = ['', '', 'двадцат', 'тридцат', 'сороков', 'пятидесят', 'шестидесят', 'семидесят', 'восьмидесят', 'девяност'].map((s, i) => o(s, i === 4 ? 'ой' : 'ый'));
const RU_ORD_HUNDREDS = ['', 'сот', 'двухсот', 'трёхсот', 'четырёхсот', 'пятисот', 'шестисот', 'семисот', 'восьмисот', 'девятисот'].map((s) => o(s));

function ruInflect([stem, e]: [string, Ending], gender: Gender, gcase: GrammaticalCase): string {
  const forms = RU_ENDINGS[e];
  const i = gcase === 'nom' ? (gender === 'm' ? 0 : gender === 'f' ? 1 : 2) : gender === 'f' ? 4 : 3;
  return stem + forms[i];
}

/** the first part of "двухтысячный", "двадцатипятитысячный": the genitive stems run together */
function ruThousandPrefix(k: number): string {
  if (k === 1) return '';
  const h = Math.floor(k / 100), rest = k % 100, t = Math.floor(rest / 10), u = rest % 10;
  let s = h === 1 ? 'сто' : h ? RU_HUNDREDS_GEN[h]! : '';
  if (rest >= 10 && rest < 20) s += RU_TEENS[rest - 10]!.slice(0, -1) + 'и';
  else {
    if (t) s += t === 9 ? 'девяносто' : RU_TENS_GEN[t]!;
    if (u) s += u === 1 ? 'одно' : RU_UNITS_GEN[u]!;
  }
  return s;
}

function ruOrdinal(n: number, gender: Gender, gcase: GrammaticalCase): string {
  if (n === 0) return ruInflect(RU_ORD_UNITS[0]!, gender, gcase);
  const thousands = Math.floor(n / 1000), rest = n % 1000;
  if (!rest) return ruInflect([ruThousandPrefix(thousands) + 'тысячн', 'ый'], gender, gcase);
  // only the last word is an ordinal: "две тысячи двадцать шестой"
  const head = thousands ? [ruCardinal(thousands * 1000, 'm', 'nom')] : [];
  const h = Math.floor(rest / 100), r = rest % 100, t = Math.floor(r / 10), u = r % 10;
  if (!r) return [...head, ruInflect(RU_ORD_HUNDREDS[h]!, gender, gcase)].join(' ');
  if (h) head.push(RU_HUNDREDS[h]!);
  if (r >= 10 && r < 20) return [...head, ruInflect(RU_ORD_TEENS[r - 10]!, gender, gcase)].join(' ');
  if (!u) return [...head, ruInflect(RU_ORD_TENS[t]!, gender, gcase)].join(' ');
  if (t) head.push(RU_TENS[t]!);
  return [...head, ruInflect(RU_ORD_UNITS[u]!, gender, gcase)].join(' ');
}

// ---- English ------------------------------------------------------------------------------

const EN_SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function enBelowThousand(n: number): string {
  const h = Math.floor(n / 100), r = n % 100;
  const parts: string[] = [];
  if (h) parts.push(`${EN_SMALL[h]} hundred`);
  if (r >= 20) parts.push(EN_TENS[Math.floor(r / 10)]! + (r % 10 ? `-${EN_SMALL[r % 10]}` : ''));
  else if (r) parts.push(EN_SMALL[r]!);
  return parts.join(' ');
}

function enCardinal(n: number): string {
  if (n === 0) return 'zero';
  const parts: string[] = [];
  for (const [size, name] of [[1_000_000, 'million'], [1_000, 'thousand']] as const) {
    if (n >= size) parts.push(`${enBelowThousand(Math.floor(n / size))} ${name}`);
    n %= size;
  }
  if (n) parts.push(enBelowThousand(n));
  return parts.join(' ');
}

const EN_ORD_IRREGULAR: Record<string, string> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };

function enOrdinal(n: number): string {
  // only the last word changes: "twenty-first", "one hundred second"
  return enCardinal(n).replace(/[a-z]+$/, (w) => EN_ORD_IRREGULAR[w] ?? (w.endsWith('y') ? `${w.slice(0, -1)}ieth` : `${w}th`));
}

// ---- public numbers -----------------------------------------------------------------------

const MAX = 999_999_999;

function checkNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX) throw new RangeError(`cannot say ${n}: whole numbers from 0 to ${MAX} only`);
}

/** "двадцать одна" (f), "двух" (gen), "twenty-one"; gender and case matter in Russian only */
export function cardinal(n: number, language: string, opts: { gender?: Gender; grammaticalCase?: GrammaticalCase } = {}): string {
  const lang = spokenLanguage(language);
  checkNumber(n);
  return lang === 'ru' ? ruCardinal(n, opts.gender ?? 'm', opts.grammaticalCase ?? 'nom') : enCardinal(n);
}

/** "седьмого" (n, gen: a date), "третья" (f), "seventh" */
export function ordinal(n: number, language: string, opts: { gender?: Gender; grammaticalCase?: GrammaticalCase } = {}): string {
  const lang = spokenLanguage(language);
  checkNumber(n);
  return lang === 'ru' ? ruOrdinal(n, opts.gender ?? 'm', opts.grammaticalCase ?? 'nom') : enOrdinal(n);
}

// ---- slots --------------------------------------------------------------------------------

/** after "в": weekdays in the accusative, Sunday first as Date.getDay */
const RU_WEEKDAY_ACC = ['воскресенье', 'понедельник', 'вторник', 'среду', 'четверг', 'пятницу', 'субботу'];
export const RU_MONTH_GEN = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
const EN_WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const EN_MONTH = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "во вторник": "в" before the cluster "вт" is hard to say, so Russian adds a vowel */
export function ruOnWeekday(weekday: number): string {
  const w = RU_WEEKDAY_ACC[weekday]!;
  return `${w.startsWith('вт') ? 'во' : 'в'} ${w}`;
}

export function enOnWeekday(weekday: number): string {
  return `on ${EN_WEEKDAY[weekday]}`;
}

/** "9:40 AM", "12:05 PM" */
export function enClock(hour: number, minute: number): string {
  return `${hour % 12 || 12}:${String(minute).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
}

/**
 * A calendar date in words: "восьмого декабря две тысячи двадцать шестого года" (genitive, as
 * dates are said: "приходите восьмого декабря"), "восьмое декабря ..." (nominative, also the
 * accusative after "на"); "December eighth, twenty twenty-six". The year is optional.
 */
export function dateWords(day: number, month: number, year: number | undefined, language: string, opts: { grammaticalCase?: GrammaticalCase } = {}): string {
  const lang = spokenLanguage(language);
  if (!Number.isInteger(day) || day < 1 || day > 31 || !Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`no such date ${day}.${month}`);
  if (year !== undefined) checkNumber(year);
  if (lang === 'ru') {
    const y = year === undefined ? '' : ` ${ruOrdinal(year, 'm', 'gen')} года`;
    return `${ruOrdinal(day, 'n', opts.grammaticalCase ?? 'gen')} ${RU_MONTH_GEN[month - 1]}${y}`;
  }
  return `${EN_MONTH[month - 1]} ${enOrdinal(day)}${year === undefined ? '' : `, ${enYear(year)}`}`;
}

/** "twenty twenty-six", "nineteen oh five", "nineteen hundred", "two thousand nine" */
function enYear(y: number): string {
  if (y < 1100 || y > 9999 || (y >= 2000 && y < 2010)) return enCardinal(y);
  const hi = enCardinal(Math.floor(y / 100)), lo = y % 100;
  return lo === 0 ? `${hi} hundred` : lo < 10 ? `${hi} oh ${EN_SMALL[lo]}` : `${hi} ${enCardinal(lo)}`;
}

/**
 * A clock time in words: "девять сорок", "девять ноль пять", "десять ноль-ноль" (genitive, after
 * "до", "с": "восемнадцати ноль-ноль"); "nine forty A M", "ten o'clock" (24-hour unless twelveHour).
 */
export function clockWords(hour: number, minute: number, language: string, opts: { grammaticalCase?: GrammaticalCase; twelveHour?: boolean } = {}): string {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23 || !Number.isInteger(minute) || minute < 0 || minute > 59) throw new RangeError(`no such clock time ${hour}:${minute}`);
  return spokenLanguage(language) === 'ru' ? ruTimeWords(hour, minute, opts.grammaticalCase ?? 'nom') : enTimeWords(hour, minute, opts.twelveHour ?? false);
}

function ruTimeWords(hour: number, minute: number, gcase: GrammaticalCase): string {
  const h = ruCardinal(hour, 'm', gcase);
  if (minute === 0) return `${h} ноль-ноль`;
  // minutes are feminine (минута): "девять двадцать одна"
  const m = ruCardinal(minute, 'f', gcase);
  return minute < 10 ? `${h} ноль ${m}` : `${h} ${m}`;
}

/** "nine forty A M", "nine oh five A M", "ten o'clock A M", "noon"; letters spaced so TTS spells "A M" */
function enTimeWords(hour: number, minute: number, twelveHour: boolean): string {
  if (twelveHour && minute === 0 && (hour === 0 || hour === 12)) return hour ? 'noon' : 'midnight';
  const h = enCardinal(twelveHour ? hour % 12 || 12 : hour);
  const m = minute === 0 ? "o'clock" : minute < 10 ? `oh ${EN_SMALL[minute]}` : enCardinal(minute);
  return twelveHour ? `${h} ${m} ${hour < 12 ? 'A M' : 'P M'}` : `${h} ${m}`;
}

// ---- free text ----------------------------------------------------------------------------

/** Russian prepositions that put a following time or number in the genitive */
const RU_GEN_BEFORE = /(?:^|[^\p{L}])(?:до|с|со|после|около|от|без)\s+$/iu;
const RU_MONTHS_RE = RU_MONTH_GEN.join('|');
const EN_MONTHS_RE = EN_MONTH.join('|');
/** a run of at least 7 digits broken by spaces, dashes or brackets, as phone numbers are written */
const PHONE = /(?<![\p{L}\d])\+?\(?\d(?:[\s\-()]*\d){6,14}(?![\p{L}\d])/gu;

/** A phone number read in its digit groups, as numbersToWords reads one in free text. */
export function telephoneWords(written: string, language: string): string {
  return phoneWords(written, spokenLanguage(language));
}

/** "8 (863) 200-00-00" -> "восемь, восемьсот шестьдесят три, двести, ноль ноль, ноль ноль" */
function phoneWords(written: string, lang: Lang): string {
  const groups = written.match(/\d+/g) ?? [];
  const said = groups.map((g) => {
    // English reads every digit; so does Russian past four digits, where a group stops being a number
    if (lang === 'en' || g.length > 4) return [...g].map((d) => (lang === 'en' ? EN_SMALL : RU_UNITS)[Number(d)]).join(' ');
    // Russians read a group as one number, its leading zeros one by one: "05" -> "ноль пять"
    const zeros = g.match(/^0*/)![0].length;
    const rest = g.slice(zeros);
    return [...Array<string>(zeros).fill('ноль'), ...(rest ? [ruCardinal(Number(rest), 'm', 'nom')] : [])].join(' ');
  });
  const plus = written.trimStart().startsWith('+') ? (lang === 'ru' ? 'плюс ' : 'plus ') : '';
  return plus + said.join(', ');
}

/**
 * Digits in free text written out for TTS where the reading is certain: phone numbers (digit
 * groups), clock times, "7 декабря" / "December 7", "7-го", "1st", and whole numbers. What could
 * be read more than one way (decimals "2,5", dates "07.12.2026", numbers over 999 999 999) is
 * left as written, for the TTS engine's own rules.
 */
export function numbersToWords(text: string, language: string): string {
  const lang = spokenLanguage(language);
  const protectedSpans: string[] = [];
  // a converted span becomes private-use characters (no letters, no digits) that no later rule
  // matches, so nothing is converted twice
  const keep = (s: string) => `\uE000${String.fromCharCode(0xe100 + protectedSpans.push(s) - 1)}`;
  let t = text.replace(/(?<![\p{L}\d.,])\d+[.,]\d+(?:[.,]\d+)*(?![\p{L}\d])/gu, keep);
  t = t.replace(PHONE, (m) => (/[\s\-()+]/.test(m.trim()) ? keep(phoneWords(m, lang)) : m));
  if (lang === 'ru') {
    t = t.replace(/(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)/g, (_m, h: string, mi: string, at: number, all: string) =>
      keep(ruTimeWords(Number(h), Number(mi), RU_GEN_BEFORE.test(all.slice(0, at)) ? 'gen' : 'nom')));
    t = t.replace(new RegExp(`(?<!\\d)(\\d{1,2})(\\s+)(${RU_MONTHS_RE})`, 'giu'), (m, d: string, sp: string, month: string) =>
      Number(d) >= 1 && Number(d) <= 31 ? keep(`${ruOrdinal(Number(d), 'n', 'gen')}${sp}${month}`) : m);
    const SUFFIX: Record<string, [Gender, GrammaticalCase]> = { го: ['m', 'gen'], й: ['m', 'nom'], я: ['f', 'nom'], е: ['n', 'nom'], ое: ['n', 'nom'], ая: ['f', 'nom'], ый: ['m', 'nom'], ой: ['m', 'nom'] };
    t = t.replace(/(?<![\p{L}\d])(\d{1,6})-(го|й|я|е|ое|ая|ый|ой)(?![\p{L}\d])/gu, (_m, n: string, s: string) => {
      const [g, c] = SUFFIX[s]!;
      return keep(ruOrdinal(Number(n), g, c));
    });
  } else {
    t = t.replace(/(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?:\s*([AaPp])\.?\s?[Mm]\.?)?(?![\p{L}\d])/gu, (_m, h: string, mi: string, ap?: string) => {
      if (!ap) return keep(enTimeWords(Number(h), Number(mi), false));
      const hour = (Number(h) % 12) + (ap.toLowerCase() === 'p' ? 12 : 0);
      return keep(enTimeWords(hour, Number(mi), true));
    });
    t = t.replace(new RegExp(`(${EN_MONTHS_RE})(\\s+)(\\d{1,2})(?!\\d)`, 'g'), (m, month: string, sp: string, d: string) =>
      Number(d) >= 1 && Number(d) <= 31 ? keep(`${month}${sp}${enOrdinal(Number(d))}`) : m);
    t = t.replace(/(?<![\p{L}\d])(\d{1,9})(st|nd|rd|th)(?![\p{L}\d])/gu, (_m, n: string) => keep(enOrdinal(Number(n))));
  }
  t = t.replace(/(?<![\p{L}\d])\d+(?![\p{L}\d])/gu, (m, at: number, all: string) => {
    if (m.length > 1 && m.startsWith('0')) return keep(phoneWords(m, lang));
    const n = Number(m);
    if (n > MAX) return m;
    return keep(lang === 'ru' ? ruCardinal(n, 'm', RU_GEN_BEFORE.test(all.slice(0, at)) ? 'gen' : 'nom') : enCardinal(n));
  });
  return t.replace(/\uE000(.)/gu, (_m, c: string) => protectedSpans[c.charCodeAt(0) - 0xe100]!);
}
