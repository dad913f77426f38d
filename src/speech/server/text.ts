import { EN_MONTH, RU_MONTH_GEN, dateWords, numbersToWords, spokenLanguage, type GrammaticalCase } from '../../core/index.js';

/**
 * Text as the voices should read it: dates, clock times, phone numbers and numbers written out
 * in words (ru, en), since RHVoice and espeak-ng read "08.12.2026" digit by digit and "8 декабря"
 * in the nominative. Dates are done here; times ("в 10:00" -> "в десять ноль-ноль", "9:40" ->
 * "девять сорок"), phone numbers (in digit groups), ordinals and plain numbers by the dialog's
 * own rules (numbersToWords in src/core/spoken.ts), so a prompt sounds the same whichever side
 * wrote its numbers out.
 *
 * Throws UnsupportedLanguageError for a language other than Russian or English.
 */
export function normalizeText(text: string, language: string): string {
  const lang = spokenLanguage(language);
  let t = text.replace(/\s+/g, ' ').trim();
  t = lang === 'ru' ? ruDates(t, language) : enDates(t, language);
  t = t.replace(/№\s*(?=\d)/g, lang === 'ru' ? 'номер ' : 'number ');
  return numbersToWords(t, language);
}

const RU_MONTHS = RU_MONTH_GEN.join('|');
/** prepositions after which a Russian date is in the accusative (= nominative for "восьмое") */
const RU_ACC_BEFORE = /(?:^|[^\p{L}])(?:на|по)\s+$/iu;

function validDate(day: number, month: number, year?: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year ?? 2024, month, 0)).getUTCDate();
  return day <= days && (year === undefined || (year >= 1000 && year <= 2999));
}

function ruDate(day: number, month: number, year: number | undefined, before: string, language: string): string {
  const gcase: GrammaticalCase = RU_ACC_BEFORE.test(before) ? 'nom' : 'gen';
  return dateWords(day, month, year, language, { grammaticalCase: gcase });
}

function ruDates(text: string, language: string): string {
  let t = text;
  // "08.12.2026", "8.12.2026 г.", "2026-12-08"
  t = t.replace(/(?<![\p{L}\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*(?:года|г\.))?(?![\p{L}\d]|[.,]\d)/gu, (m, d: string, mo: string, y: string, at: number, all: string) =>
    validDate(+d, +mo, +y) ? ruDate(+d, +mo, +y, all.slice(0, at), language) : m);
  t = t.replace(/(?<![\p{L}\d.,-])(\d{4})-(\d{2})-(\d{2})(?![\p{L}\d]|[.,-]\d)/gu, (m, y: string, mo: string, d: string, at: number, all: string) =>
    validDate(+d, +mo, +y) ? ruDate(+d, +mo, +y, all.slice(0, at), language) : m);
  // "8 декабря", "8 декабря 2026 года", "на 8 декабря"
  t = t.replace(new RegExp(`(?<![\\p{L}\\d])(\\d{1,2})\\s+(${RU_MONTHS})(?:\\s+(\\d{4})(?:\\s*(?:года|г\\.))?)?(?![\\p{L}\\d])`, 'giu'),
    (m, d: string, month: string, y: string | undefined, at: number, all: string) => {
      const mo = RU_MONTH_GEN.indexOf(month.toLowerCase()) + 1;
      return validDate(+d, mo, y ? +y : undefined) ? ruDate(+d, mo, y ? +y : undefined, all.slice(0, at), language) : m;
    });
  return t;
}

function enDates(text: string, language: string): string {
  // en-US (and plain "en") writes month/day/year; other English regions day/month/year
  const us = /^en(?:[-_]us)?$/i.test(language);
  let t = text;
  t = t.replace(/(?<![\p{L}\d/])(\d{1,2})\/(\d{1,2})\/(\d{4})(?![\p{L}\d]|\/\d)/gu, (m, a: string, b: string, y: string) => {
    const [d, mo] = us ? [+b, +a] : [+a, +b];
    return validDate(d, mo, +y) ? dateWords(d, mo, +y, language) : m;
  });
  t = t.replace(/(?<![\p{L}\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\p{L}\d]|[.,]\d)/gu, (m, d: string, mo: string, y: string) =>
    validDate(+d, +mo, +y) ? dateWords(+d, +mo, +y, language) : m);
  t = t.replace(/(?<![\p{L}\d.,-])(\d{4})-(\d{2})-(\d{2})(?![\p{L}\d]|[.,-]\d)/gu, (m, y: string, mo: string, d: string) =>
    validDate(+d, +mo, +y) ? dateWords(+d, +mo, +y, language) : m);
  // "December 8, 2026", "December 8"
  t = t.replace(new RegExp(`\\b(${EN_MONTH.join('|')})\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?(?![\\p{L}\\d])`, 'gu'), (m, month: string, d: string, y: string | undefined) => {
    const mo = EN_MONTH.indexOf(month) + 1;
    return validDate(+d, mo, y ? +y : undefined) ? dateWords(+d, mo, y ? +y : undefined, language) : m;
  });
  return t;
}
