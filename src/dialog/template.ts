/**
 * Prompts are text with {placeholders}: {patient.first_name}, {clinic.name}, {slot.1} ...
 * Placeholders are checked when the script compiles, so a typo never reaches a patient.
 */
export const TEMPLATE_VARS = [
  'patient.first_name', 'patient.middle_name', 'patient.last_name', 'clinic.name', 'clinic.phone',
  'slot.1', 'slot.2', 'slot.3', 'slot.4', 'slot.5', 'booked',
] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];

const PLACEHOLDER = /\{([a-z_.0-9]+)\}/g;

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Fills placeholders; a value the call lacks becomes an empty string (never "{x}" spoken aloud). */
export function render(text: string, vars: Partial<Record<TemplateVar, string>>): string {
  return text
    .replace(PLACEHOLDER, (_, k: string) => vars[k as TemplateVar] ?? '')
    .replace(/\s+([,.!?])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** "в среду, 26 ноября, в 09:40" — a slot as the patient hears it, in the clinic's time zone. */
export function speakSlot(start: Date, language: string, timeZone: string): string {
  const day = new Intl.DateTimeFormat(language, { weekday: 'long', day: 'numeric', month: 'long', timeZone }).format(start);
  const time = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(start);
  return language.startsWith('ru') ? `${day}, в ${time}` : `${day}, at ${time}`;
}
