import { describe, expect, it } from 'vitest';
import { SpeechError } from '../../src/core/index.js';
import { Breaker } from '../../src/speech/breaker.js';
import { routeSpeech } from '../../src/speech/router.js';
import { fakeEngine } from '../../src/speech/testing/index.js';
import type { AsrEvent } from '../../src/speech/index.js';

// The engines here are fakes (src/speech/testing): the test is about routing, fallback and the
// breaker around them. Real engines behind the router are in tests/integration/speech-*.test.ts.

async function say(tts: ReturnType<typeof routeSpeech>['tts'], text: string, voice?: string): Promise<number> {
  let samples = 0;
  for await (const pcm of tts!.synthesize({ text, language: 'ru-RU', ...(voice ? { voice } : {}) })) samples += pcm.length;
  return samples;
}

async function listen(router: ReturnType<typeof routeSpeech>, frames: number): Promise<AsrEvent[]> {
  const s = router.asr!.recognize({ language: 'ru-RU', grammar: ['да', 'нет'] });
  const got: AsrEvent[] = [];
  const done = (async () => {
    for await (const ev of s.events()) got.push(ev);
  })();
  for (let i = 0; i < frames; i++) s.write(new Int16Array(160));
  s.end();
  await done;
  return got;
}

describe('speech router', () => {
  it('sends a voice to the engine that has it, a language to the first that speaks it, and drops a voice the fallback lacks', async () => {
    const a = fakeEngine({ name: 'a', languages: ['en-US'], voices: ['slt'] });
    const b = fakeEngine({ name: 'b', languages: ['ru-RU', 'en-US'], voices: ['anna'] });
    const r = routeSpeech([a, b]);
    await r.start();
    expect(await say(r.tts, 'привет', 'anna')).toBeGreaterThan(0);
    expect(b.seen).toEqual([{ side: 'tts', what: 'привет', voice: 'anna' }]);
    expect(a.seen).toEqual([]);
    b.mode = 'down';
    await expect(say(r.tts, 'hi', 'anna')).rejects.toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    // 'a' does not speak ru-RU: nobody is left, and the error says who was tried and why
    const err = await say(r.tts, 'привет').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpeechError);
    expect((err as SpeechError).message).toMatch(/no speech engine can speak ru-RU now: b: /);
  });

  it('falls back to the second engine when the first is down, and stops trying the first once its circuit opens', async () => {
    let now = 0;
    const a = fakeEngine({ name: 'a' });
    const b = fakeEngine({ name: 'b' });
    const fallbacks: string[] = [];
    const r = routeSpeech([a, b], { breaker: { failures: 2, openMs: 1000, now: () => now }, onFallback: (e) => fallbacks.push(`${e.side} ${e.from}->${e.to} ${e.code}`) });
    a.mode = 'down';
    for (let i = 0; i < 4; i++) expect(await say(r.tts, 'алло')).toBeGreaterThan(0);
    expect(a.seen).toHaveLength(2); // the third and fourth went straight to b
    expect(b.seen).toHaveLength(4);
    expect(fallbacks).toEqual(['tts a->b SPEECH_UNAVAILABLE', 'tts a->b SPEECH_UNAVAILABLE']);
    expect(r.engines()[0]).toMatchObject({ name: 'a', tts: 'open' });
    // half-open after openMs: one trial; a is back, so the circuit closes
    now = 1001;
    a.mode = 'up';
    await say(r.tts, 'алло');
    expect(a.seen).toHaveLength(3);
    expect(r.engines()[0]).toMatchObject({ tts: 'closed' });
  });

  it('a refused request moves on but does not open the circuit', async () => {
    const a = fakeEngine({ name: 'a' });
    const b = fakeEngine({ name: 'b' });
    const r = routeSpeech([a, b], { breaker: { failures: 1 } });
    a.mode = 'refuse';
    await say(r.tts, 'один');
    await say(r.tts, 'два');
    expect(a.seen).toHaveLength(2);
    expect(r.engines()[0]).toMatchObject({ tts: 'closed' });
  });

  it('a recogniser that dies mid-answer hands the answer to the next engine, audio replayed, offsets kept', async () => {
    const a = fakeEngine({ name: 'a', failAfterSamples: 8000 });
    const b = fakeEngine({ name: 'b', hears: () => [{ type: 'final', text: 'нет', confidence: 0.9, atMs: 1500 }] });
    const r = routeSpeech([a, b]);
    const got = await listen(r, 100); // 2 s of audio; a dies at 1 s
    expect(got).toEqual([{ type: 'final', text: 'нет', confidence: 0.9, atMs: 1500 }]);
    expect(b.open).toBe(0);
    expect(a.open).toBe(0);
  });

  it('a grammar goes to an engine that takes grammars first', async () => {
    const plain = fakeEngine({ name: 'plain', hears: () => [{ type: 'final', text: 'дааа', confidence: 1, atMs: 10 }] });
    const grammar = fakeEngine({ name: 'grammar', grammar: true, hears: () => [{ type: 'no-match', confidence: 0.8, atMs: 10 }] });
    const r = routeSpeech([plain, grammar]);
    await r.start();
    expect(await listen(r, 5)).toEqual([{ type: 'no-match', confidence: 0.8, atMs: 10 }]);
  });

  it('with every engine down, recognition fails SPEECH_UNAVAILABLE at once, naming each', async () => {
    const a = fakeEngine({ name: 'a' });
    const b = fakeEngine({ name: 'b' });
    a.mode = 'down';
    b.mode = 'down';
    const r = routeSpeech([a, b]);
    const err = await listen(r, 3).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/a: .*; b: /);
  });

  it('health adds up the engines that serve', async () => {
    const a = fakeEngine({ name: 'a', maxStreams: 10 });
    const b = fakeEngine({ name: 'b', maxStreams: 6 });
    const r = routeSpeech([a, b]);
    const s = r.asr!.recognize({ language: 'ru-RU' });
    expect(await r.health()).toEqual({ serving: true, streamsInUse: 1, maxStreams: 16, backlogMs: 0, requestMs: 0 });
    s.cancel();
    b.mode = 'down';
    expect(await r.health()).toEqual({ serving: true, streamsInUse: 0, maxStreams: 10, backlogMs: 0, requestMs: 0 });
  });
});

describe('breaker', () => {
  it('opens after failures in a row, lets one trial through half-open, and doubles its wait after a failed trial', () => {
    let now = 0;
    const b = new Breaker({ failures: 2, openMs: 100, maxOpenMs: 300, now: () => now });
    b.failure();
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    now = 100;
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false); // one trial at a time
    b.failure();
    now = 250;
    expect(b.state).toBe('open'); // 200 ms now
    now = 300;
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
  });
});
