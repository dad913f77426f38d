/**
 * Wall-clock time in an IANA zone, both ways: what a callee's clock shows at an instant, and the
 * instant at which it shows a given date and time. Node's Intl (full ICU) carries the zone rules,
 * so DST and the odd historical offset (Moscow's +4 of 2011-2014) come from tzdata, not from here.
 */

/** A date and time as a clock on the wall shows it; month 1-12, weekday 0 = Sunday (as Date.getDay) */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // hourCycle h23: with hour12:false some ICU versions print midnight as "24"
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** What a clock in `timeZone` shows at `at`. Throws RangeError for an unknown zone. */
export function wallTime(at: Date, timeZone: string): WallTime {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(at)) if (type !== 'literal') p[type] = Number(value);
  const year = p.year!, month = p.month!, day = p.day!;
  return { year, month, day, hour: p.hour!, minute: p.minute!, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

/** the zone's offset from UTC at `ms`, in ms (Moscow: +3 h) */
function offsetAt(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(new Date(ms))) if (type !== 'literal') p[type] = Number(value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/**
 * The instant at which a clock in `timeZone` shows this date and time. Day, hour and minute may
 * overflow (day 32, hour 24) and roll over as Date.UTC does. A time skipped by a spring-forward
 * change (02:30 in New York on the second Sunday of March) is read on the old offset, so it lands
 * after the gap (03:30), as a clock that was not reset would; a time that happens twice in the
 * autumn is taken the first time.
 */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // the offsets a day either side bracket any single change (zones change at most twice a year)
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const fits = [wall - before, wall - after].filter((t) => t + offsetAt(t, timeZone) === wall);
  return new Date(fits.length ? Math.min(...fits) : wall - before);
}

/** The calendar date `days` after the wall date (any sign), as year, month, day. */
export function addDays(w: Pick<WallTime, 'year' | 'month' | 'day'>, days: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}
