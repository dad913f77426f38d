/**
 * The Vosk adapter (src/speech/adapters/vosk) against a server speaking vosk-server's WebSocket
 * protocol. The real vosk-server cannot run here: its Russian models (vosk-model-ru-0.42,
 * vosk-model-small-ru-0.22) cannot be downloaded in this environment, so tests/support/fake-vosk.ts
 * stands in: the protocol of websocket/asr_server.py (config, one answer per frame, the exact
 * eof string, close after it), recognising the modem voice exactly. How the adapter copes with a
 * real model's words and timing is for a run against docker compose --profile vosk.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpeechError } from '../../src/core/index.js';
import { connectVosk, type VoskEngine } from '../../src/speech/adapters/vosk/index.js';
import { modemSpeak } from '../../src/speech/index.js';
import type { AsrEvent, AsrStream } from '../../src/speech/index.js';
import { startFakeVosk, startSilentTcp, unusedUrl, type FakeVosk } from '../support/fake-vosk.js';
import { concatPcm } from '../support/wav.js';

const RATE = 8000;
const FRAME = 160; // 20 ms, as RTP brings it
const DEADLINE_MS = 800;
const CONF: Record<string, number> = { да: 0.9, записывайте: 0.7 };

let fake: FakeVosk;
let vosk: VoskEngine;

beforeAll(async () => {
  fake = await startFakeVosk({ endpointMs: 300, conf: (w) => CONF[w] ?? 1 });
  vosk = connectVosk({ url: fake.url, deadlineMs: DEADLINE_MS, maxStreams: 8 });
});

afterEach(() => {
  fake.fault = null;
});

afterAll(async () => {
  vosk?.close();
  await fake?.close();
});

const silence = (ms: number): Int16Array => new Int16Array((ms * RATE) / 1000);

const concat = (...parts: Int16Array[]): Int16Array => concatPcm(parts);

/** Writes audio in 20 ms frames, yielding to the event loop every 100 ms of it so answers arrive as it goes. */
async function play(stream: AsrStream, pcm: Int16Array): Promise<void> {
  for (let at = 0; at < pcm.length; at += FRAME) {
    stream.write(pcm.subarray(at, at + FRAME));
    if ((at / FRAME) % 5 === 4) await new Promise((r) => setImmediate(r));
  }
}

/** Events until (and with) the first that `last` accepts. */
async function until(it: AsyncIterator<AsrEvent>, last: (e: AsrEvent) => boolean): Promise<AsrEvent[]> {
  const out: AsrEvent[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error(`events ended after ${JSON.stringify(out)}`);
    out.push(r.value);
    if (last(r.value)) return out;
  }
}

async function failure(stream: AsrStream): Promise<{ err: SpeechError; events: AsrEvent[] }> {
  const events: AsrEvent[] = [];
  try {
    for await (const e of stream.events()) events.push(e);
  } catch (err) {
    expect(err).toBeInstanceOf(SpeechError);
    return { err: err as SpeechError, events };
  }
  throw new Error(`events ended without an error after ${JSON.stringify(events)}`);
}

const msOf = (samples: number): number => Math.round(samples / 8);
const isResult = (e: AsrEvent): boolean => e.type === 'final' || e.type === 'no-match';

describe('Vosk adapter: recognition', () => {
  it('recognize() streams: the first answer\'s events arrive while the stream is open, interim then final, with offsets in the stream\'s audio', async () => {
    const before = fake.connections.length;
    const stream = vosk.asr!.recognize({ language: 'ru-RU', interim: true, hints: ['да'], callId: 'c-1' });
    const it = stream.events()[Symbol.asyncIterator]();
    const lead = silence(300);
    const da = modemSpeak('Да,');
    const zap = modemSpeak('записывайте');
    await play(stream, concat(lead, da, zap, silence(500)));
    const first = await until(it, isResult);

    expect(first.map((e) => e.type)).toEqual(['speech-start', 'interim', 'interim', 'speech-end', 'final']);
    const [start, i1, i2, end, fin] = first as [
      Extract<AsrEvent, { type: 'speech-start' }>,
      Extract<AsrEvent, { type: 'interim' }>,
      Extract<AsrEvent, { type: 'interim' }>,
      Extract<AsrEvent, { type: 'speech-end' }>,
      Extract<AsrEvent, { type: 'final' }>,
    ];
    expect([i1.text, i2.text]).toEqual(['да', 'да записывайте']);
    // speech-start stands on the first partial: after the first word was heard, before the second
    expect(start.atMs).toBeGreaterThanOrEqual(msOf(lead.length + da.length) - 30);
    expect(start.atMs).toBeLessThan(msOf(lead.length + da.length + zap.length));
    expect(i1.atMs).toBe(start.atMs);
    expect(i2.atMs).toBeGreaterThan(i1.atMs);
    expect(fin.text).toBe('да записывайте');
    expect(fin.confidence).toBeCloseTo(0.8, 5); // the mean of the words' conf
    expect(fin.startMs).toBeGreaterThanOrEqual(msOf(lead.length) - 5);
    expect(fin.startMs).toBeLessThanOrEqual(msOf(lead.length) + 20);
    expect(fin.words!.map((w) => w.word)).toEqual(['да', 'записывайте']);
    expect(fin.words![0]!.endMs).toBeLessThanOrEqual(fin.words![1]!.startMs);
    expect(end.atMs).toBe(fin.atMs);
    expect(fin.atMs).toBe(fin.words![1]!.endMs);
    expect(fin.atMs).toBeLessThanOrEqual(msOf(lead.length + da.length + zap.length));

    // the stream is still open: a second answer, offsets counting on from the stream's first sample
    const offset = lead.length + da.length + zap.length + silence(500).length;
    await play(stream, concat(modemSpeak('спасибо'), silence(500)));
    const second = await until(it, isResult);
    const fin2 = second.at(-1) as Extract<AsrEvent, { type: 'final' }>;
    expect(fin2.text).toBe('спасибо');
    expect(fin2.startMs).toBeGreaterThanOrEqual(msOf(offset) - 5);

    stream.end();
    expect((await it.next()).done).toBe(true);

    // one connection: the config as vosk-server reads it, hints not turned into a phrase list, 100 ms frames
    expect(fake.connections.length).toBe(before + 1);
    const conn = fake.connections.at(-1)!;
    expect(conn.config).toEqual({ sample_rate: 8000, words: 1, max_alternatives: 0 });
    expect(conn.eof).toBe(true);
    expect(conn.frameSamples.slice(0, -1).every((n) => n === 800)).toBe(true);
    expect(await conn.closed).toBe(1000);
  });

  it('recognize() without interim sends speech-start, speech-end and final only', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    await play(stream, concat(silence(100), modemSpeak('нет'), silence(400)));
    stream.end();
    const events: AsrEvent[] = [];
    for await (const e of stream.events()) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'speech-end', 'final']);
    expect(events.at(-1)).toMatchObject({ type: 'final', text: 'нет', confidence: 1 });
  });

  it('end() mid-answer gets the final result of what was heard, from the eof\'s answer', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    await play(stream, concat(silence(100), modemSpeak('перезвоните')));
    stream.end();
    const events: AsrEvent[] = [];
    for await (const e of stream.events()) events.push(e);
    expect(events.at(-1)).toMatchObject({ type: 'final', text: 'перезвоните' });
  });

  it('with a grammar, off-grammar speech is a no-match and a phrase comes back as the script wrote it', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU', grammar: ['Да, записывайте', 'Нет'] });
    const it = stream.events()[Symbol.asyncIterator]();
    await play(stream, concat(silence(100), modemSpeak('перезвоните позже'), silence(400)));
    const off = await until(it, isResult);
    expect(off.map((e) => e.type)).toEqual(['speech-start', 'speech-end', 'no-match']);
    expect(off.at(-1)!.atMs).toBe(off[1]!.atMs);

    await play(stream, concat(modemSpeak('да записывайте'), silence(400)));
    const on = await until(it, isResult);
    expect(on.at(-1)).toMatchObject({ type: 'final', text: 'Да, записывайте' });
    stream.cancel();

    // Vosk's spelling of the phrases, and [unk] so speech outside them is not forced onto them
    const conn = fake.connections.at(-1)!;
    expect(conn.config.phrase_list).toEqual(['да записывайте', 'нет', '[unk]']);
    expect(conn.sent.some((s) => s.includes('[unk]'))).toBe(true);
  });

  it('cancel() mid-answer ends events() at once without error, and the server closes the connection after the eof', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU', interim: true });
    const it = stream.events()[Symbol.asyncIterator]();
    await play(stream, concat(silence(100), modemSpeak('да')));
    await until(it, (e) => e.type === 'interim');
    const conn = fake.connections.at(-1)!;
    stream.cancel();
    stream.cancel();
    expect((await it.next()).done).toBe(true);
    const frames = conn.frames;
    stream.write(modemSpeak('нет'));
    expect(await conn.closed).toBe(1000);
    expect(conn.eof).toBe(true);
    expect(conn.frames).toBe(frames);
    expect(vosk.stats().streamsInUse).toBe(0);
  });

  it('leaving the events loop early cancels the stream and closes its connection', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    await play(stream, concat(silence(100), modemSpeak('да'), silence(400)));
    for await (const e of stream.events()) if (e.type === 'final') break;
    expect(await fake.connections.at(-1)!.closed).toBe(1000);
  });
});

describe('Vosk adapter: a lost connection', () => {
  it('a connection dropped mid-answer is re-opened once and the answer replayed: the final is whole, at the same offsets', async () => {
    const before = vosk.stats().reopened;
    const firstConn = fake.connections.length;
    // 2.5 s of silence first: the replay keeps 2 s before speech, so the new connection's
    // audio (and its word times) start about 0.6 s into the stream
    fake.fault = { kind: 'drop', afterFrames: 27, connections: 1 };
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    const lead = silence(2500);
    await play(stream, concat(lead, modemSpeak('да записывайте'), silence(400)));
    stream.end();
    const events: AsrEvent[] = [];
    for await (const e of stream.events()) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'speech-end', 'final']);
    const fin = events.at(-1) as Extract<AsrEvent, { type: 'final' }>;
    expect(fin.text).toBe('да записывайте');
    expect(fin.startMs).toBeGreaterThanOrEqual(msOf(lead.length) - 5);
    expect(fin.startMs).toBeLessThanOrEqual(msOf(lead.length) + 20);
    expect(vosk.stats().reopened).toBe(before + 1);
    expect(fake.connections.length).toBe(firstConn + 2);
    const replayed = fake.connections.at(-1)!.frameSamples.reduce((n, f) => n + f, 0);
    const total = lead.length + modemSpeak('да записывайте').length + silence(400).length;
    expect(replayed).toBeLessThan(total - RATE / 2);
    expect(replayed).toBeGreaterThan(total - lead.length);
  });

  it('a connection dropped twice fails events() with SPEECH_UNAVAILABLE naming the address', async () => {
    fake.fault = { kind: 'drop', afterFrames: 2, connections: 2 };
    const stream = vosk.asr!.recognize({ language: 'ru-RU', callId: 'c-2' });
    const done = failure(stream);
    await play(stream, concat(silence(100), modemSpeak('да записывайте'), silence(400)));
    const { err } = await done;
    expect(err.code).toBe('SPEECH_UNAVAILABLE');
    expect(err.permanent).toBe(false);
    expect(err.where).toMatchObject({ address: fake.url, side: 'asr', callId: 'c-2' });
    expect(err.message).toContain(fake.url);
    expect(err.message).toContain('mid-stream');
  });
});

describe('Vosk adapter: an unreachable server', () => {
  it('a refused connection fails events() with SPEECH_UNAVAILABLE at once, naming the address', async () => {
    const url = await unusedUrl();
    const engine = connectVosk({ url, deadlineMs: DEADLINE_MS });
    const t0 = performance.now();
    const stream = engine.asr!.recognize({ language: 'ru-RU', callId: 'c-3' });
    stream.write(silence(200));
    const { err } = await failure(stream);
    expect(performance.now() - t0).toBeLessThan(DEADLINE_MS);
    expect(err.code).toBe('SPEECH_UNAVAILABLE');
    expect(err.where).toMatchObject({ address: url, side: 'asr', callId: 'c-3' });
    expect(err.hint).toContain(url);
    await expect(engine.capabilities()).rejects.toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    expect(await engine.health()).toEqual({ serving: false, streamsInUse: 0, maxStreams: null });
  });

  it('a server that accepts TCP but never completes the handshake fails within deadlineMs', async () => {
    const tcp = await startSilentTcp();
    try {
      const engine = connectVosk({ url: tcp.url, deadlineMs: 300 });
      const t0 = performance.now();
      const stream = engine.asr!.recognize({ language: 'ru-RU' });
      stream.write(silence(500));
      const { err } = await failure(stream);
      const took = performance.now() - t0;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(1500);
      expect(err.code).toBe('SPEECH_UNAVAILABLE');
      expect(err.where.address).toBe(tcp.url);
    } finally {
      await tcp.close();
    }
  });

  it('a server that stops answering frames fails events() with SPEECH_UNAVAILABLE within deadlineMs', async () => {
    fake.fault = { kind: 'stall' };
    const t0 = performance.now();
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    const done = failure(stream);
    await play(stream, silence(300));
    const { err } = await done;
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(took).toBeLessThan(DEADLINE_MS + 1000);
    expect(err.code).toBe('SPEECH_UNAVAILABLE');
    expect(err.message).toContain(`no answer within ${DEADLINE_MS} ms`);
    expect(err.where.address).toBe(fake.url);
  });
});

describe('Vosk adapter: answers that break the protocol', () => {
  const NONSENSE: [string, string | Buffer][] = [
    ['text that is not JSON', 'OK'],
    ['JSON without partial or text', '{"status": "ok"}'],
    ['a partial that is not a string', '{"partial": 3}'],
    ['a word with conf outside 0..1', '{"result": [{"conf": 7, "start": 0.1, "end": 0.3, "word": "да"}], "text": "да"}'],
    ['a word ending before it starts', '{"result": [{"conf": 1, "start": 0.5, "end": 0.3, "word": "да"}], "text": "да"}'],
    ['alternatives, which zvonar did not ask for', '{"alternatives": [{"text": "да", "confidence": 1}]}'],
    ['a binary frame', Buffer.from([1, 2, 3])],
  ];
  for (const [what, frame] of NONSENSE) {
    it(`${what} fails events() with SPEECH_PROTOCOL and closes the connection`, async () => {
      fake.fault = { kind: 'nonsense', afterFrames: 1, frame };
      const stream = vosk.asr!.recognize({ language: 'ru-RU' });
      const done = failure(stream);
      await play(stream, silence(400));
      const { err } = await done;
      expect(err.code).toBe('SPEECH_PROTOCOL');
      expect(err.where.address).toBe(fake.url);
      await fake.connections.at(-1)!.closed;
    });
  }
});

describe('Vosk adapter: the engine', () => {
  it('capabilities() checks the server and reports recognition only, with grammar, interim and the declared maxStreams', async () => {
    const caps = await vosk.capabilities();
    expect(caps).toEqual({
      engine: 'vosk',
      languages: ['ru-RU'],
      voices: [],
      streamingRecognize: true,
      streamingSynthesize: false,
      grammar: true,
      interim: true,
      maxStreams: 8,
    });
    expect(vosk.name).toBe('vosk');
    expect(vosk.tts).toBeUndefined();
    // the probe ends as a client should: the eof, then the server's close
    expect(fake.connections.at(-1)!.eof).toBe(true);
    expect(await fake.connections.at(-1)!.closed).toBe(1000);
  });

  it('health() counts this client\'s open streams', async () => {
    const stream = vosk.asr!.recognize({ language: 'ru-RU' });
    expect(await vosk.health()).toEqual({ serving: true, streamsInUse: 1, maxStreams: 8 });
    stream.cancel();
    for await (const _ of stream.events());
  });

  it('connectVosk() rejects an address that is not ws:// or wss://', () => {
    expect(() => connectVosk({ url: 'http://127.0.0.1:2700' })).toThrow(/ws:\/\//);
    expect(() => connectVosk({ url: '127.0.0.1:2700' })).toThrow(/CONFIG|ws:\/\//);
  });
});
