import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, ZvonarError } from '../core/index.js';
import {
  BUILTIN_INTENTS, intentLanguage, intentMatcher, loadScript, loadSuite, runSuite, scriptMermaid, scriptSvg, stepIntents, type IntentMatcher,
} from '../dialog/index.js';
import { Vad } from '../media/index.js';
import { toZvonarError } from './errors.js';

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

export interface DialogTestSummary {
  cases: number;
  failed: number;
  /** suite files that could not be read (their problems were printed) */
  unreadable: number;
}

/**
 * `zvonar dialog test`: runs each suite (or every *.yaml of `dir`), printing one line per case,
 * each failed expectation under it as file:line:col, and a summary. Barge-in hears the callee
 * through media's Vad, as in calls: the app picks it, so the dialog folder stays free of media.
 */
export async function runDialogTests(o: { files: string[]; dir: string }, out: (line: string) => void): Promise<DialogTestSummary> {
  const files = o.files.length ? o.files : suitesIn(o.dir);
  const sum: DialogTestSummary = { cases: 0, failed: 0, unreadable: 0 };
  for (const file of files) {
    let suite;
    try {
      suite = loadSuite(file);
    } catch (err) {
      const e = toZvonarError(err);
      if (e.code === 'INTERNAL' || !e.where.file) throw err;
      out(e.describe());
      sum.unreadable++;
      continue;
    }
    for (const r of await runSuite(suite, { vad: () => new Vad() })) {
      sum.cases++;
      if (!r.ok) sum.failed++;
      out(`${r.ok ? 'ok    ' : 'FAILED'} ${file} ${r.name} (${Math.max(1, Math.round(r.ms))} ms; a ${(r.callMs / 1000).toFixed(1)} s call)`);
      for (const f of r.failures) out(`  ${f.where}: ${f.what}`);
    }
  }
  out(`${sum.cases} case${sum.cases === 1 ? '' : 's'}, ${sum.failed} failed${sum.unreadable ? `, ${sum.unreadable} suite file${sum.unreadable === 1 ? '' : 's'} unreadable` : ''}`);
  return sum;
}

function suitesIn(dir: string): string[] {
  // named from the working folder when under it: shorter lines, and the file:line:col still opens
  const shown = (f: string) => (relative(process.cwd(), f).startsWith('..') ? f : relative(process.cwd(), f));
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => shown(join(dir, f))) : [];
  if (!files.length) throw new ConfigError('CONFIG_NOT_FOUND', `no dialog test suites (*.yaml) in ${dir}`, { path: dir }, { hint: 'name suite files, or reinstall zvonar: its dialogs/tests/ ships next to dist/' });
  return files;
}
