import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_INTENTS, intentLanguage, intentMatcher, intentProblems, type IntentDefinition } from '../../src/dialog/intents/index.js';

const FIXTURES = new URL('../fixtures/intents/', import.meta.url);

/** The intents a step has in play: a yes/no question, or an offer of slots. */
const STEP_INTENTS = {
  yesno: ['yes', 'no', 'operator', 'callback', 'repeat', 'already_done', 'wrong_person', 'stop_calling'],
  slots: ['choose', 'later', 'earlier', 'another_day', 'operator', 'repeat', 'stop_calling', 'wrong_person', 'callback'],
} as const;
type StepKind = keyof typeof STEP_INTENTS;

interface Row { step: StepKind; intent: string; text: string; slots: Record<string, unknown> | null; line: number }

function readCorpus(name: string): Row[] {
  const rows: Row[] = [];
  let step: StepKind | null = null;
  readFileSync(new URL(name, FIXTURES), 'utf8').split('\n').forEach((raw, i) => {
    const marker = /^#\s*step:\s*(\w+)/.exec(raw);
    if (marker) { step = marker[1] as StepKind; return; }
    if (!raw.trim() || raw.startsWith('#')) return;
    const [intent, text, slots] = raw.split('\t');
    if (!step || !intent || text === undefined) throw new Error(`${name}:${i + 1}: not intent<TAB>utterance under a step marker`);
    rows.push({ step, intent, text, slots: slots ? (JSON.parse(slots) as Record<string, unknown>) : null, line: i + 1 });
  });
  return rows;
}

const stepDefs = (step: StepKind) => Object.fromEntries(STEP_INTENTS[step].map((n) => [n, {}])) as Record<string, IntentDefinition>;

interface Score { total: number; right: number; misses: string[] }

/** Runs a corpus; prints accuracy per intent and the misses; returns the scores. */
function evaluate(lang: string, file: string): { overall: number; perIntent: Map<string, Score> } {
  const rows = readCorpus(file);
  const matchers = { yesno: intentMatcher(lang, stepDefs('yesno')), slots: intentMatcher(lang, stepDefs('slots')) };
  const perIntent = new Map<string, Score>();
  let right = 0;
  for (const r of rows) {
    const got = matchers[r.step].match(r.text);
    const ok = (got.intent ?? 'none') === r.intent && (!r.slots || Object.keys(r.slots).length === 0 || JSON.stringify(got.slots) === JSON.stringify(r.slots));
    const s = perIntent.get(r.intent) ?? { total: 0, right: 0, misses: [] };
    s.total++;
    if (ok) { s.right++; right++; } else s.misses.push(`${file}:${r.line} "${r.text}" -> ${got.intent ?? 'none'} ${JSON.stringify(got.slots)} (${got.confidence})`);
    perIntent.set(r.intent, s);
  }
  const overall = right / rows.length;
  const table = [...perIntent].map(([k, s]) => `  ${k.padEnd(13)} ${(100 * s.right / s.total).toFixed(1).padStart(5)}%  ${s.right}/${s.total}`);
  console.log(`${file}: ${(100 * overall).toFixed(1)}% of ${rows.length}\n${table.join('\n')}${[...perIntent.values()].flatMap((s) => s.misses).map((m) => `\n  miss ${m}`).join('')}`);
  return { overall, perIntent };
}

describe('intent corpus', () => {
  for (const [lang, file, min] of [['ru-RU', 'ru.tsv', 300], ['en-US', 'en.tsv', 80]] as const) {
    it(`${file} has at least ${min} utterances over every intent and none`, () => {
      const rows = readCorpus(file);
      expect(rows.length).toBeGreaterThanOrEqual(min);
      expect(new Set(rows.map((r) => r.intent))).toEqual(new Set([...BUILTIN_INTENTS, 'none']));
    });
    it(`${file}: at least 95% right overall and 90% for each intent (${lang})`, () => {
      const { overall, perIntent } = evaluate(lang, file);
      expect(overall).toBeGreaterThanOrEqual(0.95);
      for (const [intent, s] of perIntent) expect(s.right / s.total, intent).toBeGreaterThanOrEqual(0.9);
    });
  }
  for (const [lang, file] of [['ru-RU', 'ru.tsv'], ['en-US', 'en.tsv']] as const) {
    it(`${file}: none comes with confidence below 0.3, a right answer with 0.5 or more`, () => {
      const matchers = { yesno: intentMatcher(lang, stepDefs('yesno')), slots: intentMatcher(lang, stepDefs('slots')) };
      for (const r of readCorpus(file)) {
        const got = matchers[r.step].match(r.text);
        if (got.intent === null) expect(got.confidence, r.text).toBeLessThan(0.3);
        else if (got.intent === r.intent) expect(got.confidence, r.text).toBeGreaterThanOrEqual(0.5);
      }
    });
  }
  // Written before any tuning and first run once the lexicons were done: ru 98.5% (66 of 67),
  // en 100% (26 of 26). Lexicon changes made to pass these rows would make the figure meaningless.
  for (const [lang, file] of [['ru-RU', 'heldout-ru.tsv'], ['en-US', 'heldout-en.tsv']] as const) {
    it(`${file} (never tuned on): at least 90% right overall`, () => {
      expect(evaluate(lang, file).overall).toBeGreaterThanOrEqual(0.9);
    });
  }
});

describe('intentMatcher()', () => {
  const yesno = intentMatcher('ru-RU', stepDefs('yesno'));
  const slots = intentMatcher('ru-RU', stepDefs('slots'));

  it.each([
    ['не откажусь', 'yes'], ['конечно нет', 'no'], ['ни в коем случае', 'no'], ['а можно попозже?', 'callback'],
    ['идёт', 'yes'], ['без проблем', 'yes'], ['не-а', 'no'], ['Ну... э-э, да, ДА!', 'yes'], ['нет, я не против', 'yes'],
    ['да нет', 'no'], ['не хочу', 'no'], ['хочу', 'yes'], ['да, но перезвоните завтра', 'callback'], ['нет, это не я', 'wrong_person'],
    ['да, завтра приду', 'yes'], ['завтра', 'callback'], ['жалоб нет, спасибо', 'no'], ['не, я пас', 'no'], ['вы не тому звоните', 'wrong_person'],
    ['я не хочу проходить диспансеризацию', 'no'], ['я уже проходила диспансеризацию', 'already_done'],
  ])('hears the trap "%s" as %s', (text, intent) => {
    expect(yesno.match(text).intent).toBe(intent);
  });

  it('hears "а попозже есть?" as later in a slot step and "а можно попозже?" as callback in a yes/no step', () => {
    expect(slots.match('а попозже есть?').intent).toBe('later');
    expect(yesno.match('а можно попозже?').intent).toBe('callback');
  });

  it('reads ordinals, weekdays and clock times said in words or digits', () => {
    expect(slots.match('второй вариант').slots).toEqual({ ordinal: 2 });
    expect(slots.match('давайте на вторник').slots).toEqual({ weekday: 2 });
    expect(slots.match('давайте на 9:40')).toMatchObject({ intent: 'choose', slots: { time: '09:40' } });
    expect(slots.match('в девять сорок').slots).toEqual({ time: '09:40' });
  });

  it('answers null with low confidence when nothing fits, and a clear hit with high confidence', () => {
    const none = yesno.match('а сколько стоит?');
    expect(none.intent).toBeNull();
    expect(none.confidence).toBeLessThan(0.3);
    expect(yesno.match('да').confidence).toBeGreaterThanOrEqual(0.9);
    expect(yesno.match('').intent).toBeNull();
  });

  it('answers only intents it was built with', () => {
    const m = intentMatcher('ru', { yes: {}, no: {} });
    expect(m.intents).toEqual(['yes', 'no']);
    expect(m.match('перезвоните завтра').intent).toBeNull();
    expect(m.match('соедините с оператором').intent).toBeNull();
  });

  it('matches a script\'s own intent with the same normalisation: case, ё/е, punctuation, word forms, numbers', () => {
    const m = intentMatcher('ru-RU', { first: { phrases: ['первое', '1'] }, second: { phrases: ['второе', 'два'] }, price: { phrases: ['сколько стоит'] } });
    expect(m.match('ПЕРВОЕ!').intent).toBe('first');
    expect(m.match('один').intent).toBe('first');
    expect(m.match('1').intent).toBe('first');
    expect(m.match('2').intent).toBe('second');
    expect(m.match('а сколько это стоит?').intent).toBeNull(); // the phrase's words must be together
    expect(m.match('а сколько стоит').intent).toBe('price');
    const ye = intentMatcher('ru-RU', { seen: { phrases: ['всё ещё'] } });
    expect(ye.match('все еще').intent).toBe('seen');
  });

  it('extends a built-in with extra phrases, and replaces it with `replace: true`', () => {
    const extended = intentMatcher('ru-RU', { yes: { phrases: ['есть такое дело'] }, no: {} });
    expect(extended.match('есть такое дело').intent).toBe('yes');
    expect(extended.match('да').intent).toBe('yes');
    const replaced = intentMatcher('ru-RU', { yes: { phrases: ['подтверждаю'], replace: true }, no: {} });
    expect(replaced.match('подтверждаю').intent).toBe('yes');
    expect(replaced.match('да').intent).toBeNull();
    expect(replaced.match('нет').intent).toBe('no');
  });

  it('answers a partial result only when a later word cannot change it', () => {
    expect(yesno.match('не звоните мне больше никог', { partial: true }).intent).toBe('stop_calling');
    expect(yesno.match('да', { partial: true }).intent).toBeNull();
    expect(yesno.match('да нет наве', { partial: true }).intent).toBeNull(); // yes/no wait for the final result
    expect(yesno.match('перезвон', { partial: true }).intent).toBeNull(); // the only word may be cut
  });

  it('does not hear an operator in "я пожилой человек" nor a wrong person in "I\'m coming with my wife"', () => {
    expect(yesno.match('я пожилой человек').intent).not.toBe('operator');
    expect(intentMatcher('en', stepDefs('yesno')).match("yes, I'm coming with my wife").intent).toBe('yes');
  });

  it('answers a partial result whose last word is finished (a space or punctuation after it)', () => {
    expect(yesno.match('перезвоните ', { partial: true }).intent).toBe('callback');
    expect(yesno.match('перезвоните', { partial: true }).intent).toBeNull();
  });

  it('works in English too', () => {
    const en = intentMatcher('en-US', stepDefs('yesno'));
    expect(en.match("Of course not!").intent).toBe('no');
    expect(en.match('no problem').intent).toBe('yes');
    expect(en.match("I'm driving, call me back").intent).toBe('callback');
  });

  it('throws a ScriptError naming a language with no library', () => {
    expect(() => intentMatcher('de-DE', { yes: {} })).toThrow(/no intent library for language "de-DE"/);
  });
});

describe('intentLanguage()', () => {
  it.each([['ru-RU', 'ru'], ['ru', 'ru'], ['EN-us', 'en'], ['en_GB', 'en'], ['de-DE', null], ['', null]])('maps %s to %s', (tag, lang) => {
    expect(intentLanguage(tag)).toBe(lang);
  });
});

describe('intentProblems()', () => {
  it('finds nothing wrong with the built-ins alone', () => {
    expect(intentProblems('ru-RU', stepDefs('yesno'))).toEqual([]);
    expect(intentProblems('en-US', stepDefs('slots'))).toEqual([]);
  });

  it('reports the same phrase in two intents after normalisation', () => {
    const p = intentProblems('ru-RU', { a: { phrases: ['Первое!'] }, b: { phrases: ['первое'] } });
    expect(p).toEqual([{ intent: 'b', phrase: 'первое', message: 'phrase "первое" is also in intent "a"' }]);
  });

  it('reports a custom phrase that a built-in intent of the step would also hear', () => {
    const p = intentProblems('ru-RU', { yes: {}, agree: { phrases: ['конечно'] } });
    expect(p.map((x) => x.intent)).toEqual(['agree']);
    expect(p[0]!.message).toMatch(/built-in intent "yes"/);
  });

  it('reports an empty custom intent, a replaced built-in with no phrases, a phrase of fillers, and "none"', () => {
    const p = intentProblems('ru-RU', { mine: {}, yes: { replace: true }, other: { phrases: ['ну э-э'] }, none: { phrases: ['ничего'] } });
    expect(p.map((x) => x.intent).sort()).toEqual(['mine', 'none', 'other', 'yes']);
  });

  it('reports a language with no library', () => {
    expect(intentProblems('fr', { yes: {} })).toEqual([{ intent: '*', message: 'no intent library for language "fr"' }]);
  });
});

describe('a step hears only its intents, and is not forced onto them', () => {
  const yesNo = intentMatcher('ru-RU', { yes: {}, no: {} });
  const slotsOnly = intentMatcher('ru-RU', { choose: {}, later: {} });
  it.each([
    ['давайте позже поговорим', yesNo], ['сейчас не могу разговаривать', yesNo], ['да я уже прошёл диспансеризацию', yesNo],
    ['соедините с оператором', yesNo], ['да', slotsOnly], ['нет', slotsOnly],
  ])('"%s" is none where its meaning is not in play (it is not yes, no or a slot)', (text, m) => {
    expect(m.match(text).intent).toBeNull();
  });
  it('details that are no other answer do not block one: "да, завтра приду" is yes; "нет, в другой клинике" is no', () => {
    expect(yesNo.match('да, завтра приду').intent).toBe('yes');
    expect(yesNo.match('нет, я в другой клинике наблюдаюсь').intent).toBe('no');
  });
});
