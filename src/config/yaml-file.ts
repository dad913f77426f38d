import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ErrorCode, type ZvonarError } from '../core/index.js';

type ErrorClass = new (code: ErrorCode, message: string, where: { file: string; line?: number; col?: number }, opts?: { hint?: string; cause?: unknown }) => ZvonarError;

/**
 * A YAML file read with positions, so that every problem found in it, by the schema or by a
 * later check, names the file, line and column.
 */
export class YamlFile {
  readonly file: string;
  readonly #doc: Document;
  readonly #lines = new LineCounter();
  readonly #Err: ErrorClass;

  constructor(file: string, text: string | undefined, opts: { error?: ErrorClass; syntaxCode?: ErrorCode } = {}) {
    this.file = file;
    this.#Err = opts.error ?? ConfigError;
    const src = text ?? readText(file, this.#Err);
    this.#doc = parseDocument(src, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    const e = this.#doc.errors[0];
    if (e) {
      const { line, col } = this.#lines.linePos(e.pos[0]);
      throw new this.#Err(opts.syntaxCode ?? 'CONFIG_INVALID', e.message.split('\n')[0]!, { file, line, col });
    }
  }

  /** Validates the whole document; the first problem is thrown with its position. */
  parse<S extends z.ZodType>(schema: S, code: ErrorCode): z.infer<S> {
    const r = schema.safeParse(this.#doc.toJS() ?? {});
    if (r.success) return r.data;
    const issue = r.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const where = path.length ? path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') this.fail(code, `${where}: unknown field "${issue.keys[0]}"`, [...path, issue.keys[0]!]);
    return this.fail(code, `${where}: ${issue.message}`, path);
  }

  fail(code: ErrorCode, message: string, path: (string | number)[], hint?: string): never {
    throw new this.#Err(code, message, { file: this.file, ...this.position(path) }, hint ? { hint } : {});
  }

  /** Line and column of the deepest node on the path: the key, or the value when it is a scalar. */
  position(path: (string | number)[]): { line?: number; col?: number } {
    let node: unknown = this.#doc.contents;
    let offset: number | undefined = (this.#doc.contents as Node | null)?.range?.[0];
    path.forEach((key, i) => {
      if (!isMap(node)) return;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) {
        node = undefined;
        return;
      }
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
      if (i === path.length - 1 && isScalar(node) && node.range) offset = node.range[0];
    });
    if (offset === undefined) return {};
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }
}

function readText(file: string, Err: ErrorClass): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Err('CONFIG_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { cause: err });
  }
}
