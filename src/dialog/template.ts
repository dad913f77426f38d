import { closest } from '../core/index.js';
/**
 * Prompts are text with {placeholders}: {patient.first_name}, {clinic.name}, {slot.1} ...
 * Placeholders are checked when the script compiles, so a typo never reaches a patient.
 */
export const TEMPLATE_VARS = [
  'patient.first_name', 'patient.middle_name', 'patient.last_name', 'clinic.name', 'clinic.phone',
  'slot.1', 'slot.2', 'slot.3', 'slot.4', 'slot.5', 'booked', 'visit', 'callback',
] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];
/**
 * What may be said to whoever answers before the patient is known to be on the line (a mailbox,
 * a screening assistant): the clinic, never the patient's name or an appointment.
 */
export const IMPERSONAL_VARS: readonly TemplateVar[] = ['clinic.name', 'clinic.phone'];

const PLACEHOLDER = /\{([a-z_.0-9]+)\}/g;

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** What is wrong with a prompt's braces, and the placeholder that was probably meant. */
export interface TemplateProblem {
  message: string;
  /** the nearest known placeholder, for "Did you mean ...?" */
  meant?: string;
}

/**
 * Every "{" and "}" of a prompt that is not part of a known placeholder: such text would be
 * spoken as it stands, braces and all. `nearest` suggests a known name for a misspelt one.
 */
export function templateProblems(text: string, nearest: (word: string, names: readonly string[]) => string | undefined): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const known = TEMPLATE_VARS as readonly string[];
  const shown = (s: string) => JSON.stringify(s.length > 30 ? `${s.slice(0, 30)}…` : s);
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    const close = text.indexOf('}', i);
    if (open < 0 && close < 0) break;
    if (close >= 0 && (open < 0 || close < open)) {
      problems.push({ message: `has a "}" with no "{" before it, near ${shown(text.slice(Math.max(0, close - 20), close + 1))}` });
      i = close + 1;
      continue;
    }
    const end = text.indexOf('}', open + 1);
    const reopen = text.indexOf('{', open + 1);
    if (end < 0 || (reopen >= 0 && reopen < end)) {
      const upto = reopen >= 0 && (end < 0 || reopen < end) ? reopen : text.length;
      const inner = text.slice(open + 1, upto);
      const meant = nearest(inner.trim(), known);
      problems.push({ message: `has a "{" that is never closed: ${shown(text.slice(open, upto))}`, ...(meant ? { meant } : {}) });
      i = upto;
      continue;
    }
    const inner = text.slice(open + 1, end);
    i = end + 1;
    if (known.includes(inner)) continue;
    if (inner === '') {
      problems.push({ message: 'has an empty placeholder {}' });
    } else if (known.includes(inner.trim())) {
      problems.push({ message: `writes ${shown(`{${inner}}`)} with spaces inside the braces`, meant: inner.trim() });
    } else if (/^[a-z_.0-9]+$/.test(inner)) {
      const meant = nearest(inner, known);
      problems.push({ message: `says {${inner}}, which no call has`, ...(meant ? { meant } : {}) });
    } else {
      const meant = nearest(inner.trim(), known);
      problems.push({ message: `has ${shown(`{${inner}}`)}, which is not a placeholder`, ...(meant ? { meant } : {}) });
    }
  }
  return problems;
}

/** Reports each problem of a prompt's braces (SCRIPT_TEMPLATE) at `path`, naming it as `what` ("step \"offer\"", "safety.operator.say"). */
export function checkPrompt(text: string, what: string, path: (string | number)[], report: (code: 'SCRIPT_TEMPLATE', message: string, path: (string | number)[]) => void): void {
  for (const p of templateProblems(text, closest)) report('SCRIPT_TEMPLATE', `${what} ${p.message}.${p.meant ? ` Did you mean {${p.meant}}?` : ''}`, path);
}

/** Fills placeholders; a value the call lacks becomes an empty string (never "{x}" spoken aloud). */
export function render(text: string, vars: Partial<Record<TemplateVar, string>>): string {
  return text
    .replace(PLACEHOLDER, (_, k: string) => vars[k as TemplateVar] ?? '')
    .replace(/\s+([,.!?])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
