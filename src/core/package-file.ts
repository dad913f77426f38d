import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

let root: string | undefined;

/**
 * Absolute path of a file the package ships next to package.json (proto/, dialogs/, config/), not
 * in dist/. Walks up from this module to the directory whose package.json names "zvonar", so it
 * works from src/ (vitest) and from dist/src/ (after tsc). Throws ConfigError('CONFIG_NOT_FOUND')
 * when the package root or the file is missing.
 */
export function packageFile(relative: string, hint = 'the package must ship it next to package.json'): string {
  root ??= findRoot();
  const file = join(root, relative);
  if (!existsSync(file)) throw new ConfigError('CONFIG_NOT_FOUND', `${file} does not exist`, { path: file }, { hint });
  return file;
}

function findRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isZvonarRoot(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError('CONFIG_NOT_FOUND', `no package.json named "zvonar" above ${start}`, { path: start }, {
    hint: 'run zvonar from its package, where proto/ and dialogs/ sit next to package.json',
  });
}

function isZvonarRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'zvonar';
  } catch {
    return false; // a broken package.json elsewhere on the way up is not ours
  }
}
