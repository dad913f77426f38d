/**
 * Credentials of a cloud speech vendor (adapters/yandex, adapters/tinkoff): from the environment
 * or from a JSON/YAML file, never from dialog or campaign YAML. Secrets stay out of every error
 * message: the reader names files, lines and keys, never values, and redact() scrubs the values
 * from anything a vendor sends back.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/index.js';

/** The string fields of a credentials file; other fields are ignored. */
export type CredentialFields = Readonly<Record<string, string>>;

/**
 * A credentials file, read again when it changes (an IAM token lives 12 hours: a job that
 * renews the file is enough, zvonar need not restart). A file that breaks on a re-read keeps
 * the last good fields; only the first read throws.
 */
export class CredentialsFile {
  readonly #path: string;
  readonly #engine: string;
  #mtimeMs = -1;
  #fields: CredentialFields = {};

  /** Throws ConfigError('CONFIG_NOT_FOUND' | 'CONFIG_INVALID') naming the file, not its contents. */
  constructor(path: string, engine: string) {
    this.#path = path;
    this.#engine = engine;
    this.#load(true);
  }

  get path(): string {
    return this.#path;
  }

  fields(): CredentialFields {
    this.#load(false);
    return this.#fields;
  }

  #load(first: boolean): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.#path).mtimeMs;
    } catch (err) {
      if (!first) return;
      throw new ConfigError('CONFIG_NOT_FOUND', `${this.#engine} credentials file ${this.#path} cannot be read`, { path: this.#path }, {
        cause: err,
        hint: 'give credentialsFile a readable JSON or YAML file, or set the environment variables',
      });
    }
    if (mtimeMs === this.#mtimeMs) return;
    try {
      this.#fields = parseCredentials(readFileSync(this.#path, 'utf8'), this.#path, this.#engine);
      this.#mtimeMs = mtimeMs;
    } catch (err) {
      if (first) throw err;
    }
  }
}

/** The top-level string fields of a JSON or YAML mapping. Parser messages quote the file's text, so they are not passed on. */
function parseCredentials(text: string, path: string, engine: string): CredentialFields {
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError('CONFIG_INVALID', `${engine} credentials file ${path} is not valid JSON or YAML${line ? ` (line ${line})` : ''}`, { path, ...(line ? { line } : {}) });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('CONFIG_INVALID', `${engine} credentials file ${path} must hold a mapping of names to strings`, { path });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  return out;
}

/** Replaces every secret in text by "***" (secrets shorter than 4 characters are not searched: they would hit ordinary words). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}
