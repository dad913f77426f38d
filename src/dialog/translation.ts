import { dirname, join } from 'node:path';
import type { Report } from './verbs/verb.js';
import type { Script } from './script-schema.js';
import { placeholders } from './template.js';
import { VERBS } from './verbs/index.js';

/**
 * A script in a second language names the one it translates (`translates: <id>`, found beside it
 * as <id>.yaml). Both must have the same steps doing the same things, the same prompts with the
 * same placeholders, and the same mailbox and assistant texts: a step missing in the English
 * script is a call that goes somewhere else, or nowhere, for an English speaker. How the patient
 * is addressed is the language's own ("Анна Петровна", "Anna"): their names are not compared.
 */
export function translationFile(file: string, id: string): string {
  return join(dirname(file), `${id}.yaml`);
}

export function checkTranslation(s: Script, original: Script, originalFile: string, report: Report): void {
  const them = `${original.id} (${originalFile})`;
  if (original.language === s.language) report('SCRIPT_TRANSLATION', `translates ${them}, which is in ${s.language} too`, ['translates']);
  const verbOf = (st: Script['steps'][string]) => VERBS.find((v) => st[v.key] !== undefined)?.key;
  for (const name of Object.keys(original.steps).filter((n) => !Object.hasOwn(s.steps, n))) {
    report('SCRIPT_TRANSLATION', `step "${name}" of ${them} is missing here`, ['steps'], 'translate it, or remove it from both');
  }
  for (const [name, st] of Object.entries(s.steps)) {
    if (!Object.hasOwn(original.steps, name)) {
      report('SCRIPT_TRANSLATION', `step "${name}" is not in ${them}`, ['steps', name]);
      continue;
    }
    const o = original.steps[name]!;
    if (verbOf(o) !== verbOf(st)) report('SCRIPT_TRANSLATION', `step "${name}" does ${verbOf(st)} here but ${verbOf(o)} in ${them}`, ['steps', name]);
    if ((o.say === undefined) !== (st.say === undefined)) {
      report('SCRIPT_TRANSLATION', `step "${name}" ${st.say === undefined ? 'says nothing here but has a prompt' : 'has a prompt here but says nothing'} in ${them}`, ['steps', name]);
    } else if (o.say !== undefined && st.say !== undefined) {
      const mine = said(st.say);
      const theirs = said(o.say);
      if (mine !== theirs) report('SCRIPT_TRANSLATION', `step "${name}" says {${mine}} here but {${theirs}} in ${them}`, ['steps', name, 'say']);
    }
  }
  for (const key of ['voicemail', 'screening'] as const) {
    if ((original[key] === undefined) !== (s[key] === undefined)) report('SCRIPT_TRANSLATION', `${key} is ${s[key] === undefined ? 'missing here' : `here but not in ${them}`}`, s[key] === undefined ? ['translates'] : [key]);
  }
}

/** The placeholders a prompt says, but the patient's names (each language addresses people its own way). */
function said(text: string): string {
  return [...new Set(placeholders(text))].filter((p) => !p.startsWith('patient.')).sort().join(', ');
}
