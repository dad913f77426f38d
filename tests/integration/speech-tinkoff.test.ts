/**
 * The Tinkoff VoiceKit adapter against a local fake of the service (tests/support/fake-tinkoff.ts)
 * on 127.0.0.1: the real api.tinkoff.ai cannot be reached from here, so what is verified is
 * zvonar's side of the public protocol (messages, JWT, statuses), not VoiceKit's behaviour.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SpeechError } from '../../src/core/index.js';
import { connectTinkoff, type TinkoffOptions } from '../../src/speech/adapters/tinkoff/index.js';
import { decimator48to8 } from '../../src/speech/adapters/tinkoff/decimate.js';
import { VoiceKitJwt } from '../../src/speech/adapters/tinkoff/jwt.js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import type { AsrEvent, AsrStream } from '../../src/speech/index.js';
import type { SpeechEngine } from '../../src/speech/ports.js';
import { startFakeTinkoff, type FakeTinkoff } from '../support/fake-tinkoff.js';

const API_KEY = 'tinkoff-api-key-5f4e3d2c';
const SECRET_KEY = Buffer.from('a secret of thirty-two bytes....').toString('base64');
const FIRST = 'Да, я приду в 9:40.';
const SECOND = 'Спасибо, до свидания!';
const SILENCE = new Int16Array(1600); // 200 ms

let fake: FakeTinkoff;
const engines: SpeechEngine[] = [];

beforeAll(async () => {
  fake = await startFakeTinkoff({ apiKey: API_KEY, secretKey: SECRET_KEY });
});
afterEach(() => {
  fake.mode = 'ok';
  fake.pauseAfterFirstChunk = false;
  fake.release();
  for (const e of engines.splice(0)) e.close();
});
afterAll(async () => {
  await fake?.close();
});

function tinkoff(opts: Partial<TinkoffOptions> = {}): SpeechEngine {
  const e = connectTinkoff({
    endpoint: fake.address,
    insecure: true,
    env: { TINKOFF_API_KEY: API_KEY, TINKOFF_SECRET_KEY: SECRET_KEY },
    deadlineMs: 2000,
    ...opts,
  });
  engines.push(e);
  return e;
}

/** Writes PCM as RTP brings it: 20 ms (160-sample) frames. */
function writeFrames(stream: AsrStream, pcm: Int16Array): void {
  for (let at = 0; at < pcm.length; at += 160) stream.write(pcm.subarray(at, at + 160));
}

async function nextUntil(it: AsyncIterator<AsrEvent>, type: AsrEvent['type']): Promise<AsrEvent[]> {
  const out: AsrEvent[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) throw new Error(`events ended before a ${type}`);
    out.push(r.value);
    if (r.value.type === type) return out;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function failure(run: () => Promise<unknown>): Promise<SpeechError> {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpeechError);
  return err as SpeechError;
}

function decode(chunks: Int16Array[]): string[] {
  const l = new ModemListener();
  const texts: string[] = [];
  for (const c of chunks) for (const ev of l.push(c)) if (ev.type === 'message') texts.push(ev.text);
  for (const ev of l.push(SILENCE)) if (ev.type === 'message') texts.push(ev.text);
  return texts;
}

/** Nothing the error carries, as text, holds the secret. */
function expectNoSecret(err: SpeechError, secret: string): void {
  const cause = err.cause as { details?: string; message?: string } | undefined;
  const all = [err.message, err.hint ?? '', err.describe(), JSON.stringify(err.where), cause?.details ?? '', cause?.message ?? ''].join('\n');
  expect(all).not.toContain(secret);
}

describe('Tinkoff VoiceKit adapter (against a local fake)', () => {
  it('recognize() streams 20 ms frames and gets each phrase back while audio still goes in: speech-start, interim, speech-end, final with word times', async () => {
    const stream = tinkoff().asr!.recognize({ language: 'ru-RU', interim: true, hints: ['да', 'перенести запись'], grammar: ['отменить'], callId: 'c-1' });
    const it = stream.events()[Symbol.asyncIterator]();
    const first = modemSpeak(FIRST);
    writeFrames(stream, first);
    writeFrames(stream, SILENCE);
    const one = await nextUntil(it, 'final');
    writeFrames(stream, modemSpeak(SECOND));
    writeFrames(stream, SILENCE);
    stream.end();
    const rest: AsrEvent[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);

    expect(one.map((e) => e.type)).toEqual(['speech-start', 'interim', 'speech-end', 'final']);
    expect(rest.map((e) => e.type)).toEqual(['speech-start', 'interim', 'speech-end', 'final']);
    const f1 = one[3] as Extract<AsrEvent, { type: 'final' }>;
    const f2 = rest[3] as Extract<AsrEvent, { type: 'final' }>;
    expect([f1.text, f2.text]).toEqual([FIRST, SECOND]);
    expect(f1.confidence).toBeCloseTo(0.9);
    expect((one[1] as { text: string }).text).toBe('Да, я приду');
    expect(one[0]!.atMs).toBe(f1.startMs);
    expect(one[2]!.atMs).toBe(f1.atMs);
    expect(f2.startMs!).toBeGreaterThanOrEqual((first.length + SILENCE.length) / 8 - 1);
    expect(f1.words!.map((w) => w.word)).toEqual(['Да,', 'я', 'приду', 'в', '9:40.']);
    for (const w of [...f1.words!, ...f2.words!]) expect(w.endMs).toBeGreaterThan(w.startMs);

    const c = fake.seen.configs.at(-1)!;
    expect(c).toMatchObject({ encoding: 'LINEAR16', sampleRateHertz: 8000, numChannels: 1, languageCode: 'ru-RU', enableDenormalization: true, maxAlternatives: 1 });
    // phrases under 5 characters are left out, as VoiceKit advises
    expect(c.speechContexts).toEqual([{ phrases: [{ text: 'отменить', score: 3 }, { text: 'перенести запись', score: 3 }] }]);
    expect(fake.seen.interim.at(-1)).toBe(true);
    expect(fake.seen.claims.at(-1)).toMatchObject({ iss: 'test_issuer', sub: 'test_user', aud: 'tinkoff.cloud.stt' });
  });

  it('recognize() without interim still hears the speech start (VoiceKit is asked for interim results anyway) and sends no interim events', async () => {
    const stream = tinkoff().asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    writeFrames(stream, SILENCE);
    stream.end();
    const events = await collect(stream.events());
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'speech-end', 'final']);
  });

  it('synthesize() streams chunks before the prompt is finished, asking 48 kHz LINEAR16 and giving 8 kHz PCM that is the text', async () => {
    fake.pauseAfterFirstChunk = true;
    const chunks: Int16Array[] = [];
    for await (const c of tinkoff().tts!.synthesize({ text: FIRST, language: 'ru-RU', rate: 1.1 })) {
      if (chunks.length === 0) {
        expect(fake.open).toBe(1);
        fake.pauseAfterFirstChunk = false;
        fake.release();
      }
      chunks.push(c);
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(decode(chunks)).toEqual([FIRST]);
    // 48 kHz in, 8 kHz out: a sixth of the samples (within the filter's start-up)
    const total = chunks.reduce((n, c) => n + c.length, 0);
    expect(Math.abs(total - modemSpeak(FIRST).length)).toBeLessThanOrEqual(1);
    const req = fake.seen.synthesis.at(-1)!;
    expect(req.voice.name).toBe('alyona');
    expect(req.audioConfig).toMatchObject({ audioEncoding: 'LINEAR16', sampleRateHertz: 48000 });
    expect(req.audioConfig.speakingRate).toBeCloseTo(1.1);
    expect(fake.seen.claims.at(-1)).toMatchObject({ aud: 'tinkoff.cloud.tts' });

    await collect(tinkoff({ voice: 'maxim' }).tts!.synthesize({ text: '<speak>Добрый день.<break time="300ms"/></speak>', language: 'ru-RU' }));
    expect(fake.seen.synthesis.at(-1)!.input).toMatchObject({ ssml: '<speak>Добрый день.<break time="300ms"/></speak>' });
    expect(fake.seen.synthesis.at(-1)!.voice.name).toBe('maxim');
  });

  it('the JWT is, byte for byte, the one VoiceKit\'s Python example (python/auth.py) builds for the same keys, claims and time', () => {
    // computed with auth.py's generate_jwt(), exp = 1700000000 + 600
    const fromExample =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im15LWFwaS1rZXkifQ.' +
      'eyJpc3MiOiJ0ZXN0X2lzc3VlciIsInN1YiI6InRlc3RfdXNlciIsImF1ZCI6InRpbmtvZmYuY2xvdWQuc3R0IiwiZXhwIjoxNzAwMDAwNjAwfQ.' +
      'cNN3Xu7BtwMuN0oV924MhtAJpgeAdC89nvise61WIqs';
    const jwt = new VoiceKitJwt();
    const secret = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
    expect(jwt.token('my-api-key', secret, { iss: 'test_issuer', sub: 'test_user' }, 'tinkoff.cloud.stt', 1_700_000_000)).toBe(fromExample);
    // reused until a minute before it expires, then renewed
    expect(jwt.token('my-api-key', secret, { iss: 'test_issuer', sub: 'test_user' }, 'tinkoff.cloud.stt', 1_700_000_500)).toBe(fromExample);
    expect(jwt.token('my-api-key', secret, { iss: 'test_issuer', sub: 'test_user' }, 'tinkoff.cloud.stt', 1_700_000_560)).not.toBe(fromExample);
  });

  it('the 48 -> 8 kHz decimator keeps a tone in the phone band and removes one above it, across chunk boundaries', () => {
    const tone = (hz: number) => Int16Array.from({ length: 48_000 }, (_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * hz * i) / 48_000)));
    const rms = (hz: number) => {
      const d = decimator48to8();
      const out = [tone(hz).subarray(0, 7_777), tone(hz).subarray(7_777)].flatMap((c) => [...d(c)]).slice(200);
      return Math.sqrt(out.reduce((s, x) => s + x * x, 0) / out.length);
    };
    expect(rms(1_200)).toBeGreaterThan(6_500); // 10000 / sqrt 2 = 7071
    expect(rms(10_000)).toBeLessThan(100);
  });

  it('cancel() mid-stream ends events() at once without an error, half-closing the call rather than resetting it', async () => {
    const engine = tinkoff();
    const stream = engine.asr!.recognize({ language: 'ru-RU', interim: true });
    const it = stream.events()[Symbol.asyncIterator]();
    const audio = modemSpeak(FIRST);
    writeFrames(stream, audio.subarray(0, audio.length / 2));
    expect((await engine.health()).streamsInUse).toBe(1);
    const halfClosed = fake.seen.halfClosed;
    const cancelled = fake.seen.cancelled;
    stream.cancel();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await expect.poll(() => fake.seen.halfClosed).toBe(halfClosed + 1);
    await expect.poll(async () => (await engine.health()).streamsInUse).toBe(0);
    expect(fake.seen.cancelled).toBe(cancelled);
  });

  it('aborting synthesize() after the first chunk stops it and cancels the call', async () => {
    fake.pauseAfterFirstChunk = true;
    const ac = new AbortController();
    const chunks: Int16Array[] = [];
    const cancelled = fake.seen.cancelled;
    for await (const c of tinkoff().tts!.synthesize({ text: FIRST, language: 'ru-RU' }, ac.signal)) {
      chunks.push(c);
      ac.abort();
    }
    expect(chunks).toHaveLength(1);
    await expect.poll(() => fake.seen.cancelled).toBe(cancelled + 1);
  });

  it('bad credentials give SPEECH_PROTOCOL naming the engine and address with a hint, never the API or secret key, on both sides', async () => {
    const wrongKey = 'tinkoff-wrong-key-0a9b8c';
    const wrongSecret = Buffer.from('another secret, also 32 bytes...').toString('base64');
    for (const env of [
      { TINKOFF_API_KEY: wrongKey, TINKOFF_SECRET_KEY: SECRET_KEY },
      { TINKOFF_API_KEY: API_KEY, TINKOFF_SECRET_KEY: wrongSecret },
    ]) {
      const engine = tinkoff({ env });
      const stream = engine.asr!.recognize({ language: 'ru-RU' });
      writeFrames(stream, SILENCE);
      const asrErr = await failure(() => collect(stream.events()));
      const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
      for (const err of [asrErr, ttsErr]) {
        expect(err.code).toBe('SPEECH_PROTOCOL');
        expect(err.permanent).toBe(true);
        expect(err.message).toContain('tinkoff');
        expect(err.message).toContain(fake.address);
        expect(err.message).toContain('refused the credentials');
        expect(err.hint).toContain('TINKOFF_SECRET_KEY');
        expectNoSecret(err, env.TINKOFF_API_KEY);
        expectNoSecret(err, env.TINKOFF_SECRET_KEY);
      }
      expect(asrErr.where).toMatchObject({ address: fake.address, side: 'asr', engine: 'tinkoff' });
    }
  });

  it('a recognizer that goes away mid-stream gives SPEECH_UNAVAILABLE (retryable), as does a synthesizer after its first chunk', async () => {
    fake.mode = 'unavailable-mid-stream';
    const engine = tinkoff();
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    const asrErr = await failure(() => collect(stream.events()));
    expect(asrErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(asrErr.permanent).toBe(false);
    expect(asrErr.where).toMatchObject({ side: 'asr' });
    const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(ttsErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(ttsErr.where).toMatchObject({ side: 'tts' });
  });

  it('a stalled service gives SPEECH_UNAVAILABLE within the deadline: recognition after the audio ends, synthesis with no audio', async () => {
    fake.mode = 'stall';
    const engine = tinkoff({ deadlineMs: 400 });
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    stream.end();
    let t0 = performance.now();
    const asrErr = await failure(() => collect(stream.events()));
    expect(asrErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(performance.now() - t0).toBeLessThan(1500);
    t0 = performance.now();
    const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(ttsErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(ttsErr.message).toContain('within 400 ms');
    expect(performance.now() - t0).toBeLessThan(1500);
    await expect.poll(async () => (await engine.health()).streamsInUse).toBe(0);
  });

  it('an unreachable endpoint gives SPEECH_UNAVAILABLE', async () => {
    const engine = tinkoff({ endpoint: '127.0.0.1:1' });
    const err = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(err.code).toBe('SPEECH_UNAVAILABLE');
    expect(err.message).toContain('127.0.0.1:1');
  });

  it('a final result with no alternatives gives SPEECH_PROTOCOL', async () => {
    fake.mode = 'malformed';
    const stream = tinkoff().asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    writeFrames(stream, SILENCE);
    const err = await failure(() => collect(stream.events()));
    expect(err.code).toBe('SPEECH_PROTOCOL');
    expect(err.message).toContain('no alternatives');
  });

  it('reads keys from the environment (or VoiceKit\'s own variable names) or a file, and refuses to start without them, naming no value', async () => {
    expect(() => connectTinkoff({ env: { TINKOFF_API_KEY: API_KEY } })).toThrow(ConfigError);
    expect(tinkoff({ env: { VOICEKIT_API_KEY: API_KEY, VOICEKIT_SECRET_KEY: SECRET_KEY } }).name).toBe('tinkoff');
    const dir = mkdtempSync(join(tmpdir(), 'zvonar-tinkoff-'));
    const file = join(dir, 'tinkoff.json');
    writeFileSync(file, JSON.stringify({ apiKey: API_KEY, secretKey: SECRET_KEY }));
    const chunks = await collect(tinkoff({ env: {}, credentialsFile: file }).tts!.synthesize({ text: FIRST, language: 'ru-RU' }));
    expect(decode(chunks)).toEqual([FIRST]);
    const noSecret = join(dir, 'half.yaml');
    writeFileSync(noSecret, `apiKey: ${API_KEY}\n`);
    let err: unknown;
    try {
      connectTinkoff({ credentialsFile: noSecret });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).describe()).not.toContain(API_KEY);
  });

  it('capabilities() are static facts; health() counts this client\'s streams', async () => {
    const engine = tinkoff();
    expect(await engine.capabilities()).toMatchObject({ engine: 'tinkoff', languages: ['ru-RU'], grammar: false, interim: true, maxStreams: null });
    expect((await engine.capabilities()).voices).toContain('alyona');
    expect(await engine.health()).toEqual({ serving: true, streamsInUse: 0, maxStreams: null });
    expect(tinkoff({ recognition: false }).asr).toBeUndefined();
  });
});
