import { describe, expect, it } from 'vitest';
import { watchSpeechCapacity } from '../../src/speech/capacity.js';
import { fakeEngine } from '../../src/speech/testing/index.js';
import { cachingTts } from '../../src/speech/tts-cache.js';

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
    const cap = watchSpeechCapacity(e, { pollMs: 20, onPoll: (h) => polls.push(h) });
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
