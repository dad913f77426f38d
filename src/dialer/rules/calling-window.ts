import { fitToCallingHours, callingWindows, type CallingHours } from '../../core/index.js';
import type { Rule } from './verdict.js';
import { CALL_NOW } from './verdict.js';

/** Calling hours keyed by ISO day of week ("1" Monday .. "7" Sunday), as the SQL reads them. */
function hoursByIsoDay(h: CallingHours): Record<string, readonly [string, string] | null> {
  return { 1: h.weekdays, 2: h.weekdays, 3: h.weekdays, 4: h.weekdays, 5: h.weekdays, 6: h.saturday, 7: h.sunday };
}

/**
 * The callee's own clock (the patient's IANA zone) shows a time inside the campaign's calling
 * hours for that weekday. Outside them, the next opening on the callee's clock, DST included.
 * PostgreSQL and Node each read the zone rules from their own tzdata.
 */
export function callingWindow(hours: CallingHours): Rule {
  const windows = callingWindows(hours);
  const byIsoDay = JSON.stringify(hoursByIsoDay(hours));
  return {
    name: 'outside-window',
    scope: 'zone',
    test: (c, now) => {
      const at = fitToCallingHours({ earliest: now, latest: null }, { timeZone: c.timeZone, windows, horizonDays: 8 });
      return at !== null && at.getTime() === now.getTime() ? CALL_NOW : { call: false, notBefore: at, because: 'outside-window' };
    },
    sql: ({ zone, now, param }) => {
      const local = `(${now} at time zone ${zone})`;
      const hhmm = `to_char(${local}, 'HH24:MI')`;
      const win = `(${param(byIsoDay)}::jsonb -> extract(isodow from ${local})::int::text)`;
      return `jsonb_typeof(${win}) = 'array' and ${hhmm} >= ${win} ->> 0 and ${hhmm} < ${win} ->> 1`;
    },
  };
}
