import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock, type Slot } from '../../src/core/index.js';
import { DialogRun, loadScript, type DialogDeps } from '../../src/dialog/index.js';
import type { AsrEvent, AsrStream } from '../../src/speech/index.js';

/**
 * The runtime against in-test implementations of its ports, to pin a race the real network
 * cannot be made to hit on cue: the callee hangs up while the booking is in the registry.
 * (Whole calls over real RTP, gRPC and databases are in tests/integration/calls.test.ts.)
 */
const script = loadScript('dialogs/dispanserization-invite.yaml');
const slot = (id: string, h: number): Slot => ({
  id, resource: 'dr-1', specialty: 'therapist', startsAt: new Date(Date.UTC(2026, 10, 25, h)), endsAt: new Date(Date.UTC(2026, 10, 25, h, 20)),
});

function deps(answers: string[], book: () => Promise<'booked' | 'taken'>, free = [slot('1', 5), slot('2', 6)]): DialogDeps {
  return {
    clock: systemClock,
    audio: { play: async () => true, flush: () => {}, on: () => () => {} },
    tts: { async *synthesize() { yield new Int16Array(160); } },
    asr: {
      recognize(): AsrStream {
        const text = answers.shift();
        return {
          write() {}, end() {}, cancel() {},
          async *events(): AsyncIterable<AsrEvent> {
            if (text) yield { type: 'final', text, confidence: 1, atMs: 0 }; // '' or none: the callee says nothing
          },
        };
      },
    },
    slots: { offer: async () => free, book, visit: async () => null, confirmVisit: async () => 'gone', cancelVisit: async () => 'gone', moveVisit: async () => 'gone' },
    operators: { handoff: async () => 'unavailable' },
  };
}

/**
 * A line whose callee presses `digit` once: as the first prompt starts playing (`when: 'prompt'`)
 * or once the robot listens (`'listen'`); its recogniser hears nothing. `log` records plays,
 * flushes and listens.
 */
function keypadDeps(digit: string, when: 'prompt' | 'listen', log: string[] = []): DialogDeps {
  let press: ((d: string, ms: number) => void) | null = null;
  let pressed = false;
  const pressOnce = () => {
    if (pressed) return;
    pressed = true;
    press?.(digit, 100);
  };
  return {
    ...deps([], async () => 'booked'),
    audio: {
      play: async () => {
        log.push('play');
        if (when === 'prompt') pressOnce();
        return true;
      },
      flush: () => log.push('flush'),
      on: ((event: string, fn: (d: string, ms: number) => void) => {
        if (event === 'dtmf') press = fn;
        return () => {};
      }) as DialogDeps['audio']['on'],
    },
    asr: {
      recognize(): AsrStream {
        log.push('listen');
        let ended!: () => void;
        const done = new Promise<void>((r) => (ended = r));
        if (when === 'listen') setImmediate(pressOnce); // the callee presses a key while the robot listens
        return { write() {}, end: () => ended(), cancel: () => ended(), async *events(): AsyncIterable<AsrEvent> { await done; } };
      },
    },
  };
}

const call = { callId: 'c1', patient: { firstName: 'Анна', middleName: 'Петровна', lastName: 'Иванова' }, clinic: { name: 'поликлиника', timeZone: 'Europe/Moscow' } };

describe('DialogRun', () => {
  it('reports a slot booked while the callee hung up as booked, after the registry answers', async () => {
    let release!: (r: 'booked') => void;
    let run!: DialogRun;
    const booking = new Promise<'booked'>((r) => (release = r));
    run = new DialogRun(script, call, deps(['да', 'первое'], () => {
      run.hangUp(); // the callee hangs up while the registry books
      setImmediate(() => release('booked'));
      return booking;
    }));
    const result = await run.run();
    expect(result.endedBy).toBe('callee');
    expect(result.booked?.id).toBe('1');
  });

  it('ends with the script disposition and a transcript of both sides', async () => {
    const run = new DialogRun(script, call, deps(['нет, не хочу'], async () => 'booked'));
    const result = await run.run();
    expect(result).toMatchObject({ disposition: 'DECLINED', endedBy: 'robot', booked: null, stopped: false });
    expect(result.transcript.map((l) => [l.who, l.intent ?? null])).toEqual([
      ['robot', null], ['robot', null], ['callee', 'no'], ['robot', null],
    ]);
  });

  it('offers a single free slot with its own question, not as a choice of two', async () => {
    const run = new DialogRun(script, call, deps(['да', 'да, подходит'], async () => 'booked', [slot('7', 5)]));
    const result = await run.run();
    expect(result).toMatchObject({ disposition: 'BOOKED', booked: { id: '7' } });
    const asked = result.transcript.filter((l) => l.who === 'robot').map((l) => l.text);
    expect(asked).toContainEqual(expect.stringMatching(/^Есть свободное время: .+\. Записать вас на это время\?$/));
    expect(asked.join(' ')).not.toContain(', или');
  });

  it('stop() ends a call that runs too long with no disposition, marked stopped', async () => {
    const run = new DialogRun(script, call, deps([], async () => 'booked'));
    const done = run.run();
    run.stop();
    expect(await done).toMatchObject({ disposition: null, endedBy: 'robot', stopped: true });
  });
});

describe('DialogRun: a screening assistant', () => {
  /** Audio whose frames are held until flushed while `held`: a prompt that is still being said. */
  function heldAudio() {
    const pending: ((sent: boolean) => void)[] = [];
    let started!: () => void;
    const audio = {
      held: true,
      firstPlay: new Promise<void>((r) => (started = r)),
      flushes: 0,
      play: (): Promise<boolean> => {
        started();
        return audio.held ? new Promise<boolean>((r) => pending.push(r)) : Promise.resolve(true);
      },
      flush: () => {
        audio.flushes++;
        for (const r of pending.splice(0)) r(false);
      },
      on: () => () => {},
    };
    return audio;
  }

  it('screen() cuts the prompt being said, says the screening text, then starts over from the greeting and goes on to book', async () => {
    const audio = heldAudio();
    const run = new DialogRun(script, call, { ...deps(['да', 'первое'], async () => 'booked'), audio });
    const done = run.run();
    await audio.firstPlay; // the greeting is being said
    audio.held = false;
    expect(run.screen()).toBe(true);
    const result = await done;
    expect(audio.flushes).toBe(1);
    expect(result).toMatchObject({ disposition: 'BOOKED', booked: { id: '1' } });
    const said = result.transcript.filter((l) => l.who === 'robot');
    expect(said.slice(0, 4).map((l) => l.step)).toEqual(['greet', 'screening', 'greet', 'offer']);
    expect(said[1]!.text).toBe('Здравствуйте! Это поликлиника, автоматический звонок. Мы приглашаем на бесплатный профилактический осмотр. Пожалуйста, передайте трубку.');
  });

  it('screen() changes nothing for a script without a screening text, nor once the dialog has ended', async () => {
    const bare = { ...script, screening: undefined };
    const audio = heldAudio();
    const run = new DialogRun(bare, call, { ...deps(['нет, не хочу'], async () => 'booked'), audio });
    const done = run.run();
    await audio.firstPlay;
    audio.held = false;
    expect(run.screen()).toBe(false);
    audio.flush(); // let the held greeting go
    const result = await done;
    expect(result.transcript.filter((l) => l.who === 'robot').map((l) => l.step)).toEqual(['greet', 'offer', 'decline']);
    expect(run.screen()).toBe(false);
  });
});

describe('DialogRun: keys pressed while it listens', () => {
  it('a key an intent names is that intent; one no intent names is unknown; the transcript says which', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zvonar-keys-'));
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, [
      'id: keys', 'version: 1', 'language: ru-RU', 'start: ask',
      'steps:',
      '  ask:',
      '    say: "Это {clinic.name}, робот. Нажмите 1, если придёте, или 2, если нет."',
      '    listen: { yes: [да, "1"], no: [нет, "2"] }',
      '    on: { yes: fine, no: sorry, otherwise: again }',
      '  again:',
      '    say: "Не поняла."',
      '    end: NO_RESPONSE',
      '  fine:',
      '    say: "Ждём вас."',
      '    end: CONFIRMED',
      '  sorry:',
      '    say: "Жаль."',
      '    end: DECLINED',
      '',
    ].join('\n'));
    const keys = loadScript(file);
    rmSync(dir, { recursive: true, force: true });
    const run = (digit: string) => new DialogRun(keys, call, keypadDeps(digit, 'listen')).run();
    const yes = await run('1');
    expect(yes.disposition).toBe('CONFIRMED');
    expect(yes.transcript).toContainEqual(expect.objectContaining({ who: 'system', text: '(key 1 pressed: yes)', intent: 'yes' }));
    expect((await run('2')).disposition).toBe('DECLINED');
    expect((await run('9')).disposition).toBe('NO_RESPONSE');
  });
});

describe('listen: keys, no_input, no_match, repeat', () => {
  const yaml = (extra: string) => [
    'id: t', 'version: 1', 'language: ru-RU', 'start: ask', 'steps:',
    '  ask:',
    '    say: "Это {clinic.name}, робот. Вы придёте? Нажмите 1, если да, или 2, если нет."',
    '    listen:',
    '      yes: [да, приду]',
    '      no: [нет]',
    '      repeat: [повторите, что]',
    '    keys: { "1": yes, "2": no }',
    extra,
    '    on: { yes: fine, no: sorry }',
    '  fine: { say: "Ждём вас.", end: CONFIRMED }',
    '  sorry: { say: "Жаль.", end: DECLINED }',
    '  bye: { say: "Не удалось вас расслышать. До свидания.", end: NO_RESPONSE }',
    '  human: { say: "Передам оператору.", end: NEEDS_HUMAN }',
    '',
  ].join('\n');
  const handlers = [
    '    no_input: { retries: 1, say: "Алло, вы меня слышите?", then: bye }',
    '    no_match: { retries: 2, then: human }',
  ].join('\n');
  const script = loadScript('t.yaml', yaml(handlers));
  const said = (r: { transcript: { who: string; text: string }[] }) => r.transcript.filter((l) => l.who === 'robot').map((l) => l.text);

  it('a silence is asked again with the no_input text, then understood', async () => {
    const r = await new DialogRun(script, call, deps(['', 'да'], async () => 'booked')).run();
    expect(r.disposition).toBe('CONFIRMED');
    expect(said(r)).toEqual(['Это поликлиника, робот. Вы придёте? Нажмите 1, если да, или 2, если нет.', 'Алло, вы меня слышите?', 'Ждём вас.']);
  });

  it('silence past the retries goes to no_input.then', async () => {
    const r = await new DialogRun(script, call, deps([], async () => 'booked')).run();
    expect(r.disposition).toBe('NO_RESPONSE');
    expect(said(r)).toEqual(['Это поликлиника, робот. Вы придёте? Нажмите 1, если да, или 2, если нет.', 'Алло, вы меня слышите?', 'Не удалось вас расслышать. До свидания.']);
  });

  it('no_match without its own text says the prompt again, up to its retries, then goes to no_match.then', async () => {
    const r = await new DialogRun(script, call, deps(['может быть', 'не знаю', 'хм'], async () => 'booked')).run();
    expect(r.disposition).toBe('NEEDS_HUMAN');
    expect(said(r).filter((t) => t.includes('Вы придёте?'))).toHaveLength(3);
  });

  it('"repeat" says the prompt again and does not count as a failure', async () => {
    const r = await new DialogRun(script, call, deps(['что', 'повторите', 'хм', 'что', 'хм', 'нет'], async () => 'booked')).run();
    expect(r.disposition).toBe('DECLINED');
    expect(said(r).filter((t) => t.includes('Вы придёте?'))).toHaveLength(6);
  });

  it('two answers not understood are asked again (no_match retries: 2), and the third is heard', async () => {
    const r = await new DialogRun(script, call, deps(['хм', 'хм', 'да'], async () => 'booked')).run();
    expect(r.disposition).toBe('CONFIRMED');
  });

  it('refuses keys for an intent the step does not hear, and on: silence beside no_input', () => {
    const bad = yaml(`${handlers}\n    keys: { "3": maybe }`.replace('    keys: { "1": yes, "2": no }\n', ''));
    expect(() => loadScript('t.yaml', bad.replace('    keys: { "1": yes, "2": no }\n', ''))).toThrow(/maps key 3 to "maybe"/);
    const both = yaml(handlers).replace('on: { yes: fine, no: sorry }', 'on: { yes: fine, no: sorry, silence: bye }');
    expect(() => loadScript('t.yaml', both)).toThrow(/both no_input and "on: silence"/);
    const stray = yaml(handlers).replace('  fine: { say: "Ждём вас.", end: CONFIRMED }', '  fine: { say: "Ждём вас.", end: CONFIRMED, keys: { "1": yes } }');
    expect(() => loadScript('t.yaml', stray)).toThrow(/"keys", which only listen steps take/);
  });
});

describe('safe defaults at every listen step', () => {
  const yaml = (safety = '') => [
    'id: t', 'version: 1', 'language: ru-RU', 'start: ask', safety, 'steps:',
    '  ask:',
    '    say: "Здравствуйте! Это {clinic.name}, автоматический звонок. Вы придёте на приём?"',
    '    listen: { yes: [], no: [] }',
    '    on: { yes: fine, no: sorry, otherwise: sorry }',
    '  fine: { say: "Ждём вас.", end: CONFIRMED }',
    '  sorry: { say: "Жаль.", end: DECLINED }',
    '',
  ].join('\n');
  const script = loadScript('t.yaml', yaml());

  it('"не звоните мне больше" ends politely as DNC, the number stored before the goodbye is played', async () => {
    const order: string[] = [];
    const d = deps(['слушайте, не звоните мне больше'], async () => 'booked');
    const r = await new DialogRun(script, call, {
      ...d,
      audio: { ...d.audio, play: async () => (order.push('audio'), true) },
      onDoNotCall: () => order.push('dnc'),
      onLine: (l) => { if (l.who === 'robot') order.push(l.text); },
    }).run();
    expect(r.disposition).toBe('DNC');
    expect(order.slice(-3)).toEqual(['Поняла, больше не будем вам звонить. Извините за беспокойство. До свидания.', 'dnc', 'audio']);
  });

  it('"это не я, вы ошиблись" ends as WRONG_PERSON, saying nothing about the visit', async () => {
    const r = await new DialogRun(script, call, deps(['это не я, вы ошиблись номером'], async () => 'booked')).run();
    expect(r.disposition).toBe('WRONG_PERSON');
    expect(r.transcript.filter((l) => l.who === 'robot').at(-1)!.text).toBe('Извините, пожалуйста, за беспокойство. Всего доброго.');
  });

  it('"позовите оператора" hands off; with nobody free the robot promises a call back (NEEDS_HUMAN)', async () => {
    const queues: string[] = [];
    const d = deps(['позовите оператора'], async () => 'booked');
    const r = await new DialogRun(script, call, { ...d, operators: { handoff: async (p) => (queues.push(p.queue), 'unavailable') } }).run();
    expect(r.disposition).toBe('NEEDS_HUMAN');
    expect(queues).toEqual(['general']);
    const connected = await new DialogRun(script, call, { ...deps(['соедините с человеком'], async () => 'booked'), operators: { handoff: async () => 'connected' } }).run();
    expect(connected.disposition).toBe('TRANSFERRED');
  });

  it('a default turned off with a reason is not heard; one turned off without a reason is refused', async () => {
    const off = loadScript('t.yaml', yaml('safety:\n  operator: { off: "no operators at this clinic on weekends" }'));
    const r = await new DialogRun(off, call, deps(['позовите оператора'], async () => 'booked')).run();
    expect(r.disposition).toBe('DECLINED'); // "otherwise" of the step
    expect(() => loadScript('t.yaml', yaml('safety:\n  operator: { off: "" }'))).toThrow(/safety\.operator\.off/);
  });

  it('the first prompt must name the clinic and say the call is automated, unless turned off with a reason', () => {
    const plain = yaml().replace('Это {clinic.name}, автоматический звонок. ', '');
    expect(() => loadScript('t.yaml', plain)).toThrow(expect.objectContaining({
      code: 'SCRIPT_SAFETY', where: expect.objectContaining({ line: 8 }),
      message: expect.stringMatching(/^the first prompt \(step "ask"\) must name the clinic \(\{clinic\.name\}\) and say the call is automated/),
    }));
    expect(loadScript('t.yaml', plain.replace('start: ask\n', 'start: ask\nsafety: { announce: { off: "the clinic\'s own operators call from this script" } }\n')).start).toBe('ask');
  });
});

describe('the reminder script: confirm, reschedule, cancel, call back', () => {
  const reminder = loadScript('dialogs/appointment-reminder.yaml');
  const visit = slot('v', 6);
  // real timers (the in-test speech answers at once), a fixed date: Tuesday 2026-11-24, 10:00 in Moscow
  const clock = { ...systemClock, now: () => Date.UTC(2026, 10, 24, 7, 0, 0) };
  function reminderDeps(answers: string[], log: string[], free = [slot('1', 7), slot('2', 8)]): DialogDeps {
    const d = deps(answers, async () => 'booked', free);
    return {
      ...d,
      slots: {
        ...d.slots,
        visit: async () => visit,
        confirmVisit: async () => (log.push('confirm'), 'confirmed'),
        cancelVisit: async () => (log.push('cancel'), 'cancelled'),
        moveVisit: async (s) => (log.push(`move ${s.id}`), 'moved'),
      },
      callbacks: { fit: (t) => t.earliest, request: (at) => log.push(`callback ${at.toISOString()}`) },
      clock,
    };
  }
  const withVisit = { ...call, visit };

  it('"да, приду" confirms the visit', async () => {
    const log: string[] = [];
    const r = await new DialogRun(reminder, withVisit, reminderDeps(['да, приду'], log)).run();
    expect(r.disposition).toBe('CONFIRMED');
    expect(log).toEqual(['confirm']);
    expect(r.transcript[0]!.text).toMatch(/вы записаны на приём в (вторник|среду|четверг|понедельник|пятницу|субботу|воскресенье), \d+ [а-я]+, в \d+:\d\d\./);
  });

  it('"давайте перенесём" offers other times and moves the visit to the one chosen', async () => {
    const log: string[] = [];
    const r = await new DialogRun(reminder, withVisit, reminderDeps(['давайте перенесём', 'второе'], log)).run();
    expect(r.disposition).toBe('RESCHEDULED');
    expect(log).toEqual(['move 2']);
    expect(r.booked?.id).toBe('2');
  });

  it('"нет" asks whether to move it; "нет" again cancels it; key 3 cancels at once', async () => {
    const log: string[] = [];
    expect((await new DialogRun(reminder, withVisit, reminderDeps(['нет', 'нет, не надо'], log)).run()).disposition).toBe('CANCELLED_BY_PATIENT');
    expect(log).toEqual(['cancel']);
  });

  it('"перезвоните завтра после шести" sets the call back on the callee\'s clock', async () => {
    const log: string[] = [];
    const r = await new DialogRun(reminder, withVisit, reminderDeps(['ой, я за рулём, перезвоните', 'завтра после шести'], log)).run();
    expect(r.disposition).toBe('CALLBACK_REQUESTED');
    // the fake clock stands at 2026-11-24 10:00 Moscow: tomorrow after six is 18:00 MSK = 15:00 UTC
    expect(log).toEqual(['callback 2026-11-25T15:00:00.000Z']);
    expect(r.transcript.filter((l) => l.who === 'robot').at(-1)!.text).toBe('Договорились, перезвоним в среду, 25 ноября, в 18:00. До свидания.');
  });

  it('a vague time ("попозже") is asked again, then set', async () => {
    const log: string[] = [];
    const r = await new DialogRun(reminder, withVisit, reminderDeps(['перезвоните позже', 'попозже', 'через час'], log)).run();
    expect(r.disposition).toBe('CALLBACK_REQUESTED');
    expect(r.transcript.some((l) => l.who === 'robot' && l.text.startsWith('Назовите, пожалуйста, день и время'))).toBe(true);
    expect(log).toEqual(['callback 2026-11-24T08:00:00.000Z']);
  });

  it('a reminder with no visit left says so without naming one', async () => {
    const log: string[] = [];
    const d = reminderDeps([], log);
    const r = await new DialogRun(reminder, call, { ...d, slots: { ...d.slots, visit: async () => null } }).run();
    expect(r.disposition).toBe('NEEDS_HUMAN');
    expect(r.transcript[0]!.text).toMatch(/^Здравствуйте! Это поликлиника, автоматический звонок. Ваша запись уже изменена/);
  });
});

describe('keys and long answers', () => {
  const keysScriptWith = (bargeIn: boolean) => loadScript('k.yaml', [
    'id: k', 'version: 1', 'language: ru-RU', 'start: ask', 'steps:',
    '  ask:',
    '    say: "Это {clinic.name}, робот. Вы придёте? Нажмите 1, если да, 2, если нет."',
    `    bargeIn: ${bargeIn}`,
    '    listen: { yes: [], no: [] }',
    '    keys: { "1": yes, "2": no }',
    '    on: { yes: fine, otherwise: sorry }',
    '  fine: { say: "Ждём вас.", end: CONFIRMED }',
    '  sorry: { say: "Жаль.", end: DECLINED }',
    '',
  ].join('\n'));
  const keysScript = keysScriptWith(true);
  const disclosure = keysScriptWith(false);

  it('a key pressed while an interruptible prompt plays cuts it and is the answer at once', async () => {
    const log: string[] = [];
    const r = await new DialogRun(keysScript, call, keypadDeps('1', 'prompt', log)).run();
    expect(r.disposition).toBe('CONFIRMED');
    expect(r.transcript).toContainEqual(expect.objectContaining({ who: 'system', text: '(the callee pressed a key over the prompt; the rest was not said)' }));
    expect(log).not.toContain('listen'); // answered before any recognition stream was opened
  });

  it('a key pressed over a prompt that may not be cut is kept for the listen after it', async () => {
    const log: string[] = [];
    const r = await new DialogRun(disclosure, call, keypadDeps('2', 'prompt', log)).run();
    expect(r.disposition).toBe('DECLINED');
    expect(r.transcript.some((l) => l.text.includes('pressed a key over the prompt'))).toBe(false);
  });

  it('an answer that runs past the utterance cap is still heard (the stream is ended, not cancelled)', async () => {
    // a clock whose timers run 1000 times faster: the 15 s cap passes in 15 ms
    const fast = { ...systemClock, setTimeout: (fn: () => void, ms: number) => globalThis.setTimeout(fn, ms / 1000) };
    const d = deps([], async () => 'booked');
    const r = await new DialogRun(keysScript, call, {
      ...d,
      clock: fast,
      asr: {
        recognize(): AsrStream {
          let ended!: () => void;
          const done = new Promise<void>((res) => (ended = res));
          let cancelled = false;
          return {
            write() {}, end: () => ended(), cancel: () => { cancelled = true; ended(); },
            async *events(): AsyncIterable<AsrEvent> {
              yield { type: 'speech-start', atMs: 0 };
              await done; // talks on until the robot ends the stream
              if (!cancelled) yield { type: 'final', text: 'да-да, конечно приду, обязательно приду, спасибо что напомнили', confidence: 0.9, atMs: 15_000 };
            },
          };
        },
      },
    }).run();
    expect(r.disposition).toBe('CONFIRMED');
  });
});

describe('a callback step hears the safe defaults too', () => {
  const reminder = loadScript('dialogs/appointment-reminder.yaml');
  const visit = slot('v', 6);
  const clock = { ...systemClock, now: () => Date.UTC(2026, 10, 24, 7, 0, 0) };
  const run = (answers: string[], log: string[]) => {
    const d = deps(answers, async () => 'booked');
    return new DialogRun(reminder, { ...call, visit }, {
      ...d, clock,
      slots: { ...d.slots, visit: async () => visit },
      callbacks: { fit: (t) => t.earliest, request: (at) => log.push(at.toISOString()) },
      onDoNotCall: () => log.push('dnc'),
    }).run();
  };
  it('"не звоните мне больше" there ends as DNC', async () => {
    const log: string[] = [];
    expect((await run(['перезвоните', 'не звоните мне больше'], log)).disposition).toBe('DNC');
    expect(log).toEqual(['dnc']);
  });
  it('"не звоните сейчас, позвоните вечером" there is a time, not a stop', async () => {
    const log: string[] = [];
    expect((await run(['перезвоните', 'не звоните сейчас, позвоните вечером'], log)).disposition).toBe('CALLBACK_REQUESTED');
    expect(log).toEqual(['2026-11-24T14:00:00.000Z']);
  });
});

describe('listen: a guess is confirmed, not acted on', () => {
  /** A recogniser that hears these answers in turn, each with its confidence. */
  function unsure(answers: [string, number][], grammars: string[][] = []): DialogDeps {
    return {
      ...deps([], async () => 'booked'),
      asr: {
        recognize(o): AsrStream {
          grammars.push(o.grammar ?? []);
          const a = answers.shift();
          return {
            write() {}, end() {}, cancel() {},
            async *events(): AsyncIterable<AsrEvent> {
              if (!a) return;
              yield a[0] === '' ? { type: 'no-match', confidence: a[1], atMs: 0 } : { type: 'final', text: a[0], confidence: a[1], atMs: 0 };
            },
          };
        },
      },
    };
  }

  it('an answer heard between confirm and act is asked back ("Вы сказали…?"); a yes acts on it', async () => {
    const grammars: string[][] = [];
    const run = new DialogRun(script, call, unsure([['да', 0.6], ['да', 0.9], ['первое', 0.95]], grammars));
    const result = await run.run();
    expect(result.disposition).toBe('BOOKED');
    const said = result.transcript.filter((l) => l.who === 'robot').map((l) => l.text);
    expect(said).toContain('Вы сказали: «да»? Скажите «да» или нажмите 1. Если нет — нажмите 2.');
    expect(result.transcript.map((l) => l.text)).toContain('(confirmed: yes)');
    // the step's closed grammar went to the recogniser: the built-ins' phrases, Russian
    expect(grammars[0]).toEqual(expect.arrayContaining(['да', 'нет', 'оператор']));
    expect(grammars[1]).toEqual(expect.arrayContaining(['да', 'нет']));
  });

  it('a "no" to the confirmation, or an answer below confirm, is not understood: the re-prompt names the keys', async () => {
    const run = new DialogRun(script, call, unsure([['нет', 0.7], ['нет', 0.9], ['да', 0.2], ['', 0.9]]));
    const result = await run.run();
    const lines = result.transcript.map((l) => l.text);
    expect(lines).toContain('(not sure of "нет" at 0.70: not understood)');
    expect(lines).toContain('(not sure of "да" at 0.20: not understood)');
    // never acted on: not DECLINED from a guessed "нет"
    expect(result.disposition).not.toBe('DECLINED');
    expect(result.transcript.filter((l) => l.who === 'robot').some((l) => /нажмите 1/.test(l.text))).toBe(true);
  });
});

describe('listen: an answer that ends the calls for good needs more than a guess', () => {
  it('a "нет" heard at 0.98 (a recogniser that hears «да» as «нет») is confirmed; the callee\'s "нет" to that is not a refusal', async () => {
    const answers: [string, number][] = [['нет', 0.98], ['нет', 0.9], ['да', 1], ['первое', 1]];
    const d = deps([], async () => 'booked');
    d.asr = {
      recognize(): AsrStream {
        const a = answers.shift();
        return { write() {}, end() {}, cancel() {}, async *events(): AsyncIterable<AsrEvent> { if (a) yield { type: 'final', text: a[0], confidence: a[1], atMs: 0 }; } };
      },
    };
    const result = await new DialogRun(script, call, d).run();
    expect(result.transcript.map((l) => l.text)).toContain('Вы сказали: «нет»? Скажите «да» или нажмите 1. Если нет — нажмите 2.');
    expect(result.disposition).toBe('BOOKED'); // the re-prompt heard the real answer
  });

  it('an exact engine (confidence 1) is acted on at once', async () => {
    const result = await new DialogRun(script, call, deps(['нет, не хочу'], async () => 'booked')).run();
    expect(result.disposition).toBe('DECLINED');
    expect(result.transcript.some((l) => l.text.startsWith('Вы сказали'))).toBe(false);
  });
});
