import { fitToCallingHours, callingWindows, type CallingHours } from '../../core/index.js';
import type { Rule } from './verdict.js';
import { CALL_NOW } from './verdict.js';

/** Calling hours keyed by ISO day of week ("1" Monday .. "7" Sunday), as the SQL reads them. */
function hoursByIsoDay(h: CallingHours): Record<string, readonly [string, string] | null> {
  return { 1: h.weekdays, 2: h.weekdays, 3: h.weekdays, 4: h.weekdays, 5: h.weekdays, 6: h.saturday, 7: h.sunday };
}

/**
 * The callee's own clock (the patient's IANA zone) shows a time inside the campaign's calling
 * hours for that day: its weekday's, or Sunday's on a holiday of the hours' calendar, or the
 * weekdays' on a working day moved onto a weekend. Outside them, the next opening on the
 * callee's clock, DST included. PostgreSQL and Node each read the zone rules from their own tzdata.
 */
export function callingWindow(hours: CallingHours): Rule {
  const windows = callingWindows(hours);
  const byIsoDay = JSON.stringify(hoursByIsoDay(hours));
  return {
    name: 'outside-window',
    scope: 'zone',
    test: (c, now) => {
      // 16 days: past the longest run of holidays (the new year's, up to 11 days) and a weekend
      const at = fitToCallingHours({ earliest: now, latest: null }, { timeZone: c.timeZone, windows, calendar: hours.calendar, horizonDays: 16 });
      return at !== null && at.getTime() === now.getTime() ? CALL_NOW : { call: false, notBefore: at, because: 'outside-window' };
    },
    sql: ({ zone, now, param }) => {
      const local = `(${now} at time zone ${zone})`;
      const hhmm = `to_char(${local}, 'HH24:MI')`;
      // the day whose hours apply: a holiday is a Sunday (7), a moved working day a Monday (1)
      const date = `to_char(${local}, 'YYYY-MM-DD')`;
      const day = hours.calendar
        ? `case when ${date} = any(${param(hours.calendar.holidays)}::text[]) then 7 when ${date} = any(${param(hours.calendar.workdays)}::text[]) then 1 else extract(isodow from ${local})::int end`
        : `extract(isodow from ${local})::int`;
      const win = `(${param(byIsoDay)}::jsonb -> (${day})::text)`;
      return `jsonb_typeof(${win}) = 'array' and ${hhmm} >= ${win} ->> 0 and ${hhmm} < ${win} ->> 1`;
    },
  };
}
