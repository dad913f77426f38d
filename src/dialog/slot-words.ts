import { EN_MONTH, RU_MONTH_GEN, clockWords, enClock, enOnWeekday, ordinal, ruOnWeekday, spokenLanguage } from '../core/index.js';
import { wallTime } from '../core/index.js';

/**
 * An offered slot as the patient hears it, on the clock of the patient's zone: a phrase for the
 * transcript and screens, and the same written out in words for TTS (src/core/spoken.ts).
 */

/** "в понедельник, 7 декабря, в 9:40" / "on Monday, December 7 at 9:40 AM", on the clock of `timeZone` */
export function slotPhrase(start: Date, language: string, timeZone: string): string {
  const lang = spokenLanguage(language);
  const w = wallTime(start, timeZone);
  if (lang === 'ru') return `${ruOnWeekday(w.weekday)}, ${w.day} ${RU_MONTH_GEN[w.month - 1]}, в ${w.hour}:${String(w.minute).padStart(2, '0')}`;
  return `${enOnWeekday(w.weekday)}, ${EN_MONTH[w.month - 1]} ${w.day} at ${enClock(w.hour, w.minute)}`;
}

/** "в понедельник, седьмого декабря, в девять сорок" / "on Monday, December seventh at nine forty A M" */
export function slotWords(start: Date, language: string, timeZone: string): string {
  const lang = spokenLanguage(language);
  const w = wallTime(start, timeZone);
  if (lang === 'ru') {
    return `${ruOnWeekday(w.weekday)}, ${ordinal(w.day, 'ru', { gender: 'n', grammaticalCase: 'gen' })} ${RU_MONTH_GEN[w.month - 1]}, в ${clockWords(w.hour, w.minute, 'ru')}`;
  }
  return `${enOnWeekday(w.weekday)}, ${EN_MONTH[w.month - 1]} ${ordinal(w.day, 'en')} at ${clockWords(w.hour, w.minute, 'en', { twelveHour: true })}`;
}
