import { ZvonarError } from '../core/index.js';
import { BUILTIN_INTENTS, intentLanguage, intentMatcher, loadScript, scriptMermaid, scriptSvg, stepIntents, type IntentMatcher } from '../dialog/index.js';

/**
 * The matcher `zvonar dialog intents` answers with: a script's step as its listen hears it, or
 * the built-in library of a language (every built-in intent).
 */
export function intentsOf(o: { file?: string | undefined; step?: string | undefined; lang?: string | undefined }): IntentMatcher {
  if (o.file) {
    if (!o.step) throw new ZvonarError('USAGE', 'with a dialog file, say which step hears the answers: --step STEP', {});
    const script = loadScript(o.file);
    if (o.lang && intentLanguage(o.lang) !== intentLanguage(script.language)) {
      throw new ZvonarError('USAGE', `--lang ${o.lang}, but ${o.file} is in ${script.language}`, {});
    }
    return stepIntents(script, o.step);
  }
  if (o.step) throw new ZvonarError('USAGE', '--step needs a dialog file', {});
  return intentMatcher(o.lang ?? 'ru', Object.fromEntries(BUILTIN_INTENTS.map((i) => [i, {}])));
}

export const GRAPH_FORMATS = ['mermaid', 'svg'] as const;

/** A checked script as a diagram: Mermaid text, or a self-contained SVG (no fonts or scripts fetched). */
export function scriptGraph(file: string, format: (typeof GRAPH_FORMATS)[number]): string {
  const script = loadScript(file);
  return format === 'svg' ? scriptSvg(script) : scriptMermaid(script);
}
