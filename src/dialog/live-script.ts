import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ZvonarError } from '../core/index.js';
import { compileScript, type DialogMachine } from './compile.js';
import { loadScript } from './load-script.js';
import type { Script } from './script-schema.js';

/** A script as calls run it: checked, compiled, and named by its id, version and content. */
export interface DialogVersion {
  script: Script;
  machine: DialogMachine;
  /** the first 16 hex digits of the SHA-256 of the file's bytes: which text a call ran, whatever its `version` says */
  hash: string;
}

/** Reads, checks and compiles a script; throws ScriptError naming file, line and column. */
export function loadVersion(file: string, bytes: Buffer = readFileSync(file)): DialogVersion {
  const script = loadScript(file, bytes);
  return { script, machine: compileScript(script), hash: contentHash(bytes) };
}

function contentHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export type ScriptChange =
  | { kind: 'loaded'; file: string; was: DialogVersion; now: DialogVersion }
  | { kind: 'refused'; file: string; hash: string; error: ZvonarError; running: DialogVersion };

/**
 * A script file that supervisors may edit while its campaign runs. Each new call asks for
 * current(): if the file changed since (its size or mtime, then its bytes), the new text is
 * checked and compiled; a good one is used from the next call on (a call in progress keeps the
 * version it started with: it holds its own DialogVersion), a broken one is refused once per
 * text and the previous version keeps running. Either way onChange says so (logs, a metric).
 */
export class LiveScript {
  readonly file: string;
  #version: DialogVersion;
  #seen: { size: number; mtimeMs: number };
  #refused: string | null = null;
  readonly #onChange: (c: ScriptChange) => void;

  constructor(file: string, onChange: (c: ScriptChange) => void = () => {}) {
    this.file = file;
    this.#onChange = onChange;
    this.#seen = this.#stat() ?? { size: -1, mtimeMs: -1 };
    this.#version = loadVersion(file);
  }

  current(): DialogVersion {
    const st = this.#stat();
    if (!st || (st.size === this.#seen.size && st.mtimeMs === this.#seen.mtimeMs)) return this.#version;
    this.#seen = st;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch {
      return this.#version; // being replaced (an editor's rename): the next call looks again
    }
    const hash = contentHash(bytes);
    if (hash === this.#version.hash || hash === this.#refused) return this.#version;
    try {
      const was = this.#version;
      this.#version = loadVersion(this.file, bytes);
      this.#refused = null;
      this.#onChange({ kind: 'loaded', file: this.file, was, now: this.#version });
    } catch (err) {
      if (!(err instanceof ZvonarError)) throw err;
      this.#refused = hash;
      this.#onChange({ kind: 'refused', file: this.file, hash, error: err, running: this.#version });
    }
    return this.#version;
  }

  #stat(): { size: number; mtimeMs: number } | null {
    try {
      const s = statSync(this.file);
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return null; // gone for a moment (an editor saving by rename): the running version stays
    }
  }
}
