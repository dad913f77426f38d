import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ScriptError } from '../../src/core/index.js';

describe('ERROR_CODES', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);

  it('lists exactly the codes docs/errors.md documents, with the same meaning', () => {
    expect(Object.fromEntries(documented)).toEqual(ERROR_CODES);
  });

  it('describe() names file, line, column, message, hint and code', () => {
    const e = new ScriptError('SCRIPT_UNKNOWN_TARGET', 'goes to "bokk"', { file: 'dialogs/x.yaml', line: 14, col: 9 }, { hint: 'did you mean "book"?' });
    expect(e.describe()).toBe('dialogs/x.yaml:14:9: goes to "bokk"\n  hint: did you mean "book"? [SCRIPT_UNKNOWN_TARGET]');
    expect(e.permanent).toBe(true);
  });
});
