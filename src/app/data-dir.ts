import { accessSync, constants, existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ConfigError } from '../core/index.js';

// Kernel file systems: PGlite cannot keep files there, and under /proc it spins at 100% CPU
// instead of failing (issue 7), so they are refused before it starts.
const VIRTUAL = ['/proc', '/sys', '/dev'];

/**
 * Makes sure the embedded registry's folder can be used: a non-empty path, not on a kernel file
 * system, a folder (created when missing) that this process can write. Throws ConfigError
 * (CONFIG_INVALID) naming `field` and the path.
 */
export function prepareDataDir(dir: string, field = 'database.dataDir'): string {
  const bad = (why: string, cause?: unknown) =>
    new ConfigError('CONFIG_INVALID', `${field}: ${why}`, { path: field }, {
      cause,
      hint: 'give a folder this user can write, e.g. ./data/registry',
    });
  if (!dir.trim()) throw bad('is empty');
  const abs = resolve(dir);
  const real = realOfNearest(abs);
  const kernel = VIRTUAL.find((v) => real === v || real.startsWith(v + sep));
  if (kernel) throw bad(`"${dir}" is under ${kernel}, a kernel file system`);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw bad(`"${dir}" is a file, not a folder`);
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw bad(`cannot use "${dir}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  return abs;
}

/**
 * Whether `dir` may be emptied by the demo: it does not exist, is empty, or holds a registry
 * (PostgreSQL's PG_VERSION file). Anything else is someone's folder.
 */
export function isDisposableDataDir(dir: string): boolean {
  const abs = resolve(dir);
  if (!existsSync(abs)) return true;
  if (!statSync(abs).isDirectory()) return false;
  const names = readdirSync(abs);
  return names.length === 0 || names.includes('PG_VERSION');
}

/** The real path of the deepest part of `abs` that exists, with the rest appended. */
function realOfNearest(abs: string): string {
  let head = abs;
  const tail: string[] = [];
  while (!existsSync(head) && dirname(head) !== head) {
    tail.unshift(basename(head));
    head = dirname(head);
  }
  return join(realpathSync(head), ...tail);
}
