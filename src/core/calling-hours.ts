import type { CallingHours, ProductionCalendar } from './types.js';
import { addDays, wallTime, zonedInstant } from './local-time.js';

/**
 * Calling hours on the callee's clock: the first moment at or after a time inside them, read day
 * by day in the callee's zone so a DST change moves the hours with it. The dialer's calling-window
 * rule (src/dialer/rules) and the dialog's "when shall we call back?" both stand on this.
 */

type HM = [hour: number, minute: number];

export type WeekdayKey = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const KEYS: WeekdayKey[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** "09:00" -> [9, 0]; "24:00" closes at midnight */
function parseHM(s: string): HM {
  const m = /^(\d{1,2}):(\d\d)$/.exec(s);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59) throw new RangeError(`calling hours: "${s}" is not a time such as 09:00`);
  return [Number(m[1]), Number(m[2])];
}

const minutes = ([h, m]: HM) => h * 60 + m;

/** a window that closes when or before it opens (past midnight: "20:00"-"02:00") is refused, not silently empty */
function parseWindow([open, close]: [string, string]): [HM, HM] {
  const w: [HM, HM] = [parseHM(open), parseHM(close)];
  if (minutes(w[1]) <= minutes(w[0])) throw new RangeError(`calling hours: "${open}"-"${close}" closes before it opens; split a window past midnight in two`);
  return w;
}

/** The weekday whose hours a local date has: a holiday Sunday's, a moved working day Monday's. */
export function dayKey(d: { year: number; month: number; day: number; weekday: number }, calendar?: ProductionCalendar): WeekdayKey {
  if (calendar) {
    const date = `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
    if (calendar.holidays.includes(date)) return 'sun';
    if (calendar.workdays.includes(date)) return 'mon';
  }
  return KEYS[d.weekday]!;
}

/**
 * The first moment at or after `earliest` (and before `latest` if given) inside the callee's
 * calling hours, read on the callee's clock day by day, so a DST change moves the hours with it,
 * and a holiday of `calendar` has Sunday's hours. null if there is none within `horizonDays`
 * (14 unless given).
 */
export function fitToCallingHours(
  t: { earliest: Date; latest: Date | null },
  hours: { timeZone: string; windows: Record<WeekdayKey, [string, string][]>; calendar?: ProductionCalendar; horizonDays?: number },
): Date | null {
  const start = wallTime(t.earliest, hours.timeZone);
  for (let i = 0; i <= (hours.horizonDays ?? 14); i++) {
    const d = addDays(start, i);
    const windows = (hours.windows[dayKey(d, hours.calendar)] ?? []).map(parseWindow).sort((x, y) => minutes(x[0]) - minutes(y[0]));
    for (const [open, close] of windows) {
      const from = zonedInstant(d.year, d.month, d.day, open[0], open[1], hours.timeZone);
      const to = zonedInstant(d.year, d.month, d.day, close[0], close[1], hours.timeZone);
      const at = from > t.earliest ? from : t.earliest;
      if (t.latest && at >= t.latest) return null;
      if (at < to) return at;
    }
  }
  return null;
}

/** A campaign's calling hours (Monday to Friday alike, then Saturday and Sunday) as fitToCallingHours' windows. */
export function callingWindows(h: CallingHours): Record<WeekdayKey, [string, string][]> {
  const w = (x: CallingHours['weekdays']): [string, string][] => (x ? [[x[0], x[1]]] : []);
  return { mon: w(h.weekdays), tue: w(h.weekdays), wed: w(h.weekdays), thu: w(h.weekdays), fri: w(h.weekdays), sat: w(h.saturday), sun: w(h.sunday) };
}
