import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/index.js';

/** The contract's path inside the package; proto/ ships next to package.json, not in dist/. */
export const SPEECH_PROTO_RELATIVE = 'proto/zvonar/speech/v1/speech.proto';

const cached = new Map<string, string>();

/**
 * Absolute path of speech.proto. Walks up from this module to the directory whose package.json
 * names "zvonar", so it works from src/speech (vitest) and from dist/src/speech (after tsc).
 * Throws ConfigError('CONFIG_NOT_FOUND') when the package root or the file is missing.
 */
export function speechProtoPath(): string {
  return protoPath(SPEECH_PROTO_RELATIVE, 'speech contract');
}

/** Absolute path of a vendor's protocol subset under proto/vendor/ (e.g. "yandex/speechkit/stt/v3/stt.proto"), found as speechProtoPath() is. */
export function vendorProtoPath(relative: string): string {
  return protoPath(`proto/vendor/${relative}`, 'vendor protocol');
}

function protoPath(relative: string, what: string): string {
  const known = cached.get(relative);
  if (known !== undefined) return known;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isZvonarRoot(dir)) {
      const file = join(dir, relative);
      if (!existsSync(file)) {
        throw new ConfigError('CONFIG_NOT_FOUND', `${what} ${file} does not exist`, { path: file }, {
          hint: 'the package must ship proto/ next to package.json',
        });
      }
      cached.set(relative, file);
      return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError('CONFIG_NOT_FOUND', `no package.json named "zvonar" above ${start}`, { path: start }, {
    hint: 'run zvonar from its package, where proto/ sits next to package.json',
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
