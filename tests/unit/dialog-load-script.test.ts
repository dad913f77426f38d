import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScript, compileScript, matchIntent } from '../../src/dialog/index.js';
import { ScriptError } from '../../src/core/index.js';

const good = `id: t
version: 1
language: ru-RU
start: ask
steps:
  ask:
    say: "Здравствуйте, {patient.first_name}! Записать вас?"
    listen:
      yes: [да]
      no: [нет]
    on:
      yes: bye
      otherwise: bye
  bye:
    say: "До свидания."
    end: DECLINED
`;

/** Each broken script, the code it must fail with, and the line and text the message must name. */
const broken: { name: string; yaml: string; code: string; line: number; says: RegExp }[] = [
  { name: 'a duplicate key', yaml: good.replace('    listen:\n', '    say: "again"\n    listen:\n'), code: 'SCRIPT_SYNTAX', line: 8, says: /unique/i },
  { name: 'a misspelt target', yaml: good.replace('yes: bye', 'yes: byee'), code: 'SCRIPT_UNKNOWN_TARGET', line: 12, says: /"byee".*Did you mean "bye"/ },
  { name: 'an unknown field', yaml: good.replace('    end: DECLINED', '    ennd: DECLINED'), code: 'SCRIPT_INVALID', line: 16, says: /unknown field "ennd"/ },
  { name: 'an unknown disposition', yaml: good.replace('end: DECLINED', 'end: DECLIND'), code: 'SCRIPT_INVALID', line: 16, says: /steps\.bye\.end/ },
  { name: 'an outcome with no transition', yaml: good.replace('      otherwise: bye\n', ''), code: 'SCRIPT_UNHANDLED_OUTCOME', line: 11, says: /"no", "silence", "unknown"/ },
  { name: 'a misspelt placeholder', yaml: good.replace('{patient.first_name}', '{patient.firstname}'), code: 'SCRIPT_TEMPLATE', line: 7, says: /Did you mean \{patient.first_name\}/ },
  { name: 'an unreachable step', yaml: `${good}  lost:\n    end: DECLINED\n`, code: 'SCRIPT_UNREACHABLE_STEP', line: 17, says: /"lost"/ },
  { name: 'a step doing two things', yaml: good.replace('    end: DECLINED', '    end: DECLINED\n    next: ask'), code: 'SCRIPT_INVALID', line: 14, says: /exactly one of/ },
  { name: 'an outcome the step does not have', yaml: good.replace('      yes: bye\n', '      yes: bye\n      one: bye\n'), code: 'SCRIPT_UNHANDLED_OUTCOME', line: 13, says: /no outcome "one"/ },
  { name: 'a missing start', yaml: good.replace('start: ask\n', ''), code: 'SCRIPT_INVALID', line: 1, says: /start/ },
];

describe('loadScript()', () => {
  for (const file of readdirSync('dialogs').filter((f) => f.endsWith('.yaml'))) {
    it(`accepts the shipped script ${file} and compiles it to a machine`, () => {
      const script = loadScript(`dialogs/${file}`);
      const machine = compileScript(script);
      expect(Object.keys(machine.config.states ?? {})).toEqual(expect.arrayContaining([script.start, 'ended', 'hungUp', 'failed', 'stopped']));
    });
  }

  for (const b of broken) {
    it(`rejects ${b.name} naming file, line and problem`, () => {
      let err: unknown;
      try {
        loadScript('dialogs/broken.yaml', b.yaml);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ScriptError);
      const e = err as ScriptError;
      expect(e.code).toBe(b.code);
      expect(e.where.file).toBe('dialogs/broken.yaml');
      expect(e.where.line).toBe(b.line);
      expect(e.message).toMatch(b.says);
      expect(e.describe()).toMatch(new RegExp(`^dialogs/broken\\.yaml:${b.line}:\\d+: `));
    });
  }
});

describe('matchIntent()', () => {
  const intents = { yes: ['да', 'хочу'], no: ['нет', 'не хочу'] };
  it('prefers the longest phrase, so a negation wins over the word it negates', () => {
    expect(matchIntent('Нет, не хочу!', intents)).toBe('no');
    expect(matchIntent('Хочу, конечно', intents)).toBe('yes');
  });
  it('matches whole words only and returns null when nothing matches', () => {
    expect(matchIntent('дамы и господа', intents)).toBeNull();
    expect(matchIntent('', intents)).toBeNull();
  });
  it('treats ё as е', () => {
    expect(matchIntent('ещё', { more: ['еще'] })).toBe('more');
  });
});
