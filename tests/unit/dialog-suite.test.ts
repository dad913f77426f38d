import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptError } from '../../src/core/index.js';
import { loadSuite, runSuite, type CaseReport } from '../../src/dialog/index.js';
import { Vad } from '../../src/media/index.js';

/**
 * Suites of simulated callees (dialogs/tests/*.yaml): whole calls through DialogRun on a fake
 * clock, audio in 20 ms frames both ways. What `zvonar dialog test` runs.
 */
const vad = () => new Vad();
const tmp = mkdtempSync(join(tmpdir(), 'zvonar-suite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SHIPPED = readdirSync('dialogs/tests').filter((f) => f.endsWith('.yaml')).map((f) => `dialogs/tests/${f}`);
const show = (r: CaseReport) => `${r.ok ? 'ok    ' : 'FAILED'} ${r.name}: ${r.ms.toFixed(1)} ms for a ${(r.callMs / 1000).toFixed(1)} s call${r.failures.map((f) => `\n  ${f.where}: ${f.what}`).join('')}`;

/** A suite written next to the shipped script, as a supervisor would (its `script` relative to it). */
const suite = (text: string) => loadSuite('dialogs/tests/inline.yaml', text);
const HEAD = 'script: ../dispanserization-invite.yaml\ncases:\n';

describe('the shipped suites', () => {
  it('finds a suite for each shipped script', () => {
    const scripts = readdirSync('dialogs').filter((f) => f.endsWith('.yaml')).map((f) => `dialogs/tests/${f}`);
    expect(SHIPPED.sort()).toEqual(scripts.sort());
  });

  for (const file of SHIPPED) {
    it(`${file}: every case passes, each in milliseconds of wall time (printed)`, async () => {
      const reports = await runSuite(loadSuite(file), { vad });
      console.log(`${file}\n${reports.map(show).join('\n')}`);
      expect(reports.filter((r) => !r.ok).map(show)).toEqual([]);
      expect(reports.length).toBeGreaterThanOrEqual(4);
      for (const r of reports) expect(r.ms).toBeLessThan(r.callMs); // faster than the call it simulates
    });
  }

  it('the Russian suite covers the issue\'s personas', () => {
    const names = loadSuite('dialogs/tests/dispanserization-invite.yaml').cases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining([
      'agrees-second-slot', 'declines', 'silent-twice', 'asks-operator-busy', 'asks-operator-free', 'wrong-number', 'do-not-call',
      'interrupts-greeting', 'keypad-chooses-second', 'slot-taken',
    ]));
  });
});

describe('runSuite(): a failed expectation', () => {
  it('names the expectation\'s file:line:col, with what was expected and what happened, and leaves the others passing', async () => {
    const s = suite(`${HEAD}  agrees:
    persona: { says: ["да", "второе"] }
    expect:
      path: [greet, offer, find-slots, choose, book-chosen, booked]
      disposition: DECLINED
      booked: 1
      said: ["Записала вас", "До свидания", "Ждём вас"]
  declines:
    persona: { says: ["нет"] }
    expect: { disposition: DECLINED }
`);
    const [agrees, declines] = await runSuite(s, { vad });
    console.log(show(agrees!));
    expect(agrees!.ok).toBe(false);
    expect(agrees!.failures).toEqual([
      { where: 'dialogs/tests/inline.yaml:7:20', what: 'disposition: expected DECLINED, got BOOKED' },
      { where: 'dialogs/tests/inline.yaml:8:15', what: expect.stringMatching(/^booked: expected slot 1 \(.+\), got slot 2 \(.+\)$/) },
      { where: 'dialogs/tests/inline.yaml:9:45', what: expect.stringMatching(/^said\[2\]: "Ждём вас" was not said after "До свидания"; the robot said: /) },
    ]);
    expect(declines!.ok).toBe(true);
  });

  it('a path that goes elsewhere says at which step; prefix and in_order accept what they should', async () => {
    const s = suite(`${HEAD}  exact:
    persona: { says: ["нет"] }
    expect: { path: [greet, offer, find-slots] }
  prefix:
    persona: { says: ["нет"] }
    expect: { path: { prefix: [greet, offer] } }
  in-order:
    persona: { says: ["", "да", "первое"] }
    expect: { path: { in_order: [offer, choose, booked] } }
  in-order-wrong:
    persona: { says: ["нет"] }
    expect: { path: { in_order: [greet, decline, offer] } }
`);
    const r = await runSuite(s, { vad });
    expect(r.map((c) => c.ok)).toEqual([false, true, true, false]);
    expect(r[0]!.failures[0]).toEqual({
      where: 'dialogs/tests/inline.yaml:5:15',
      what: 'path: expected [greet, offer, find-slots], got [greet, offer, decline]: step 3 is "decline", expected "find-slots"',
    });
    expect(r[3]!.failures[0]!.where).toBe('dialogs/tests/inline.yaml:14:23');
    expect(r[3]!.failures[0]!.what).toMatch(/"offer" not visited after "decline"$/);
  });

  it('not_said {after} looks only from that step on; said and not_said ignore case', async () => {
    const s = suite(`${HEAD}  medical-before-is-fine:
    persona: { says: ["это не я"] }
    expect: { said: ["ДИСПАНСЕРИЗАЦИЮ"], not_said: { after: wrong-person, texts: [диспансеризац] } }
  medical-anywhere-is-not:
    persona: { says: ["это не я"] }
    expect: { not_said: [диспансеризац] }
`);
    const [before, anywhere] = await runSuite(s, { vad });
    expect(before!.ok).toBe(true);
    expect(anywhere!.failures).toEqual([{ where: 'dialogs/tests/inline.yaml:8:26', what: expect.stringContaining('not_said[0]: "диспансеризац" was said, at step "offer"') }]);
  });

  it('barge-in needs the voice activity detector: without one the offer is not cut, and barged_in says so', async () => {
    const s = suite(`${HEAD}  interrupts-offer:
    persona: { interrupts: { say: "да, да, запишите", prompt: 2 }, says: ["второе"] }
    expect: { barged_in: [offer] }
`);
    expect((await runSuite(s, { vad }))[0]!.ok).toBe(true);
    const [deaf] = await runSuite(s);
    expect(deaf!.failures).toEqual([{ where: 'dialogs/tests/inline.yaml:5:15', what: 'barged_in: expected the prompts of [offer] cut, got []' }]);
  });

  it('a case that hangs up mid-call has no disposition, ended by the callee, and nothing booked', async () => {
    const s = suite(`${HEAD}  hangs-up-at-the-choice:
    persona: { steps: [{ say: "да" }, { hang_up: true }] }
    expect: { path: [greet, offer, find-slots, choose], disposition: none, ended_by: callee, booked: none }
`);
    expect((await runSuite(s, { vad })).map(show)).toEqual([expect.stringMatching(/^ok /)]);
  });
});

describe('runSuite(): personas beyond the shipped script', () => {
  const script = join(tmp, 'callback.yaml');
  writeFileSync(script, [
    'id: callback', 'version: 1', 'language: ru-RU', 'start: ask',
    'steps:',
    '  ask:',
    '    say: "Это {clinic.name}, робот. Вам удобно говорить? Нажмите 1, если да."',
    '    silenceMs: 30000',
    '    listen: { yes: [да], callback: [] }',
    '    keys: { "1": yes }',
    '    on: { yes: fine, callback: later, silence: ask, unknown: ask }',
    '  fine: { say: "Отлично.", end: CONFIRMED }',
    '  later: { say: "Хорошо, перезвоним.", end: CALLBACK_REQUESTED }',
    '',
  ].join('\n'));
  const file = join(tmp, 'callback-suite.yaml');
  const run = async (cases: string) => {
    writeFileSync(file, `script: callback.yaml\ncases:\n${cases}`);
    return runSuite(loadSuite(file), { vad });
  };

  it('asks to call back tomorrow evening: CALLBACK_REQUESTED where the script hears "callback"', async () => {
    const [r] = await run('  tomorrow-evening:\n    persona: { says: ["перезвоните завтра вечером"] }\n    expect: { path: [ask, later], disposition: CALLBACK_REQUESTED }\n');
    expect(r!.failures).toEqual([]);
    expect(r!.result.transcript).toContainEqual(expect.objectContaining({ who: 'callee', text: 'перезвоните завтра вечером', intent: 'callback' }));
  });

  it('answers by keypad where the step maps the key', async () => {
    const [r] = await run('  keypad:\n    persona: { keys: ["1"] }\n    expect: { disposition: CONFIRMED }\n');
    expect(r!.ok).toBe(true);
  });

  it('a prompt marked bargeIn: false (a legal disclosure) is said to its end over a callee talking; with bargeIn: true it is cut', async () => {
    const disclosure = (bargeIn: boolean) => [
      'id: disclosure', 'version: 1', 'language: ru-RU', 'start: ask', 'steps:',
      '  ask:',
      '    say: "Это {clinic.name}, робот. Разговор записывается. Обработка персональных данных ведётся по закону сто пятьдесят два ФЗ. Продолжим?"',
      `    bargeIn: ${bargeIn}`,
      '    listen: { yes: [], no: [] }',
      '    on: { yes: fine, otherwise: bye }',
      '  fine: { say: "Отлично.", end: CONFIRMED }',
      '  bye: { say: "До свидания.", end: DECLINED }',
      '',
    ].join('\n');
    const outcome = async (bargeIn: boolean) => {
      writeFileSync(join(tmp, 'disclosure.yaml'), disclosure(bargeIn));
      writeFileSync(file, 'script: disclosure.yaml\ncases:\n  talks-over:\n    persona: { interrupts: { say: "да-да, продолжайте", after_ms: 1500 }, says: ["да"] }\n    expect: { disposition: CONFIRMED }\n');
      const [r] = await runSuite(loadSuite(file), { vad });
      expect(r!.failures).toEqual([]);
      return r!;
    };
    const kept = await outcome(false);
    const cut = await outcome(true);
    expect(kept.result.transcript.some((l) => l.text.includes('spoke over the prompt'))).toBe(false);
    expect(cut.result.transcript.some((l) => l.text.includes('spoke over the prompt'))).toBe(true);
  });

  it('a call that never ends fails as "did not end" after 10 minutes of fake time, not a hang', async () => {
    const [r] = await run('  silent-forever:\n    persona: {}\n    expect: { disposition: NO_RESPONSE }\n');
    expect(r!.failures).toEqual([{ where: `${file}:3:3`, what: 'the call did not end within 10 minutes of simulated time (last step: ask)' }]);
    expect(r!.callMs).toBe(600_000);
    console.log(show(r!));
  });
});

describe('loadSuite(): a broken suite file', () => {
  const problems = (text: string | undefined, file = 'dialogs/tests/inline.yaml') => {
    try {
      loadSuite(file, text);
    } catch (err) {
      expect(err).toBeInstanceOf(ScriptError);
      return (err as ScriptError).describe().split('\n');
    }
    throw new Error('loaded');
  };

  it('not YAML: file:line:col [SCRIPT_SYNTAX]', () => {
    const lines = problems(`${HEAD}  a:\n    persona: { says: ["да" }\n`);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^dialogs\/tests\/inline\.yaml:4:\d+: .+ \[SCRIPT_SYNTAX\]$/);
  });

  it('every schema problem at its own line and column, with a "did you mean"', () => {
    const lines = problems(`${HEAD}  a:
    persona: { says: ["да"], sings: true }
    expect:
      disposition: BOKED
      booked: 0
`);
    expect(lines).toEqual([
      'dialogs/tests/inline.yaml:4:37: cases.a.persona: unknown field "sings" [SCRIPT_INVALID]',
      expect.stringMatching(/^dialogs\/tests\/inline\.yaml:6:20: cases\.a\.expect\.disposition: "BOKED" is not one of .*Did you mean BOOKED\? \[SCRIPT_INVALID\]$/),
      expect.stringMatching(/^dialogs\/tests\/inline\.yaml:7:15: cases\.a\.expect\.booked: .+ \[SCRIPT_INVALID\]$/),
    ]);
  });

  it('every step and slot the script and suite do not have, at its own line and column', () => {
    const lines = problems(`${HEAD}  a:
    persona: { says: ["да"], keys: ["1"] }
    taken: [7]
    expect:
      path: [greet, ofer]
      booked: 4
      not_said: { after: wrong-persn, texts: [x] }
      barged_in: [ofer]
`);
    expect(lines).toEqual([
      expect.stringMatching(/^dialogs\/tests\/inline\.yaml:4:30: persona has says and keys; .+ \[SCRIPT_INVALID\]$/),
      'dialogs/tests/inline.yaml:5:13: slot 7, but the suite has 3 slots [SCRIPT_INVALID]',
      'dialogs/tests/inline.yaml:7:21: "ofer" is not a step of dialogs/dispanserization-invite.yaml. Did you mean "offer"? [SCRIPT_INVALID]',
      'dialogs/tests/inline.yaml:8:15: slot 4, but the suite has 3 slots [SCRIPT_INVALID]',
      'dialogs/tests/inline.yaml:9:26: "wrong-persn" is not a step of dialogs/dispanserization-invite.yaml. Did you mean "wrong-person"? [SCRIPT_INVALID]',
      'dialogs/tests/inline.yaml:10:19: "ofer" is not a step of dialogs/dispanserization-invite.yaml. Did you mean "offer"? [SCRIPT_INVALID]',
    ]);
  });

  it('a script that does not exist is named at the suite\'s `script` line', () => {
    expect(problems('script: ../nope.yaml\ncases:\n  a: { expect: { disposition: BOOKED } }\n')).toEqual([
      'dialogs/tests/inline.yaml:1:9: script: dialogs/nope.yaml does not exist; name the dialog script relative to the suite file [CONFIG_NOT_FOUND]',
    ]);
  });

  it('a broken script is reported as the script\'s own problems', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync('dialogs/dispanserization-invite.yaml', 'utf8').replace('yes: find-slots', 'yes: find-slot'));
    writeFileSync(join(tmp, 'bad-suite.yaml'), 'script: bad.yaml\ncases:\n  a: { expect: { disposition: BOOKED } }\n');
    expect(problems(undefined, join(tmp, 'bad-suite.yaml')).join('\n')).toMatch(/bad\.yaml:\d+:\d+: .*"find-slot".* \[SCRIPT_UNKNOWN_TARGET\]/);
  });
});
