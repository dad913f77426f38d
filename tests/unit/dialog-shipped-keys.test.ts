import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScript, stepIntents, type Script } from '../../src/dialog/index.js';

/**
 * Speech recognition of Russian on the phone is imperfect, so every listen step of the shipped
 * scripts also takes a key press, and says so after a miss: its re-prompts name the keys, and
 * each key they name answers the step.
 */
const SHIPPED = readdirSync('dialogs').filter((f) => f.endsWith('.yaml')).map((f) => `dialogs/${f}`);

interface Reprompt { retries: number; say?: string; then: string }
interface ListenStep { keys?: Record<string, string>; no_match?: Reprompt; no_input?: Reprompt }

const listenSteps = (script: Script): [string, ListenStep][] =>
  Object.entries(script.steps).filter(([, st]) => st.listen !== undefined).map(([name, st]) => [name, st as ListenStep]);

/** The words that ask for a key, in the script's language. */
const pressWord = (script: Script) => (script.language.startsWith('ru') ? /нажмите/i : /press/i);

/** The keys a re-prompt names: its digits, placeholders ({slot.1}) left out. */
const keysNamed = (say: string) => [...say.replace(/\{[^}]*\}/g, '').matchAll(/[0-9*#]/g)].map((m) => m[0]);

describe('the shipped scripts take keys at every listen', () => {
  it('ships scripts with listen steps', () => {
    expect(SHIPPED.length).toBeGreaterThanOrEqual(6);
    for (const file of SHIPPED) expect(listenSteps(loadScript(file)).length, file).toBeGreaterThan(0);
  });

  for (const file of SHIPPED) {
    describe(file, () => {
      const script = loadScript(file);

      for (const [name, step] of listenSteps(script)) {
        it(`step "${name}" takes keys and names them after a miss`, () => {
          expect(Object.keys(step.keys ?? {}).length, `step "${name}" keys`).toBeGreaterThan(0);
          expect(step.no_match, `step "${name}" no_match`).toBeDefined();
          expect(step.no_match!.say, `step "${name}" no_match.say`).toMatch(pressWord(script));
          if (step.no_input) expect(step.no_input.say, `step "${name}" no_input.say`).toMatch(pressWord(script));
        });

        it(`step "${name}" hears every key its re-prompts name`, () => {
          // a key is answered when the step maps it, or when the step's intents hear the digit ("2" is the second slot at a choice)
          const matcher = stepIntents(script, name);
          const says = [step.no_match?.say, step.no_input?.say].filter((s): s is string => s !== undefined);
          const named = says.flatMap(keysNamed);
          expect(named.length, `step "${name}" names no key`).toBeGreaterThan(0);
          for (const key of named) {
            const answer = step.keys?.[key] ?? matcher.match(key).intent;
            expect(answer, `step "${name}": key ${key} is named but not answered`).toBeTruthy();
          }
        });
      }
    });
  }

  it('a translation maps the same keys as the script it translates', () => {
    for (const file of SHIPPED) {
      const script = loadScript(file);
      if (!script.translates) continue;
      const original = loadScript(`dialogs/${script.translates}.yaml`);
      for (const [name, step] of listenSteps(script)) {
        const theirs = original.steps[name] as ListenStep | undefined;
        expect(step.keys, `${file} step "${name}"`).toEqual(theirs?.keys);
        expect(step.no_match?.then, `${file} step "${name}" no_match.then`).toBe(theirs?.no_match?.then);
        expect(step.no_input?.then, `${file} step "${name}" no_input.then`).toBe(theirs?.no_input?.then);
      }
    }
  });
});
