import { closest } from './spelling.js';

// Node's ICU lists canonical zones only; aliases it still accepts (Europe/Kiev, Asia/Calcutta)
// are IANA names too, so they pass when ICU resolves them and they have the Area/Location form.
const CANONICAL = new Set<string>(Intl.supportedValuesOf('timeZone'));
const IANA_NAME = /^(?:UTC|Etc\/[A-Za-z0-9+-]+|[A-Z][A-Za-z_-]+(?:\/[A-Za-z0-9_+-]+){1,2})$/;

/**
 * An IANA zone name, such as "Europe/Moscow" or "Asia/Yekaterinburg". Abbreviations ("MSK"),
 * offsets ("+03:00") and misspellings ("Europe/Moskow") are not: an offset ignores the zone's
 * history, and an abbreviation is ambiguous (DOMAIN.md: the zone comes from the address).
 */
export function isIanaTimeZone(tz: string): boolean {
  if (CANONICAL.has(tz)) return true;
  if (!IANA_NAME.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a zone is refused, with the nearest real zone when it looks like a typo. `quote: false`
 * leaves the value out, for a CSV cell (a shifted column puts a patient's name there): the
 * message is then a predicate for the caller's subject, "time_zone must be an IANA time zone…".
 */
export function timeZoneProblem(tz: string, p: { quote?: boolean } = {}): string {
  const near = closest(tz, CANONICAL);
  if (p.quote === false) return `must be an IANA time zone such as Europe/Moscow${near ? `; did you mean ${near}?` : ''}`;
  return `"${tz.slice(0, 40)}" is not an IANA time zone such as Europe/Moscow${near ? `. Did you mean ${near}?` : ''}`;
}
