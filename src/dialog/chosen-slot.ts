import type { Slot } from '../core/index.js';
import { addDays, wallTime, zonedInstant } from '../core/index.js';

/**
 * Which offered slot the callee chose, from what the intent library read in their words (the
 * built-in `choose`: {ordinal} "второе", "последний"; {weekday} "давайте на вторник", ISO, Monday
 * = 1; {time} "в 10:20"), on the clinic's clock. null when nothing offered fits, or more than
 * one does: the step asks again rather than book a guess.
 */
export function chosenSlot(offered: readonly Slot[], said: Readonly<Record<string, string | number>>, timeZone: string): Slot | null {
  const { ordinal, weekday, time } = said;
  if (typeof ordinal === 'number') return (ordinal === -1 ? offered.at(-1) : offered[ordinal - 1]) ?? null;
  const fits = (s: Slot) => {
    const w = wallTime(s.startsAt, timeZone);
    const hhmm = `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
    return (typeof weekday !== 'number' || (w.weekday || 7) === weekday) && (typeof time !== 'string' || hhmm === time);
  };
  if (typeof weekday !== 'number' && typeof time !== 'string') return null;
  // "давайте на вторник" with two Tuesday times offered is not an answer yet
  const hits = offered.filter(fits);
  return hits.length === 1 ? hits[0]! : null;
}

/**
 * From when a slots step asking for more offers: after the last slot offered ("а попозже?"), or
 * from the start of the day after it ("другой день"), on the clinic's clock. null: nothing was
 * offered yet, so from now.
 */
export function offerAfter(offered: readonly Slot[], from: 'later' | 'another_day', timeZone: string): Date | null {
  const last = offered.at(-1);
  if (!last) return null;
  if (from === 'later') return last.startsAt;
  const next = addDays(wallTime(last.startsAt, timeZone), 1);
  // a moment before the next day's midnight, so a slot at 00:00 is offered too (offers are strictly after)
  return new Date(zonedInstant(next.year, next.month, next.day, 0, 0, timeZone).getTime() - 1);
}
