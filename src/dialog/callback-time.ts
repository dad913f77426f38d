import type { CallingHours } from '../core/index.js';
import { RU_MONTH_GEN, EN_MONTH, addDays, enClock, enOnWeekday, ruOnWeekday, spokenLanguage, wallTime, zonedInstant, type WallTime } from '../core/index.js';

/**
 * "When shall we call back?" (issue 10, `callback`): the callee's words turned into a window in
 * the callee's zone, then fitted to the campaign's calling hours. A time that cannot be pinned to
 * a day ("попозже", "на следующей неделе") is `vague` so the dialog asks again rather than guess.
 *
 * chrono-node 2.10 (ru locale) was tried and not used: it drops the hour of "в пятницу в три",
 * reads "через двадцать минут" as one minute, knows neither "после шести" nor "полдесятого", and
 * takes a fixed offset where DST needs the zone's rules.
 */

export type CallbackTime =
  | { kind: 'at'; earliest: Date; latest: Date | null; /** what was understood, for the transcript: "завтра после 18:00" */ understood: string }
  | { kind: 'vague'; reason: string }
  | null;

export type DayPart = 'morning' | 'afternoon' | 'evening';
type HM = [hour: number, minute: number];

/** Parts of the day as a clinic's caller means them: "утром" is not 6 am, "вечером" not midnight. */
export const DAY_PARTS: Record<DayPart, [from: HM, to: HM]> = {
  morning: [[9, 0], [12, 0]],
  afternoon: [[12, 0], [17, 0]],
  evening: [[17, 0], [21, 0]],
};
/** lunch break: Russian "обед" is 13-14, English "lunch" 12-13; "после обеда" starts at its end */
const LUNCH: Record<'ru' | 'en', [HM, HM]> = { ru: [[13, 0], [14, 0]], en: [[12, 0], [13, 0]] };
/** "в три" is kept to within this much after three: past it the callee did not mean that time */
export const EXACT_TIME_SLACK_MIN = 60;
/**
 * A bare hour on the phone: nobody asks to be called at 3 am or 6 am, and nobody means 10 pm
 * by "в десять", so 1-7 are afternoon/evening hours and 8-12 are as said.
 */
function likelyHour(h: number, part?: 'am' | 'pm' | 'night'): number {
  if (h > 12 || part === 'night') return h;
  if (part === 'am') return h === 12 ? 0 : h;
  if (part === 'pm') return h < 12 ? h + 12 : h;
  return h >= 1 && h <= 7 ? h + 12 : h;
}

type TimeSpec =
  | { kind: 'exact'; at: HM }
  | { kind: 'after'; at: HM }
  | { kind: 'before'; at: HM }
  | { kind: 'range'; from: HM; to: HM }
  | { kind: 'part'; part: DayPart };

/** What the words name, before it is placed on the calendar. */
interface Heard {
  inMinutes?: number;
  inDays?: number;
  inMonths?: number;
  dayOffset?: number;
  weekday?: { day: number; nextWeek: boolean };
  date?: { month: number; day: number };
  weekend?: boolean;
  time?: TimeSpec;
  /** "на следующей неделе": a week, not a day */
  someWeek?: boolean;
  vague?: string;
}

// ---- Russian ------------------------------------------------------------------------------

const RU_NUM: Record<string, number> = {};
const RU_ORD: Record<string, number> = {};
[
  ['ноль нуля', 0], ['один одного одну одна', 1], ['два двух две', 2], ['три трех', 3], ['четыре четырех', 4], ['пять пяти', 5],
  ['шесть шести', 6], ['семь семи', 7], ['восемь восьми', 8], ['девять девяти', 9], ['десять десяти', 10], ['одиннадцать одиннадцати', 11],
  ['двенадцать двенадцати', 12], ['тринадцать тринадцати', 13], ['четырнадцать четырнадцати', 14], ['пятнадцать пятнадцати', 15],
  ['шестнадцать шестнадцати', 16], ['семнадцать семнадцати', 17], ['восемнадцать восемнадцати', 18], ['девятнадцать девятнадцати', 19],
  ['двадцать двадцати', 20], ['тридцать тридцати', 30], ['сорок сорока', 40], ['пятьдесят пятидесяти', 50], ['пару пара пары', 2],
].forEach(([words, n]) => (words as string).split(' ').forEach((w) => (RU_NUM[w] = n as number)));
['первого', 'второго', 'третьего', 'четвертого', 'пятого', 'шестого', 'седьмого', 'восьмого', 'девятого', 'десятого', 'одиннадцатого',
  'двенадцатого', 'тринадцатого', 'четырнадцатого', 'пятнадцатого', 'шестнадцатого', 'семнадцатого', 'восемнадцатого', 'девятнадцатого',
  'двадцатого'].forEach((w, i) => (RU_ORD[w] = i + 1));
RU_ORD['тридцатого'] = 30;
const RU_WEEKDAY: [RegExp, number][] = [
  [/понедельник/, 1], [/вторник/, 2], [/сред[уа]/, 3], [/четверг/, 4], [/пятниц[уа]/, 5], [/суббот[уа]/, 6], [/воскресень/, 0],
];
const RU_VAGUE = /попозже|позже|позднее|потом|как нибудь|когда нибудь|на днях|в другой раз|в другое время|не сейчас|скоро|на неделе|в следующем месяце|в конце недели/;

/** lower case, ё -> е, number words -> digits ("двадцать пятого" -> "25", "ноль-ноль" -> "00") */
function ruNormalize(text: string): string {
  let t = ` ${text.toLowerCase().replace(/ё/g, 'е')} `.replace(/(\d)[.:](\d\d)(?!\d)/g, '$1:$2').replace(/[^\p{L}\d:]+/gu, ' ');
  // "полдесятого", "в половине десятого": half past the hour before
  t = t.replace(/(?<!\p{L})(?:пол ?(\p{L}+[ое]го)|половин[еуа] (\p{L}+[ое]го))/gu, (m, a?: string, b?: string) => {
    const n = RU_ORD[a ?? b ?? ''];
    return n ? `${n - 1 || 12}:30` : m;
  });
  t = t.replace(/нол[ья] нол[ья]/g, '00').replace(/\p{L}+/gu, (w) => String(RU_NUM[w] ?? RU_ORD[w] ?? w));
  t = t.replace(/(?<![\d:])([2-5]0) ([1-9])(?![\d:])/g, (_m, a: string, b: string) => String(Number(a) + Number(b)));
  // "десять тридцать" -> 10:30, "девять 0 5" -> 9:05, "10 00" -> 10:00
  t = t.replace(/(?<![\d:])(\d{1,2}) (?:час\p{L}* )?(00|0 \d|[1-5]\d)(?: минут\p{L}*)?(?![\d:])/gu, (m, h: string, mi: string) =>
    Number(h) <= 24 ? `${h}:${mi.replace(' ', '')}` : m);
  return t.replace(/\s+/g, ' ');
}

/** words are matched whole: "сегодня" ends in "дня" */
function ruPart(t: string): 'am' | 'pm' | 'night' | undefined {
  if (/ (?:утра|утром) /.test(t)) return 'am';
  if (/ (?:дня|днем|вечера|вечером) /.test(t)) return 'pm';
  if (/ ночи /.test(t)) return 'night';
  return undefined;
}

const HOUR = String.raw`(\d{1,2})(?::(\d\d))?(?!\d)`;
const RU_MONTH_STEMS = ['январ', 'феврал', 'март', 'апрел', 'ма[яй]', 'июн', 'июл', 'август', 'сентябр', 'октябр', 'ноябр', 'декабр'];
const RU_DATE = new RegExp(`(\\d{1,2}) (?:числа|(${RU_MONTH_STEMS.join('|')})\\p{L}*)`, 'u');
const hm = (h: string, m: string | undefined, part?: 'am' | 'pm' | 'night'): HM => [likelyHour(Number(h), part), Number(m ?? 0)];

function hearRussian(text: string): Heard {
  const t = ruNormalize(text);
  const heard: Heard = {};
  const vague = t.match(RU_VAGUE)?.[0];
  if (vague) heard.vague = vague;
  // "через 20 минут", "через минут 20", "минут через 20"
  const rel = t.match(/через (?:(\d+) )?(пол|полтора|полторы)? ?(минут\p{L}*|мин|час\p{L}*|день|дн\p{L}*|сут\p{L}*|недел\p{L}*|месяц\p{L}*)(?: (\d+))?/u)
    ?? t.match(/()()(минут\p{L}*|час\p{L}*|дн\p{L}*) через (\d+)/u);
  let rest = t;
  if (rel) {
    rest = t.replace(rel[0], ' ');
    const count = rel[2] === 'пол' ? 0.5 : rel[2] ? 1.5 : Number(rel[1] || rel[4] || 1);
    const unit = rel[3]!;
    if (unit.startsWith('мин')) heard.inMinutes = count;
    else if (unit.startsWith('час')) heard.inMinutes = count * 60;
    else if (unit.startsWith('недел')) heard.inDays = Math.round(count * 7);
    else if (unit.startsWith('месяц')) heard.inMonths = Math.max(1, Math.round(count));
    else heard.inDays = Math.round(count);
  }
  if (/послезавтра/.test(rest)) heard.dayOffset = 2;
  else if (/завтра/.test(rest)) heard.dayOffset = 1;
  else if (/сегодня/.test(rest)) heard.dayOffset = 0;
  for (const [re, day] of RU_WEEKDAY) if (re.test(rest)) heard.weekday = { day, nextWeek: /следующ\p{L}* недел|той недел/u.test(rest) };
  const dm = rest.match(RU_DATE);
  if (dm) {
    rest = rest.replace(dm[0], ' ');
    heard.date = { month: dm[2] ? RU_MONTH_STEMS.findIndex((m) => new RegExp(`^${m}`).test(dm[2]!)) + 1 : 0, day: Number(dm[1]) };
  }
  if (/выходн/.test(rest)) heard.weekend = true;
  if (/следующ\p{L}* недел|той недел/u.test(rest) && !heard.weekday) heard.someWeek = true;
  const part = ruPart(rest);
  let m: RegExpMatchArray | null;
  if ((m = rest.match(new RegExp(` (?:между|с) ${HOUR}(?: час\\p{L}*)? (?:и|до|по) ${HOUR}`, 'u')))) {
    heard.time = { kind: 'range', from: hm(m[1]!, m[2], part), to: hm(m[3]!, m[4], part) };
  } else if ((m = rest.match(new RegExp(` (?:после|не раньше) ${HOUR}`)))) heard.time = { kind: 'after', at: hm(m[1]!, m[2], part) };
  else if ((m = rest.match(new RegExp(` (?:до|не позже|не позднее) ${HOUR}`)))) heard.time = { kind: 'before', at: hm(m[1]!, m[2], part) };
  else if ((m = rest.match(new RegExp(` (?:в|во|к|на|около|часов|часиков|часа|ровно) ${HOUR}`)) ?? rest.match(/ (\d{1,2}):(\d\d)/)
    ?? rest.match(new RegExp(` ${HOUR} (?:час\\p{L}* )?(?:утра|дня|вечера|ночи) `, 'u')))) {
    heard.time = { kind: 'exact', at: hm(m[1]!, m[2], part) };
  } else if (/ в час /.test(rest)) heard.time = { kind: 'exact', at: hm('1', '0', part) };
  else if (/после обеда/.test(rest)) heard.time = { kind: 'after', at: LUNCH.ru[1] };
  else if (/до обеда/.test(rest)) heard.time = { kind: 'before', at: LUNCH.ru[0] };
  else if (/к обеду/.test(rest)) heard.time = { kind: 'range', from: DAY_PARTS.morning[1], to: LUNCH.ru[0] };
  else if (/в обед/.test(rest)) heard.time = { kind: 'range', from: LUNCH.ru[0], to: LUNCH.ru[1] };
  else if (/(?:ближе )?к вечеру/.test(rest)) heard.time = { kind: 'range', from: [16, 0], to: DAY_PARTS.evening[1] };
  else if (/ утр|первой половине/.test(rest)) heard.time = { kind: 'part', part: 'morning' };
  else if (/ днем |второй половине/.test(rest)) heard.time = { kind: 'part', part: 'afternoon' };
  else if (/вечер/.test(rest)) heard.time = { kind: 'part', part: 'evening' };
  return heard;
}

// ---- English ------------------------------------------------------------------------------

const EN_NUM: Record<string, number> = {};
['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen',
  'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'].forEach((w, i) => (EN_NUM[w] = i));
Object.assign(EN_NUM, { thirty: 30, forty: 40, fifty: 50, a: 1, an: 1, couple: 2, few: 3 });
const EN_WEEKDAY = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const EN_VAGUE = /\blater\b|some ?time|another time|other time|some other day|in a bit|in a while|not now|soon|one of these days|next month/;

function hearEnglish(text: string): Heard {
  let t = ` ${text.toLowerCase().replace(/\b([ap])\.?m\b\.?/g, '$1m').replace(/[^a-z\d:' ]+/g, ' ')} `;
  const heard: Heard = {};
  const vague = t.match(EN_VAGUE)?.[0];
  if (vague) heard.vague = vague.trim();
  t = t.replace(/\ba (couple|few)(?: of)?\b/g, (_m, w: string) => String(EN_NUM[w]));
  t = t.replace(/half past (\w+)/g, (m, h: string) => (EN_NUM[h] ?? Number(h)) ? `${EN_NUM[h] ?? h}:30` : m);
  t = t.replace(/\b(twenty|thirty|forty|fifty) (one|two|three|four|five|six|seven|eight|nine)\b/g, (_m, a: string, b: string) => String(EN_NUM[a]! + EN_NUM[b]!));
  t = t.replace(/\b(?!an?\b)[a-z]+\b/g, (w) => (w in EN_NUM ? String(EN_NUM[w]) : w)).replace(/\b(\d{1,2}) (\d\d)\b/g, '$1:$2');
  let rest = t;
  const rel = t.match(/\bin (?:(\d+|an?|half an?) )?(?:of )?(minutes?|mins?|hours?|days?|weeks?|months?)/);
  if (rel) {
    rest = t.replace(rel[0], ' ');
    const q = rel[1] ?? '1';
    const count = q.startsWith('half') ? 0.5 : /^an?$/.test(q) ? 1 : Number(q);
    const unit = rel[2]!;
    if (unit.startsWith('min')) heard.inMinutes = count;
    else if (unit.startsWith('hour')) heard.inMinutes = count * 60;
    else if (unit.startsWith('week')) heard.inDays = Math.round(count * 7);
    else if (unit.startsWith('month')) heard.inMonths = Math.max(1, Math.round(count));
    else heard.inDays = Math.round(count);
  }
  if (/day after tomorrow/.test(rest)) heard.dayOffset = 2;
  else if (/tomorrow/.test(rest)) heard.dayOffset = 1;
  else if (/today|tonight|this (?:morning|afternoon|evening)/.test(rest)) heard.dayOffset = 0;
  EN_WEEKDAY.forEach((d, i) => { if (rest.includes(d)) heard.weekday = { day: i, nextWeek: /next week|week after/.test(rest) }; });
  const months = EN_MONTH.map((m) => m.toLowerCase()).join('|');
  const dm = rest.match(new RegExp(`(${months}) (?:the )?(\\d{1,2})(?:st|nd|rd|th)?\\b|(?:the )?(\\d{1,2})(?:st|nd|rd|th)? of (${months})`));
  if (dm) {
    rest = rest.replace(dm[0], ' ');
    heard.date = { month: EN_MONTH.findIndex((m) => m.toLowerCase() === (dm[1] ?? dm[4])) + 1, day: Number(dm[2] ?? dm[3]) };
  }
  if (/weekend/.test(rest)) heard.weekend = true;
  if (/next week/.test(rest) && !heard.weekday) heard.someWeek = true;
  const part = /\bam\b|morning/.test(rest) ? 'am' : /\bpm\b|afternoon|evening|tonight/.test(rest) ? 'pm' : undefined;
  const H = String.raw`(\d{1,2})(?::(\d\d))?(?: ?o'clock)?`;
  let m: RegExpMatchArray | null;
  if ((m = rest.match(new RegExp(` (?:between|from) ${H}(?: ?[ap]m)? (?:and|to|till|until) ${H}`)))) {
    heard.time = { kind: 'range', from: hm(m[1]!, m[2], part), to: hm(m[3]!, m[4], part) };
  } else if ((m = rest.match(new RegExp(` (?:after|not before) ${H}`)))) heard.time = { kind: 'after', at: hm(m[1]!, m[2], part) };
  else if ((m = rest.match(new RegExp(` (?:before|by|not after) ${H}`)))) heard.time = { kind: 'before', at: hm(m[1]!, m[2], part) };
  else if ((m = rest.match(new RegExp(` (?:at|around|about) ${H}`)) ?? rest.match(/ (\d{1,2})(?::(\d\d))? ?[ap]m/) ?? rest.match(/ (\d{1,2}):(\d\d)/))) {
    heard.time = { kind: 'exact', at: hm(m[1]!, m[2], part) };
  } else if (/\bnoon\b|midday/.test(rest)) heard.time = { kind: /before noon/.test(rest) ? 'before' : 'exact', at: [12, 0] };
  else if (/after lunch/.test(rest)) heard.time = { kind: 'after', at: LUNCH.en[1] };
  else if (/before lunch/.test(rest)) heard.time = { kind: 'before', at: LUNCH.en[0] };
  else if (/morning/.test(rest)) heard.time = { kind: 'part', part: 'morning' };
  else if (/afternoon/.test(rest)) heard.time = { kind: 'part', part: 'afternoon' };
  else if (/evening|tonight/.test(rest)) heard.time = { kind: 'part', part: 'evening' };
  return heard;
}

// ---- placing on the calendar --------------------------------------------------------------

type Day = { year: number; month: number; day: number; weekday: number };

/** The callee's words as a window in their zone; `vague` when no day can be fixed; null when no time is named. */
export function parseCallbackTime(text: string, opts: { language: string; now: Date; timeZone: string }): CallbackTime {
  const lang = spokenLanguage(opts.language);
  const heard = lang === 'ru' ? hearRussian(text) : hearEnglish(text);
  const { now, timeZone } = opts;
  const today = wallTime(now, timeZone);
  const say = (d: Day, label: string) => {
    const day = dayLabel(d, today, lang);
    // "в понедельник, 7 декабря, утром": the date is set off by commas, as in slotPhrase
    return { understood: !label ? day : `${day}${lang === 'ru' && day.includes(',') ? ',' : ''} ${label}` };
  };

  if (heard.inMinutes !== undefined) {
    const at = new Date(now.getTime() + Math.round(heard.inMinutes * 60_000));
    const w = wallTime(at, timeZone);
    return { kind: 'at', earliest: at, latest: null, ...say(w, exactLabel([w.hour, w.minute], lang)) };
  }
  let day: Day | null = null;
  if (heard.inDays !== undefined) day = addDays(today, heard.inDays);
  else if (heard.inMonths !== undefined) day = addMonths(today, heard.inMonths);
  else if (heard.date && heard.date.day >= 1 && heard.date.day <= 31) day = nextDate(today, heard.date);
  else if (heard.weekday) day = nextWeekday(today, heard.weekday.day, heard.weekday.nextWeek);
  else if (heard.dayOffset !== undefined) day = addDays(today, heard.dayOffset);
  else if (heard.weekend) day = today.weekday === 6 || today.weekday === 0 ? addDays(today, 0) : nextWeekday(today, 6, false);

  if (!day && heard.someWeek) return { kind: 'vague', reason: lang === 'ru' ? 'неделя без дня' : 'a week but no day' };
  if (!day && !heard.time) {
    if (heard.vague) return { kind: 'vague', reason: heard.vague };
    return null;
  }
  const window = (d: Day): { from: Date; to: Date; label: string } => {
    const at = (x: HM) => zonedInstant(d.year, d.month, d.day, x[0], x[1], timeZone);
    const dayEnd = zonedInstant(d.year, d.month, d.day + 1, 0, 0, timeZone);
    const time = heard.time;
    if (!time) {
      // "на выходных": Saturday and Sunday
      const end = heard.weekend && d.weekday === 6 ? zonedInstant(d.year, d.month, d.day + 2, 0, 0, timeZone) : dayEnd;
      return { from: at([0, 0]), to: end, label: '' };
    }
    if (time.kind === 'exact') return { from: at(time.at), to: new Date(at(time.at).getTime() + EXACT_TIME_SLACK_MIN * 60_000), label: exactLabel(time.at, lang) };
    if (time.kind === 'after') return { from: at(time.at), to: dayEnd, label: `${lang === 'ru' ? 'после' : 'after'} ${clock(time.at, lang)}` };
    if (time.kind === 'before') return { from: at([0, 0]), to: at(time.at), label: `${lang === 'ru' ? 'до' : 'before'} ${clock(time.at, lang)}` };
    if (time.kind === 'range') {
      return { from: at(time.from), to: at(time.to), label: lang === 'ru' ? `с ${clock(time.from, lang)} до ${clock(time.to, lang)}` : `between ${clock(time.from, lang)} and ${clock(time.to, lang)}` };
    }
    const [from, to] = DAY_PARTS[time.part];
    return { from: at(from), to: at(to), label: PART_LABEL[lang][time.part] };
  };
  // no day named: today if the time is still ahead, else tomorrow ("вечером" said at 22:00)
  if (!day) {
    const w = window(today);
    const ahead = heard.time?.kind === 'exact' ? w.from > now : w.to > now;
    day = ahead ? addDays(today, 0) : addDays(today, 1);
  }
  const w = window(day);
  if (w.to <= now) return { kind: 'vague', reason: lang === 'ru' ? 'это время уже прошло' : 'that time has passed' };
  const earliest = w.from > now ? w.from : now;
  return { kind: 'at', earliest, latest: w.to, ...say(day, w.label) };
}

const PART_LABEL = { ru: { morning: 'утром', afternoon: 'днём', evening: 'вечером' }, en: { morning: 'in the morning', afternoon: 'in the afternoon', evening: 'in the evening' } };

function clock([h, m]: HM, lang: 'ru' | 'en'): string {
  return lang === 'ru' ? `${h}:${String(m).padStart(2, '0')}` : enClock(h, m);
}
function exactLabel(at: HM, lang: 'ru' | 'en'): string {
  return `${lang === 'ru' ? 'в' : 'at'} ${clock(at, lang)}`;
}

function dayLabel(d: Day, today: WallTime, lang: 'ru' | 'en'): string {
  const diff = Math.round((Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(today.year, today.month - 1, today.day)) / 86_400_000);
  const named = lang === 'ru' ? ['сегодня', 'завтра', 'послезавтра'][diff] : ['today', 'tomorrow'][diff];
  if (named) return named;
  const weekday = addDays(d, 0).weekday;
  return lang === 'ru' ? `${ruOnWeekday(weekday)}, ${d.day} ${RU_MONTH_GEN[d.month - 1]}` : `${enOnWeekday(weekday)}, ${EN_MONTH[d.month - 1]} ${d.day}`;
}

/** the named weekday after today; with `nextWeek`, the one in the Monday-to-Sunday week after this */
function nextWeekday(today: WallTime, weekday: number, nextWeek: boolean): Day {
  if (!nextWeek) return addDays(today, ((weekday - today.weekday + 6) % 7) + 1);
  const toMonday = ((1 - today.weekday + 7) % 7) || 7;
  return addDays(today, toMonday + ((weekday + 6) % 7));
}

/** "7 декабря": this year, or next if already past; "15 числа" (month 0): this month, or next */
function nextDate(today: WallTime, d: { month: number; day: number }): Day {
  if (!d.month) return addDays({ year: today.year, month: d.day >= today.day ? today.month : today.month + 1, day: d.day }, 0);
  const past = d.month < today.month || (d.month === today.month && d.day < today.day);
  return addDays({ year: today.year + (past ? 1 : 0), month: d.month, day: d.day }, 0);
}

/** a month later, on the same day or the month's last ("через месяц" on January 31 is February 28) */
function addMonths(today: WallTime, n: number): Day {
  const last = new Date(Date.UTC(today.year, today.month - 1 + n + 1, 0)).getUTCDate();
  return addDays({ year: today.year, month: today.month + n, day: Math.min(today.day, last) }, 0);
}

// ---- calling hours ------------------------------------------------------------------------
