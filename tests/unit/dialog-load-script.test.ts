import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScript, compileScript } from '../../src/dialog/index.js';
import { ScriptError } from '../../src/core/index.js';

/** One problem per line: file:line:col: message [CODE]. */
const PROBLEM_LINE = /^dialogs\/broken\.yaml:\d+:\d+: .+ \[[A-Z_]+\]$/;

function loadError(yaml: string | Uint8Array): ScriptError {
  try {
    loadScript('dialogs/broken.yaml', yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    const err = e as ScriptError;
    for (const line of err.describe().split('\n')) expect(line).toMatch(PROBLEM_LINE);
    return err;
  }
  throw new Error('loadScript() accepted the script');
}

/** A script with a slots step, for the booking cases: offer -> find -> pick (listen) -> book. */
const booking = (book: string, extra = '') => `id: t
version: 1
language: ru-RU
start: find
steps:
  find:
    slots: { count: 2 }
    on: { found: pick, none: bye${extra} }
  pick:
    say: "Это {clinic.name}, автоматический звонок. {slot.1} или {slot.2}?"
    listen: { first: [первое], third: [третье] }
    on: { first: book-one, third: book-it, otherwise: bye }
  book-one:
    book: 1
    on: { booked: bye, taken: bye }
  book-it:
    book: ${book}
    on: { booked: bye, taken: bye }
  bye:
    end: DECLINED
`;

const good = `id: t
version: 1
language: ru-RU
start: ask
steps:
  ask:
    say: "Здравствуйте, {patient.first_name}! Это {clinic.name}, робот. Записать вас?"
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

/** The good script with top-level keys added before its steps (at line 5 on). */
const withTop = (block: string) => good.replace('steps:\n', `${block}steps:\n`);

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
  {
    name: 'a voicemail message with the patient\'s name', yaml: withTop('voicemail:\n  message: "Здравствуйте, {patient.first_name}! Перезвоните в {clinic.name}."\n'),
    code: 'SCRIPT_TEMPLATE', line: 6, says: /^voicemail\.message says \{patient\.first_name\}, but a mailbox or an assistant is not the patient: only \{clinic\.name\} and \{clinic\.phone\}/,
  },
  { name: 'a screening text naming a slot', yaml: withTop('screening:\n  say: "Ваше время: {slot.1}"\n'), code: 'SCRIPT_TEMPLATE', line: 6, says: /^screening\.say says \{slot\.1\}/ },
  { name: 'a misspelt placeholder in a voicemail message', yaml: withTop('voicemail:\n  message: "Это {clinic.nam}"\n'), code: 'SCRIPT_TEMPLATE', line: 6, says: /Did you mean \{clinic\.name\}/ },
  { name: 'a blank voicemail message', yaml: withTop('voicemail:\n  message: "  "\n'), code: 'SCRIPT_INVALID', line: 6, says: /voicemail\.message.*must not be empty/ },
  { name: 'a voicemail message written as a plain string', yaml: withTop('voicemail: "Перезвоните нам."\n'), code: 'SCRIPT_INVALID', line: 5, says: /voicemail/ },
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

describe('loadScript() on bad input', () => {
  it('reports every problem of a script in one run, one line each in file order, the first giving the code', () => {
    const yaml = `${good.replace('yes: bye', 'yes: byee').replace('{patient.first_name}', '{patient.firstname}')}  lost:\n    end: DECLINED\n`;
    const err = loadError(yaml);
    const lines = err.describe().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/:7:\d+: .*\{patient\.firstname\}.*\[SCRIPT_TEMPLATE\]$/);
    expect(lines[1]).toMatch(/:12:\d+: .*"byee".*\[SCRIPT_UNKNOWN_TARGET\]$/);
    expect(lines[2]).toMatch(/:17:\d+: .*"lost".*\[SCRIPT_UNREACHABLE_STEP\]$/);
    expect(err.code).toBe('SCRIPT_TEMPLATE');
    expect(err.problems).toHaveLength(3);
  });

  it('reports a misspelt target once, not also the step it meant as unreachable', () => {
    const yaml = good.replace('yes: bye', 'yes: byee').replace('otherwise: bye', 'otherwise: byee');
    const lines = loadError(yaml).describe().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/"byee".*Did you mean "bye".*\[SCRIPT_UNKNOWN_TARGET\]$/);
  });

  it('reports every schema problem of a script in one run, each at its own line', () => {
    const yaml = good.replace('    end: DECLINED', '    ennd: DECLINED').replace('language: ru-RU', 'language: russian').replace('    listen:\n', '    sya: x\n    listen:\n');
    const lines = loadError(yaml).describe().split('\n');
    expect(lines.map((l) => l.match(/:(\d+):\d+: /)![1])).toEqual(['3', '8', '17']);
    expect(lines.join('\n')).toMatch(/unknown field "sya"[\s\S]*unknown field "ennd"/);
  });

  it('refuses an alias bomb as SCRIPT_SYNTAX at the first alias, without expanding it', () => {
    const bomb = `${good}x: &a [lol]\ny: [${Array(125).fill('*a').join(', ')}]\n`;
    const err = loadError(bomb);
    expect(err.code).toBe('SCRIPT_SYNTAX');
    expect(err.where.line).toBe(18);
    expect(err.message).toMatch(/alias/);
    expect(err.describe().split('\n').length).toBeLessThanOrEqual(51);
  });

  it('refuses even one alias in a script', () => {
    const err = loadError(good.replace('      no: [нет]', '      no: &n [нет]\n      nope: *n'));
    expect(err.code).toBe('SCRIPT_SYNTAX');
    expect(err.where.line).toBe(11);
  });

  it('refuses a 20,000-step chain quickly with a step cap, and compiles a 500-step chain without overflowing the stack', () => {
    const chain = (n: number) => `id: t\nversion: 1\nlanguage: ru-RU\nstart: s0\nsteps:\n${Array.from({ length: n }, (_, i) =>
      i === n - 1 ? `  s${i}: {end: DECLINED}\n` : `  s${i}: {next: s${i + 1}}\n`).join('')}`;
    const t0 = Date.now();
    const err = loadError(chain(20_000));
    expect(err.code).toBe('SCRIPT_INVALID');
    expect(err.message).toMatch(/more than 500 steps/);
    expect(err.where.line).toBe(5);
    const script = loadScript('dialogs/long.yaml', chain(500));
    expect(Object.keys(compileScript(script).config.states ?? {})).toHaveLength(507); // and 4 final states, 3 safe defaults
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('refuses a 20 MB script before parsing it (over 512 KB), and over-long prompts, phrases and descriptions by the schema', () => {
    const t0 = Date.now();
    const huge = loadError(good.replace('language: ru-RU', `language: ru-RU\ndescription: ${'я'.repeat(20_000_000)}`));
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(huge.message).toMatch(/larger than 512 KB/);
    expect(huge.where).toMatchObject({ line: 1, col: 1 });
    const long = loadError(good.replace('language: ru-RU', `language: ru-RU\ndescription: ${'я'.repeat(2_001)}`).replace('До свидания.', 'a'.repeat(1_001)).replace('[да]', `[${'д'.repeat(201)}]`));
    expect(long.describe()).toMatch(/:4:\d+: description: at most 2000 characters/);
    expect(long.describe()).toMatch(/steps\.ask\.listen\.yes\.0: at most 200 characters/);
    expect(long.describe()).toMatch(/steps\.bye\.say: at most 1000 characters/);
  });

  for (const [where, yaml] of [
    ['a step named constructor', good.replace(/\bbye\b/g, 'constructor')],
    ['a step named ended (a final state of the machine)', good.replace(/\bbye\b/g, 'ended')],
    ['an intent named constructor', good.replace('      no: [нет]', '      constructor: [нет]')],
    ['an outcome named __proto__', good.replace('      yes: bye', '      __proto__: bye')],
    ['an intent named otherwise', good.replace('      no: [нет]', '      otherwise: [нет]')],
  ] as const) {
    it(`refuses ${where} as SCRIPT_INVALID`, () => {
      const err = loadError(yaml);
      expect(err.code).toBe('SCRIPT_INVALID');
      expect(err.message).toMatch(/reserved|lower-case|"__proto__" is not allowed/);
    });
  }

  it('refuses an outcome named constructor that the step does not have, though every object has one', () => {
    const err = loadError(good.replace('      yes: bye', '      yes: bye\n      constructor: bye'));
    expect(err.code).toBe('SCRIPT_UNHANDLED_OUTCOME');
    expect(err.where.line).toBe(13);
  });

  for (const [what, say] of [['NUL written as an escape', '"\\0Здравствуйте"'], ['a raw control character', '"Здрав\u0001ствуйте"'], ['DEL', '"x\\x7Fy"']] as const) {
    it(`refuses ${what} in a prompt, naming the step and the character`, () => {
      const err = loadError(good.replace('"До свидания."', say));
      expect(err.code).toBe('SCRIPT_INVALID');
      expect(err.where.line).toBe(15);
      expect(err.message).toMatch(/steps\.bye\.say: contains a control character \(U\+00[0-9A-F]{2}\)/);
    });
  }

  it('refuses a blank prompt and a blank phrase', () => {
    const err = loadError(good.replace('"До свидания."', '"   "').replace('[да]', '[" "]'));
    expect(err.describe()).toMatch(/steps\.ask\.listen\.yes\.0: must not be empty or blank[\s\S]*steps\.bye\.say: must not be empty or blank/);
  });

  it('accepts tabs and line breaks in a prompt', () => {
    expect(loadScript('dialogs/ok.yaml', good.replace('"До свидания."', '"До\\tсвидания.\\nВсего доброго."')).steps.bye!.say).toContain('\t');
  });

  it('refuses a Windows-1251 script as not UTF-8, naming the line of the first bad byte and how to fix it', () => {
    const cp1251 = Uint8Array.from([...good].flatMap((c) => {
      const code = c.codePointAt(0)!;
      if (code < 0x80) return [code];
      if (code >= 0x410 && code <= 0x44f) return [code - 0x410 + 0xc0];
      return [0x3f];
    }));
    const err = loadError(cp1251);
    expect(err.code).toBe('SCRIPT_SYNTAX');
    expect(err.where).toMatchObject({ line: 7, col: 11 });
    expect(err.describe()).toMatch(/not UTF-8.*save the file as UTF-8/);
  });

  it('accepts UTF-8 with a byte-order mark, and UTF-16 with one', () => {
    expect(loadScript('dialogs/bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)])).id).toBe('t');
    expect(loadScript('dialogs/u16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')])).steps.bye!.say).toBe('До свидания.');
  });

  it('refuses UTF-16 without a byte-order mark, suggesting UTF-8', () => {
    const err = loadError(Buffer.from(good, 'utf16le'));
    expect(err.code).toBe('SCRIPT_SYNTAX');
    expect(err.describe()).toMatch(/:1:1: looks like UTF-16 without a byte-order mark; save the file as UTF-8/);
  });

  it('refuses a step that goes to itself as SCRIPT_LOOP', () => {
    const err = loadError(good.replace('      otherwise: bye', '      otherwise: again').replace('  bye:', '  again:\n    say: "Алло?"\n    next: again\n  bye:'));
    expect(err.code).toBe('SCRIPT_LOOP');
    expect(err.message).toMatch(/"again" goes to itself/);
    expect(err.where.line).toBe(14);
  });

  it('refuses a loop of listening steps with no way to an end as SCRIPT_LOOP, named once where it is entered', () => {
    const trap = [
      'id: t', 'version: 1', 'language: ru-RU', 'start: ask', 'steps:',
      '  ask:', '    say: "Здравствуйте! Это {clinic.name}, робот. Записать вас?"', '    listen: { yes: [], no: [] }', '    on: { yes: bye, otherwise: again }',
      '  again:', '    say: "Ещё раз: записать?"', '    listen: { yes: [] }', '    on: { yes: again, otherwise: again2 }',
      '  again2:', '    say: "Скажите да."', '    listen: { yes: [] }', '    on: { otherwise: again }',
      '  bye:', '    say: "До свидания."', '    end: DECLINED', '',
    ].join('\n');
    const err = loadError(trap);
    expect(err.problems).toHaveLength(1);
    expect(err.code).toBe('SCRIPT_LOOP');
    expect(err.message).toMatch(/no step that ends the call can be reached from step "again"/);
    expect(err.where.line).toBe(10);
  });

  it('refuses a booking retried forever on taken as SCRIPT_LOOP naming the steps of the loop', () => {
    const err = loadError(booking('1', '').replace('  book-one:\n    book: 1\n    on: { booked: bye, taken: bye }', '  book-one:\n    book: 1\n    on: { booked: bye, taken: retry }\n  retry:\n    say: "Занято, ищу другое."\n    next: book-one'));
    expect(err.code).toBe('SCRIPT_LOOP');
    expect(err.message).toMatch(/"book-one" -> "retry" -> "book-one"/);
  });

  it('accepts a loop that passes a listen step (slot taken -> find slots -> choose), as the shipped scripts have', () => {
    const yaml = booking('1').replace('on: { booked: bye, taken: bye }\n  book-it', 'on: { booked: bye, taken: find }\n  book-it');
    expect(loadScript('dialogs/ok.yaml', yaml).start).toBe('find');
  });

  it('refuses book: 3 after a slots step offering 2, and a book step with no slots step before it', () => {
    const err = loadError(booking('3'));
    expect(err.code).toBe('SCRIPT_INVALID');
    expect(err.message).toMatch(/"book-it" books slot 3, but "find" offers at most 2/);
    expect(err.where.line).toBe(17);
    const none = loadError(booking('2').replace('start: find', 'start: pick'));
    expect(none.describe()).toMatch(/"book-it" books slot 2, but it can be reached from "pick" with no slots step before it/);
  });

  it('refuses book: 2 after the "one" outcome of a slots step, and accepts book: 2 after "found"', () => {
    expect(loadScript('dialogs/ok.yaml', booking('2')).steps['book-it']!.book).toBe(2);
    const err = loadError(booking('2').replace('found: pick, none: bye', 'found: bye, one: pick, none: bye'));
    expect(err.message).toMatch(/"find" offers exactly one/);
  });

  for (const [what, say] of [
    ['an unclosed placeholder', '"До свидания, {patient.first_name"'],
    ['an empty placeholder', '"До свидания, {}"'],
    ['spaces inside the braces', '"До свидания, { patient.first_name }"'],
    ['a control character inside the braces', '"До свидания, {patient.\\tfirst_name}"'],
    ['a lone closing brace', '"До свидания}"'],
    ['an upper-case name', '"До свидания, {Patient.First_Name}"'],
  ] as const) {
    it(`refuses ${what} in a prompt as SCRIPT_TEMPLATE`, () => {
      const err = loadError(good.replace('"До свидания."', say));
      expect(err.code).toBe('SCRIPT_TEMPLATE');
      expect(err.where.line).toBe(15);
    });
  }

  for (const [what, text] of [['an empty file', ''], ['a file of carriage returns', '\r\r\r'], ['a file of spaces', '   \n  \n'], ['a list', '- a\n- b\n']] as const) {
    it(`refuses ${what} at line 1, column 1`, () => {
      const err = loadError(text);
      expect(err.code).toBe('SCRIPT_INVALID');
      expect(err.where).toMatchObject({ line: 1, col: 1 });
      expect(err.message).toMatch(/empty|expected object/);
    });
  }

  it('refuses a voicemail block with a misspelt field, naming the block\'s line (no message) and the field\'s', () => {
    const lines = loadError(withTop('voicemail:\n  mesage: "Перезвоните нам."\n')).describe().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^dialogs\/broken\.yaml:5:\d+: voicemail\.message: .*expected string.*\[SCRIPT_INVALID\]$/);
    expect(lines[1]).toMatch(/^dialogs\/broken\.yaml:6:\d+: voicemail: unknown field "mesage" \[SCRIPT_INVALID\]$/);
  });

  it('accepts voicemail and screening texts that name only the clinic, and refuses each patient placeholder once, with a hint', () => {
    const ok = loadScript('dialogs/ok.yaml', withTop('voicemail:\n  message: "Это {clinic.name}, телефон {clinic.phone}."\nscreening:\n  say: "Это {clinic.name}."\n'));
    expect(ok).toMatchObject({ voicemail: { message: 'Это {clinic.name}, телефон {clinic.phone}.' }, screening: { say: 'Это {clinic.name}.' } });
    const err = loadError(withTop('voicemail:\n  message: "{patient.last_name} {patient.first_name} {patient.first_name}, {booked}"\n'));
    expect(err.problems.map((p) => p.message.match(/says (\{[a-z._]+\})/)![1])).toEqual(['{patient.last_name}', '{patient.first_name}', '{booked}']);
    expect(err.describe()).toMatch(/leave out the patient's name, the appointment and any medical detail/);
  });

  it('checks the shipped scripts read from disk as bytes', () => {
    for (const f of readdirSync('dialogs').filter((n) => n.endsWith('.yaml'))) expect(loadScript(`dialogs/${f}`, readFileSync(`dialogs/${f}`)).id).toBeTruthy();
  });
});

describe('translations (translates: <id>)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zvonar-tr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ru = readFileSync('dialogs/callback.yaml', 'utf8');
  const en = readFileSync('dialogs/callback-en.yaml', 'utf8');
  writeFileSync(join(dir, 'callback.yaml'), ru);

  it('the shipped English scripts match the Russian ones they translate', () => {
    for (const f of ['dispanserization-invite-en', 'appointment-reminder-en', 'callback-en']) expect(loadScript(`dialogs/${f}.yaml`).translates).toBeTruthy();
  });

  it('names a step missing from the translation, one not in the original, and a prompt with other placeholders', () => {
    const broken = en
      .replace(/\n {2}already:\n(?: {4}.*\n)+/, '\n')
      .replace('on: { yes: offer, no: when, callback: when, already_done: already }', 'on: { yes: offer, no: when, callback: when, already_done: decline }')
      .replace('say: "You are booked {booked}.', 'say: "You are booked.')
      .replace('  no-answer:', '  extra:\n    say: "Extra."\n    end: DECLINED\n  no-answer:')
      .replace('already_done: decline }', 'already_done: decline, operator: extra }');
    writeFileSync(join(dir, 'callback-en.yaml'), broken);
    let err: ScriptError | undefined;
    try {
      loadScript(join(dir, 'callback-en.yaml'));
    } catch (e) {
      err = e as ScriptError;
    }
    const lines = err!.describe().split('\n');
    expect(lines.filter((l) => l.includes('[SCRIPT_TRANSLATION]')).map((l) => l.replace(/^[^ ]+ /, ''))).toEqual(expect.arrayContaining([
      expect.stringMatching(/^step "already" of callback \(.+callback\.yaml\) is missing here/),
      expect.stringMatching(/^step "extra" is not in callback/),
      expect.stringMatching(/^step "booked" says \{\} here but \{booked\} in callback/),
    ]));
  });

  it('a translation whose original is not beside it is refused', () => {
    writeFileSync(join(dir, 'lonely-en.yaml'), en.replace('translates: callback', 'translates: callbak'));
    expect(() => loadScript(join(dir, 'lonely-en.yaml'))).toThrow(/translates "callbak", but .+callbak\.yaml does not exist/);
  });
});

describe('the broken scripts of tests/fixtures/dialogs-broken', () => {
  // each file says what is wrong with it and where: "# expect: LINE:COL CODE" (none: it is correct)
  const DIR = 'tests/fixtures/dialogs-broken';
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.yaml'))) {
    it(`${name}: every defect named at its line and column, and nothing else`, () => {
      const text = readFileSync(join(DIR, name), 'utf8');
      const want = [...text.matchAll(/^# expect: (\d+:\d+ [A-Z_]+)$/gm)].map((m) => m[1]!).sort();
      let got: string[] = [];
      try {
        loadScript(join(DIR, name));
      } catch (e) {
        got = (e as ScriptError).problems.map((p) => `${p.line}:${p.col} ${p.code}`).sort();
      }
      expect(got).toEqual(want);
    });
  }
});
