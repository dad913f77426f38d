import { closeSync, openSync, readSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ErrorCode, type Problem, type ZvonarError } from './errors.js';
import { closest } from './spelling.js';
import { detectBom, firstBadUtf8Byte, looksLikeUtf16 } from './text-file.js';

type ErrorClass = new (
  code: ErrorCode,
  message: string,
  where: { file: string; line?: number; col?: number },
  opts?: { hint?: string; cause?: unknown; problems?: readonly Problem[] },
) => ZvonarError;

export interface YamlFileOptions {
  /** the class of the error thrown: ConfigError unless told */
  error?: ErrorClass;
  /** the code of a file that cannot be read as YAML: CONFIG_INVALID unless told */
  syntaxCode?: ErrorCode;
  /** aliases (*name) allowed in the file; each expands to a copy, so a few can make gigabytes */
  maxAliases?: number;
}

/**
 * A dialog script or a configuration is a few kilobytes (the shipped ones: 5 KB; 500 steps, the
 * most a script may have, fit in about 250 KB). A file over this is refused unread: the yaml
 * package parses about 1 MB/s with a token per few bytes (measured here, on 2 busy cores: a 900 KB
 * flow list took 7 s), so the cap is what keeps every report within seconds.
 */
export const MAX_YAML_BYTES = 512 * 1024;
/** Problems shown for one file: the rest are counted on the last line. */
const MAX_PROBLEMS = 50;
/** Problems given a position before the list is cut (finding a position walks the document). */
const MAX_POSITIONED = 200;
/** The yaml package's own bound on expanded aliases, kept below its default of 100. */
const MAX_ALIAS_EXPANSIONS = 50;

// YAML 1.2 (5.1) allows tab, LF and CR only among C0 controls; DEL, C1 and U+FFFD (a byte lost by
// decoding with the wrong code page) are never wanted in text spoken to a patient or in a setting.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/;

/**
 * A YAML file read with positions, so that every problem found in it, by the schema or by a
 * later check, names the file, line and column. Problems are collected; throwIfProblems()
 * throws one error that describes them all, one line each.
 *
 * The input is bounded before it is parsed: at most MAX_YAML_BYTES, UTF-8 (a BOM is fine; UTF-16
 * with a BOM is decoded), no control characters in values, and few aliases.
 */
export class YamlFile {
  readonly file: string;
  readonly #doc: Document | undefined;
  readonly #lines = new LineCounter();
  readonly #Err: ErrorClass;
  readonly #syntaxCode: ErrorCode;
  readonly #problems: (Problem & { order: number })[] = [];
  #unpositioned = 0;
  #value: unknown;

  constructor(file: string, text: string | Uint8Array | undefined, opts: YamlFileOptions = {}) {
    this.file = file;
    this.#Err = opts.error ?? ConfigError;
    this.#syntaxCode = opts.syntaxCode ?? 'CONFIG_INVALID';
    const src = decode(text ?? readBytes(file, this.#Err), this.#syntaxCode, (p) => this.#add(p));
    if (src === undefined) this.#throwAll();
    let doc: Document;
    try {
      // uniqueKeys is checked below: the yaml package compares each key with every other (20,000 keys: 8 s)
      doc = parseDocument(src, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: false });
      this.#doc = doc;
      this.#addSyntaxErrors(doc);
      if (!this.#problems.length) this.#checkNodes(doc, opts.maxAliases ?? 0);
      if (!this.#problems.length) this.#value = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
    } catch (err) {
      // the parser and toJS recurse on nesting (a file of a million "[" exhausts the stack), and
      // toJS throws a ReferenceError for an alias before its anchor or one that expands too far
      this.#add({ code: this.#syntaxCode, message: `cannot be read: ${describeThrown(err)}`, ...this.#firstAlias() });
    }
    this.throwIfProblems();
  }

  /** Validates the whole document against the schema; every issue becomes a problem, and they are thrown together. */
  parse<S extends z.ZodType>(schema: S, code: ErrorCode): z.infer<S> {
    this.throwIfProblems();
    const v = this.#value;
    if (v === null || v === undefined || (typeof v === 'string' && !v.trim())) {
      this.problem(code, 'the file is empty', []);
      this.#throwAll();
    }
    this.#checkStrings(v, code);
    let r: z.ZodSafeParseResult<z.infer<S>>;
    try {
      r = schema.safeParse(v);
    } catch (err) {
      this.problem(code, `cannot be checked: ${describeThrown(err)}`, []);
      return this.#throwAll();
    }
    if (r.success) {
      this.throwIfProblems();
      return r.data;
    }
    for (const issue of r.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const where = path.length ? path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys') {
        // "__proto__" is reported by #checkStrings
        for (const key of issue.keys.filter((k) => k !== '__proto__')) this.problem(code, `${where}: unknown field ${quote(key)}`, [...path, key]);
      } else if (issue.code === 'invalid_key') {
        this.problem(code, `${where}: ${issue.issues[0]?.message ?? issue.message}`, path);
      } else if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v === 'string')) {
        const options = issue.values as string[];
        const input = this.#valueAt(path);
        const near = typeof input === 'string' ? closest(input, options) : undefined;
        const list = options.length > 8 ? `${options.slice(0, 8).join(', ')}, …` : options.join(', ');
        this.problem(code, `${where}: ${typeof input === 'string' ? quote(input) : 'the value'} is not one of ${list}${near ? `. Did you mean ${near}?` : ''}`, path);
      } else if (issue.code === 'invalid_union' && issue.errors.length && !('discriminator' in issue)) {
        const branches = issue.errors.map((e) => e[0]?.message.replace(/^Invalid input: /, '')).filter(Boolean);
        this.problem(code, `${where}: ${branches.join('; or ')}`, path);
      } else {
        this.problem(code, `${where}: ${issue.message}`, path);
      }
    }
    return this.#throwAll();
  }

  /** Records a problem at the node the path leads to; throwIfProblems() reports it with the others. */
  problem(code: ErrorCode, message: string, path: (string | number)[], hint?: string): void {
    if (this.#problems.length >= MAX_POSITIONED) {
      this.#unpositioned++;
      return;
    }
    this.#add({ code, message, ...this.position(path), ...(hint ? { hint } : {}) });
  }

  /** Records a problem and throws every problem found so far. */
  fail(code: ErrorCode, message: string, path: (string | number)[], hint?: string): never {
    this.problem(code, message, path, hint);
    return this.#throwAll();
  }

  /** Throws one error describing every problem recorded, in file order; the first one's code is its code. */
  throwIfProblems(): void {
    if (this.#problems.length) this.#throwAll();
  }

  #throwAll(): never {
    const all = [...this.#problems].sort((a, b) => a.line - b.line || a.col - b.col || a.order - b.order);
    const shown: Problem[] = all.slice(0, MAX_PROBLEMS).map(({ order: _, ...p }) => ({ ...p, message: oneLine(p.message), ...(p.hint ? { hint: oneLine(p.hint) } : {}) }));
    const more = all.length - shown.length + this.#unpositioned;
    if (more > 0) {
      const last = shown[shown.length - 1]!;
      shown.push({ code: last.code, message: `and ${more} more problem${more === 1 ? '' : 's'} not shown`, line: last.line, col: last.col });
    }
    const first = shown[0]!;
    throw new this.#Err(first.code, first.message, { file: this.file, line: first.line, col: first.col }, {
      problems: shown,
      ...(first.hint ? { hint: first.hint } : {}),
    });
  }

  /** Line and column of the deepest node on the path: the key, or the value when it is a scalar or an item. */
  position(path: (string | number)[]): { line: number; col: number } {
    let node: unknown = this.#doc?.contents;
    let offset: number | undefined = (node as Node | null | undefined)?.range?.[0];
    for (const [i, key] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
        if (i === path.length - 1 && isScalar(node) && node.range) offset = node.range[0];
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (!node) break;
        offset = (node as Node).range?.[0] ?? offset;
      } else {
        break;
      }
    }
    if (offset === undefined) return { line: 1, col: 1 };
    return this.#lines.linePos(offset);
  }

  #valueAt(path: (string | number)[]): unknown {
    let v: unknown = this.#value;
    for (const key of path) v = v && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string | number, unknown>)[key] : undefined;
    return v;
  }

  #add(p: Problem): void {
    this.#problems.push({ ...p, order: this.#problems.length });
  }

  /** Duplicate keys, and aliases beyond the number allowed. */
  #checkNodes(doc: Document, max: number): void {
    let count = 0;
    visit(doc, {
      Map: (_, map) => {
        const keys = new Set<unknown>();
        for (const { key } of map.items) {
          const k = isScalar(key) ? key.value : key;
          if (keys.has(k)) this.#add({ code: this.#syntaxCode, message: 'Map keys must be unique', ...this.#lines.linePos((key as Node | null)?.range?.[0] ?? 0) });
          keys.add(k);
        }
      },
      Alias: (_, node, path) => {
        count++;
        if (count <= max) {
          // `a: &x [*x]` is a value that contains itself: toJS builds a cycle every walk would follow forever
          const target = node.resolve(doc);
          if (target && path.includes(target)) {
            this.#add({ code: this.#syntaxCode, message: `alias *${oneLine(node.source).slice(0, 40)} refers to a value that contains it`, ...this.#lines.linePos(node.range?.[0] ?? 0) });
          }
          return undefined;
        }
        const at = this.#lines.linePos(node.range?.[0] ?? 0);
        this.#add({
          code: this.#syntaxCode,
          message: max === 0 ? `alias *${oneLine(node.source).slice(0, 40)}: aliases are not allowed in this file` : `more than ${max} aliases`,
          hint: 'write the value out',
          ...at,
        });
        return count >= max + MAX_PROBLEMS ? visit.BREAK : undefined;
      },
    });
  }

  #firstAlias(): { line: number; col: number } {
    let at = { line: 1, col: 1 };
    if (this.#doc) {
      visit(this.#doc, {
        Alias: (_, node) => {
          at = this.#lines.linePos(node.range?.[0] ?? 0);
          return visit.BREAK;
        },
      });
    }
    return at;
  }

  #addSyntaxErrors(doc: Document): void {
    const seen = new Set<string>();
    for (const e of doc.errors) {
      const { line, col } = this.#lines.linePos(e.pos[0]);
      // the parser turns a stack overflow into an error at the bracket where it happened
      const message = e.code === 'RESOURCE_EXHAUSTION' ? 'nested too deeply' : e.message.split('\n')[0]!;
      // one unclosed bracket makes the parser report the same thing at every level below it
      if (seen.has(`${line}:${message}`) || seen.has(message)) continue;
      seen.add(`${line}:${message}`);
      if (e.code === 'RESOURCE_EXHAUSTION' || e.code === 'BAD_INDENT') seen.add(message);
      this.#add({ code: this.#syntaxCode, message, line, col });
    }
  }

  /**
   * Every string and key of the document, walked without recursion: a control character is
   * refused where it is, and so is a key "__proto__" (zod drops it unseen, and assigning it to a
   * plain object replaces the object's prototype).
   */
  #checkStrings(value: unknown, code: ErrorCode): void {
    const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
    const where = (path: (string | number)[]) => path.join('.') || '(top level)';
    // an alias makes two places share one object: it is walked once
    const seen = new Set<object>();
    while (stack.length) {
      const { v, path } = stack.pop()!;
      if (v && typeof v === 'object') {
        if (seen.has(v)) continue;
        seen.add(v);
      }
      if (typeof v === 'string') {
        const bad = CONTROL.exec(v);
        if (bad) this.problem(code, `${where(path)}: ${controlMessage(bad[0])}`, path);
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
      } else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
        for (const [k, item] of Object.entries(v)) {
          const bad = CONTROL.exec(k);
          if (bad) this.problem(code, `${where([...path, k])}: the name ${controlMessage(bad[0])}`, [...path, k]);
          else if (k === '__proto__') this.problem(code, `${where([...path, k])}: "__proto__" is not allowed as a name`, [...path, k]);
          stack.push({ v: item, path: [...path, k] });
        }
      }
    }
  }
}

function controlMessage(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code === 0xfffd) return 'contains U+FFFD, the mark of text decoded with the wrong encoding; save the file as UTF-8';
  return `contains a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')}); only ordinary spaces and line breaks are allowed`;
}

/** A key or value as it may be shown in a one-line message: quoted, escaped, and short. */
export function quote(s: string, max = 40): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** A message fit for one line of a terminal: control characters escaped, and at most 300 characters. */
function oneLine(s: string): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function describeThrown(err: unknown): string {
  if (err instanceof RangeError) return 'it is nested too deeply';
  if (err instanceof ReferenceError && /excessive alias/i.test(err.message)) return 'its aliases expand to too many copies';
  if (err instanceof ReferenceError && /unresolved alias/i.test(err.message)) return 'an alias comes before its anchor (&name)';
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Reads at most MAX_YAML_BYTES + 1 bytes, so a huge file (or /dev/zero) is refused without being loaded. */
function readBytes(file: string, Err: ErrorClass): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(MAX_YAML_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } catch (err) {
    throw new Err('CONFIG_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The text of the file, or undefined with a problem recorded: too large, or not UTF-8. Not
 * decodeText(): a script or configuration is written by us, so Windows-1251 is refused rather than
 * guessed, and the first bad byte is named by line and column; the BOM and UTF-16 checks are shared.
 */
function decode(input: string | Uint8Array, code: ErrorCode, problem: (p: Problem) => void): string | undefined {
  const tooLarge = (what: string) =>
    problem({ code, message: `is larger than ${MAX_YAML_BYTES / 1024} KB (${what}); a dialog script or configuration is a few kilobytes`, line: 1, col: 1 });
  if (typeof input === 'string') {
    if (input.length > MAX_YAML_BYTES) return void tooLarge('in characters');
    return input.replace(/^\ufeff/, '');
  }
  if (input.length > MAX_YAML_BYTES) return void tooLarge('bytes');
  const b = input;
  const bom = detectBom(b);
  if (bom && bom.encoding !== 'utf-8') {
    try {
      return new TextDecoder(bom.encoding, { fatal: true }).decode(b.subarray(bom.length));
    } catch {
      return void problem({ code, message: 'starts as UTF-16 but is not; save the file as UTF-8', line: 1, col: 1 });
    }
  }
  if (looksLikeUtf16(b)) {
    return void problem({ code, message: 'looks like UTF-16 without a byte-order mark', hint: 'save the file as UTF-8', line: 1, col: 1 });
  }
  const start = bom?.length ?? 0;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b.subarray(start));
  } catch {
    const bad = firstBadUtf8Byte(b, start);
    const before = new TextDecoder('utf-8').decode(b.subarray(start, bad));
    const lineStart = before.lastIndexOf('\n') + 1;
    problem({
      code,
      message: `is not UTF-8 text: byte 0x${b[bad]!.toString(16).toUpperCase().padStart(2, '0')} cannot be read here`,
      hint: 'save the file as UTF-8 (a file saved as Windows-1251 shows this)',
      line: before.split('\n').length,
      col: [...before.slice(lineStart)].length + 1,
    });
    return undefined;
  }
}
