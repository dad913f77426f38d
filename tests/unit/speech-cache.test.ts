import { describe, expect, it } from 'vitest';
import { watchSpeechCapacity } from '../../src/speech/capacity.js';
import { fakeEngine } from '../../src/speech/testing/index.js';
import { Backlog } from '../../src/speech/server/backlog.js';
import { cachingTts, callPrompts } from '../../src/speech/tts-cache.js';
import { concatPcm } from '../support/wav.js';

// fakes (src/speech/testing): the cache and the capacity watch are what is tested

async function play(tts: ReturnType<typeof cachingTts>, text: string, fixed: boolean): Promise<number> {
  let n = 0;
  for await (const pcm of tts.synthesize({ text, language: 'ru-RU', ...(fixed ? { fixed: true } : {}) })) n += pcm.length;
  return n;
}

describe('fixed prompts kept (tts-cache)', () => {
  it('a fixed prompt is synthesised once and played from memory after; one with patient data every time', async () => {
    const e = fakeEngine();
    const tts = cachingTts(e.tts!);
    const first = await play(tts, 'Здравствуйте!', true);
    expect(await play(tts, 'Здравствуйте!', true)).toBe(first);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(1);
    await play(tts, 'Анна Петровна, здравствуйте', false);
    await play(tts, 'Анна Петровна, здравствуйте', false);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(3);
    expect(tts.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
  });

  it('warm() renders ahead, and a kept prompt plays even when the engine is down', async () => {
    const e = fakeEngine();
    const tts = cachingTts(e.tts!);
    expect(await tts.warm([{ text: 'Вас беспокоит поликлиника.', language: 'ru-RU' }, { text: 'До свидания!', language: 'ru-RU' }])).toEqual({ kept: 2, failed: [] });
    e.mode = 'down';
    expect(await play(tts, 'До свидания!', true)).toBeGreaterThan(0);
    const r = await tts.warm([{ text: 'Новый текст', language: 'ru-RU' }]);
    expect(r.kept).toBe(0);
    expect(r.failed[0]).toMatch(/Новый текст: .*unreachable/);
  });

  it('a synthesis cut short is not kept, and the least recently used goes first beyond maxBytes', async () => {
    const e = fakeEngine({ msPerChar: 100 });
    const tts = cachingTts(e.tts!, { maxBytes: 2 * 8000 * 2 }); // two seconds of audio
    const ac = new AbortController();
    for await (const pcm of tts.synthesize({ text: 'длинный текст', language: 'ru-RU', fixed: true }, ac.signal)) {
      void pcm;
      ac.abort();
    }
    expect(tts.stats().entries).toBe(0);
    await play(tts, 'раз раз', true); // 0.7 s
    await play(tts, 'два два', true);
    await play(tts, 'раз раз', true); // used: 'два два' is now the oldest
    await play(tts, 'три три', true);
    expect(tts.stats().entries).toBe(2);
    const before = e.seen.length;
    await play(tts, 'раз раз', true);
    expect(e.seen.length).toBe(before); // still kept
  });
});

describe('speech capacity', () => {
  it('room is the engines\' free streams in calls of two, less the calls started since the last poll', async () => {
    const e = fakeEngine({ maxStreams: 11 });
    const open = [e.asr!.recognize({ language: 'ru-RU' }), e.asr!.recognize({ language: 'ru-RU' }), e.asr!.recognize({ language: 'ru-RU' })];
    const polls: (number | null)[] = [];
    const cap = watchSpeechCapacity(e, { pollMs: 20, maxBacklogMs: 1000, onPoll: (h) => polls.push(h) });
    try {
      await new Promise((r) => setTimeout(r, 5));
      expect(cap.headroomStreams()).toBe(8);
      expect(cap.room()).toBe(4);
      cap.take(3);
      expect(cap.room()).toBe(1);
      for (const s of open) s.cancel();
      await new Promise((r) => setTimeout(r, 40));
      expect(cap.room()).toBe(5);
      e.mode = 'down';
      await new Promise((r) => setTimeout(r, 40));
      expect(cap.room()).toBe(Infinity); // not counted on: the calls' own requests find out
    } finally {
      cap.stop();
    }
  });
});

describe("a call's own prompts (callPrompts)", () => {
  const ask = async (tts: ReturnType<typeof callPrompts>, text: string, o: { fixed?: boolean; cutAfter?: number } = {}): Promise<Int16Array> => {
    const cut = new AbortController();
    const parts: Int16Array[] = [];
    for await (const pcm of tts.synthesize({ text, language: 'ru-RU', ...(o.fixed ? { fixed: true } : {}) }, cut.signal)) {
      parts.push(pcm.slice());
      if (o.cutAfter !== undefined && parts.length >= o.cutAfter) cut.abort();
    }
    return concatPcm(parts);
  };
  const greeting = 'Здравствуйте, Анна Петровна! Вас беспокоит поликлиника.';

  it('a prompt with the patient\'s name, said again in the call, plays the same audio without asking the engine again', async () => {
    const e = fakeEngine();
    const over = new AbortController();
    const tts = callPrompts(e.tts!, over.signal);
    const first = await ask(tts, greeting);
    const again = await ask(tts, greeting);
    expect(again).toEqual(first);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(1);
    // another call asks the engine itself: nothing of this patient is shared
    const other = callPrompts(e.tts!, new AbortController().signal);
    await ask(other, greeting);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(2);
    over.abort();
  });

  it('keeps at most 1 MB of a call\'s audio: a prompt past it is asked of the engine again; a prompt that failed counts nothing', async () => {
    // an engine whose "size:N" is N chunks of 40 KB, and "fail:N" N chunks then an error
    const asked: string[] = [];
    const inner = {
      async *synthesize(req: { text: string }) {
        asked.push(req.text);
        const [kind, n] = req.text.split(':');
        for (let i = 0; i < Number(n); i++) yield new Int16Array(20_000);
        if (kind === 'fail') throw new Error('engine failed');
      },
    };
    const over = new AbortController();
    const tts = callPrompts(inner, over.signal);
    const say = async (text: string) => {
      try {
        await ask(tts, text);
      } catch { /* the failing one */ }
    };
    await say('size:10'); // 400 KB, kept
    await say('fail:10'); // 400 KB said, then failed: not kept, not counted
    await say('size:12'); // 480 KB, kept: 880 KB
    await say('size:5'); // 200 KB: past 1 MB, not kept
    await say('size:10');
    await say('size:12');
    await say('size:5');
    expect(asked).toEqual(['size:10', 'fail:10', 'size:12', 'size:5', 'size:5']);
    over.abort();
  });

  it('a prompt cut short (a screening verdict, a barge-in) is still synthesised whole, and said again whole at once', async () => {
    const e = fakeEngine();
    const over = new AbortController();
    const tts = callPrompts(e.tts!, over.signal);
    const cut = await ask(tts, greeting, { cutAfter: 2 });
    expect(cut.length).toBe(320);
    const whole = await ask(tts, greeting);
    expect(whole.length).toBe(Math.round((greeting.length * 60 * 8000) / 1000));
    expect(whole.subarray(0, 320)).toEqual(cut);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(1);
    over.abort();
  });

  it('fixed prompts pass through (cachingTts keeps those); an engine that fails is asked again next time; the call\'s end stops a synthesis', async () => {
    const e = fakeEngine();
    const over = new AbortController();
    const tts = callPrompts(e.tts!, over.signal);
    await ask(tts, 'До свидания!', { fixed: true });
    await ask(tts, 'До свидания!', { fixed: true });
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(2);
    e.mode = 'down';
    await expect(ask(tts, greeting)).rejects.toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    e.mode = 'up';
    expect((await ask(tts, greeting)).length).toBeGreaterThan(0);
    expect(e.seen.filter((r) => r.side === 'tts')).toHaveLength(4);
    // a stalled engine: the call ends, and the synthesis it was waiting on stops with it
    e.mode = 'stall';
    const pending = ask(tts, 'Анна Петровна, вы записаны на вторник.');
    await new Promise((r) => setTimeout(r, 10));
    expect(e.open).toBe(1);
    over.abort();
    expect((await pending).length).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(e.open).toBe(0);
  });
});

describe('a worker pool\'s backlog (speech/server/backlog.ts)', () => {
  it('is the wait a request arriving now can expect: the oldest\'s age, or the queue times the mean hold over the workers, whichever is longer', () => {
    const b = new Backlog(() => 2);
    expect(b.ms([], 1000)).toBe(0);
    b.held(400);
    // a burst just queued: nobody has waited yet, but ten greetings at 400 ms on two workers are 2 s of work
    const burst = Array.from({ length: 10 }, () => ({ queuedAt: 1000 }));
    expect(b.ms(burst, 1000)).toBe(2000);
    // one left, waiting long (the workers stuck on something): its age counts
    expect(b.ms([{ queuedAt: 1000 }], 4000)).toBe(3000);
    // the mean follows what the workers take now
    for (let i = 0; i < 50; i++) b.held(100);
    expect(b.ms(burst, 1000)).toBeGreaterThan(500);
    expect(b.ms(burst, 1000)).toBeLessThan(501);
  });
});

describe('the dialer\'s gate on the engines\' backlog (watchSpeechCapacity)', () => {
  it('lets start only the calls whose first requests keep the backlog within maxBacklogMs, each counted as one request', async () => {
    let h = { serving: true, streamsInUse: 0, maxStreams: 1000 as number | null, backlogMs: 0, requestMs: 200 };
    const cap = watchSpeechCapacity({ health: async () => h }, { pollMs: 10, maxBacklogMs: 1000 });
    try {
      await new Promise((r) => setTimeout(r, 5));
      expect(cap.room()).toBe(5); // 1000 ms of budget at 200 ms a request, though 500 calls' streams are free
      cap.take(3);
      expect(cap.room()).toBe(2);
      expect(cap.limit()).toBe(null);
      cap.take(2);
      expect(cap.room()).toBe(0);
      expect(cap.limit()).toBe('backlog');
      // under budget, one more at least, however long a request takes
      h = { ...h, backlogMs: 900 };
      await new Promise((r) => setTimeout(r, 30));
      expect(cap.room()).toBe(1);
      expect(cap.backlogMs()).toBe(900);
      h = { ...h, backlogMs: 0, requestMs: 5000 };
      await new Promise((r) => setTimeout(r, 30));
      expect(cap.room()).toBe(1);
      h = { ...h, backlogMs: 1500, requestMs: 200 };
      await new Promise((r) => setTimeout(r, 30));
      expect(cap.room()).toBe(0);
      expect(cap.limit()).toBe('backlog');
      h = { ...h, backlogMs: 0, streamsInUse: 1000 };
      await new Promise((r) => setTimeout(r, 30));
      expect(cap.limit()).toBe('streams');
      h = { ...h, streamsInUse: 0 };
      // an engine that does not know its cost yet: only the backlog itself shuts the gate
      h = { ...h, backlogMs: 0, requestMs: 0 };
      await new Promise((r) => setTimeout(r, 30));
      expect(cap.room()).toBe(500);
    } finally {
      cap.stop();
    }
  });
});
