/**
 * The Yandex SpeechKit v3 adapter against a local fake of the service (tests/support/fake-yandex.ts)
 * on 127.0.0.1: the real stt/tts.api.cloud.yandex.net cannot be reached from here, so what is
 * verified is zvonar's side of the public protocol, not Yandex's behaviour.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SpeechError } from '../../src/core/index.js';
import { connectYandex, type YandexOptions } from '../../src/speech/adapters/yandex/index.js';
import { splitText } from '../../src/speech/adapters/yandex/synthesize.js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import type { AsrEvent, AsrStream } from '../../src/speech/index.js';
import type { SpeechEngine } from '../../src/speech/ports.js';
import { startFakeYandex, type FakeYandex } from '../support/fake-yandex.js';

const API_KEY = 'AQVN-test-key-1f2e3d4c5b6a';
const FOLDER = 'b1g-folder';
const FIRST = 'Да, я приду в 9:40.';
const SECOND = 'Спасибо, до свидания!';
const SILENCE = new Int16Array(1600); // 200 ms

let fake: FakeYandex;
const engines: SpeechEngine[] = [];

beforeAll(async () => {
  fake = await startFakeYandex({ apiKey: API_KEY, folderId: FOLDER });
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

function yandex(opts: Partial<YandexOptions> = {}): SpeechEngine {
  const e = connectYandex({
    sttEndpoint: fake.address,
    ttsEndpoint: fake.address,
    insecure: true,
    env: { YANDEX_API_KEY: API_KEY, YANDEX_FOLDER_ID: FOLDER },
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

describe('Yandex SpeechKit v3 adapter (against a local fake)', () => {
  it('recognize() streams 20 ms frames and gets each answer back while audio still goes in: speech-start, interims, speech-end, a normalised final with word times', async () => {
    const asr = yandex().asr!;
    const stream = asr.recognize({ language: 'ru-RU', interim: true, hints: ['да', 'нет'], callId: 'c-1' });
    const it = stream.events()[Symbol.asyncIterator]();
    const first = modemSpeak(FIRST);
    writeFrames(stream, first);
    writeFrames(stream, SILENCE);
    // the first answer comes back before the second is spoken
    const one = await nextUntil(it, 'final');
    writeFrames(stream, modemSpeak(SECOND));
    writeFrames(stream, SILENCE);
    stream.end();
    const rest: AsrEvent[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);

    expect(one.map((e) => e.type)).toEqual(['speech-start', 'interim', 'interim', 'speech-end', 'final']);
    expect(rest.map((e) => e.type)).toEqual(['speech-start', 'interim', 'interim', 'speech-end', 'final']);
    const f1 = one[4] as Extract<AsrEvent, { type: 'final' }>;
    const f2 = rest[4] as Extract<AsrEvent, { type: 'final' }>;
    expect(f1.text).toBe(FIRST); // the refinement's normalised text, not the raw "да я приду в 940"
    expect(f2.text).toBe(SECOND);
    expect(f1.confidence).toBe(1);
    expect(one[0]!.atMs).toBe(f1.startMs);
    // offsets run over the whole stream: the second answer starts after the first audio and silence
    const firstMs = (first.length + SILENCE.length) / 8;
    expect(f2.startMs!).toBeGreaterThanOrEqual(firstMs - 1);
    expect(f2.atMs).toBeGreaterThan(f2.startMs!);
    expect(f1.words!.map((w) => w.word)).toEqual(['Да,', 'я', 'приду', 'в', '9:40.']);
    for (const w of [...f1.words!, ...f2.words!]) expect(w.endMs).toBeGreaterThan(w.startMs);
    expect((one[1] as { text: string }).text).toBe('да я приду');

    const o = fake.seen.sessionOptions.at(-1)!;
    expect(o.recognitionModel.audioFormat.rawAudio).toEqual({ audioEncoding: 'LINEAR16_PCM', sampleRateHertz: 8000, audioChannelCount: 1 });
    expect(o.recognitionModel.languageRestriction).toEqual({ restrictionType: 'WHITELIST', languageCode: ['ru-RU'] });
    expect(o.recognitionModel.textNormalization.textNormalization).toBe('TEXT_NORMALIZATION_ENABLED');
    expect(o.eouClassifier.defaultClassifier.type).toBe('DEFAULT');
  });

  it('recognize() without interim and with normalisation off gives the raw final and no interim events', async () => {
    const stream = yandex({ normalize: false }).asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    writeFrames(stream, SILENCE);
    stream.end();
    const events = await collect(stream.events());
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'final', 'speech-end']);
    expect((events[1] as { text: string }).text).toBe('да я приду в 9:40');
  });

  it('synthesize() streams chunks before the utterance is finished, in 8 kHz PCM that is the text', async () => {
    fake.pauseAfterFirstChunk = true;
    const tts = yandex().tts!;
    const chunks: Int16Array[] = [];
    for await (const c of tts.synthesize({ text: FIRST, language: 'ru-RU', callId: 'c-2' })) {
      if (chunks.length === 0) {
        expect(fake.open).toBe(1); // the first chunk is here and the call is still going
        fake.pauseAfterFirstChunk = false;
        fake.release();
      }
      chunks.push(c);
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(decode(chunks)).toEqual([FIRST]);
    const req = fake.seen.synthesis.at(-1)!;
    expect(req.hints).toEqual([{ voice: 'alena', Hint: 'voice' }]);
    expect(req.outputAudioSpec.rawAudio).toMatchObject({ audioEncoding: 'LINEAR16_PCM', sampleRateHertz: 8000 });
    expect(fake.open).toBe(0);
  });

  it('synthesize() cuts a prompt over 250 characters at sentence ends and speaks the pieces in order; SSML breaks become markup', async () => {
    const sentence = 'Это клиника «Здоровье», звонок автоматический, напоминаем о записи к терапевту на завтра. ';
    const long = sentence.repeat(4).trim();
    expect(long.length).toBeGreaterThan(250);
    const before = fake.seen.synthesis.length;
    const chunks = await collect(yandex({ voice: 'filipp' }).tts!.synthesize({ text: long, language: 'ru-RU', rate: 1.2 }));
    const reqs = fake.seen.synthesis.slice(before);
    expect(reqs.length).toBe(2);
    for (const r of reqs) expect(r.text.length).toBeLessThanOrEqual(250);
    expect(reqs.map((r) => r.text).join(' ')).toBe(long);
    expect(reqs[0]!.hints).toEqual([{ voice: 'filipp', Hint: 'voice' }, { speed: 1.2, Hint: 'speed' }]);
    expect(decode(chunks)).toEqual(reqs.map((r) => r.text));

    await collect(yandex().tts!.synthesize({ text: '<speak>Добрый день.<break time="300ms"/>Это клиника.</speak>', language: 'ru-RU' }));
    expect(fake.seen.synthesis.at(-1)!.text).toBe('Добрый день. sil<[300]> Это клиника.');
    expect(splitText('a'.repeat(600), 250).map((p) => p.length)).toEqual([250, 250, 100]);
  });

  it('cancel() mid-stream ends events() at once without an error, half-closing the call rather than resetting it', async () => {
    const engine = yandex();
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
    for await (const c of yandex().tts!.synthesize({ text: FIRST, language: 'ru-RU' }, ac.signal)) {
      chunks.push(c);
      ac.abort();
    }
    expect(chunks).toHaveLength(1);
    await expect.poll(() => fake.seen.cancelled).toBe(cancelled + 1);
  });

  it('bad credentials give SPEECH_PROTOCOL naming the engine and address with a hint, never the key, on both sides', async () => {
    const wrong = 'AQVN-wrong-key-9z8y7x6w';
    const engine = yandex({ env: { YANDEX_API_KEY: wrong, YANDEX_FOLDER_ID: FOLDER } });
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, SILENCE);
    const asrErr = await failure(() => collect(stream.events()));
    const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    for (const err of [asrErr, ttsErr]) {
      expect(err.code).toBe('SPEECH_PROTOCOL');
      expect(err.permanent).toBe(true);
      expect(err.message).toContain('yandex');
      expect(err.message).toContain(fake.address);
      expect(err.message).toContain('refused the credentials');
      expect(err.hint).toContain('YANDEX_API_KEY');
      expectNoSecret(err, wrong);
    }
    expect(asrErr.where).toMatchObject({ address: fake.address, side: 'asr', engine: 'yandex' });
    expect(ttsErr.where).toMatchObject({ side: 'tts' });

    const noFolder = await failure(() => collect(yandex({ env: { YANDEX_API_KEY: API_KEY } }).tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(noFolder.code).toBe('SPEECH_PROTOCOL'); // PERMISSION_DENIED
    expectNoSecret(noFolder, API_KEY);
  });

  it('a recognizer that goes away mid-stream gives SPEECH_UNAVAILABLE (retryable), as does a synthesizer after its first chunk', async () => {
    fake.mode = 'unavailable-mid-stream';
    const engine = yandex();
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    const asrErr = await failure(() => collect(stream.events()));
    expect(asrErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(asrErr.permanent).toBe(false);
    expect(asrErr.where).toMatchObject({ address: fake.address, side: 'asr' });
    const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(ttsErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(ttsErr.where).toMatchObject({ side: 'tts' });
  });

  it('a stalled service gives SPEECH_UNAVAILABLE within the deadline: recognition after the audio ends, synthesis with no audio', async () => {
    fake.mode = 'stall';
    const engine = yandex({ deadlineMs: 400 });
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    stream.end();
    let t0 = performance.now();
    const asrErr = await failure(() => collect(stream.events()));
    expect(asrErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(asrErr.message).toContain('within 400 ms');
    expect(performance.now() - t0).toBeLessThan(1500);
    t0 = performance.now();
    const ttsErr = await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })));
    expect(ttsErr.code).toBe('SPEECH_UNAVAILABLE');
    expect(performance.now() - t0).toBeLessThan(1500);
    await expect.poll(async () => (await engine.health()).streamsInUse).toBe(0);
  });

  it('a final whose end comes before its start gives SPEECH_PROTOCOL', async () => {
    fake.mode = 'malformed';
    const stream = yandex().asr!.recognize({ language: 'ru-RU' });
    writeFrames(stream, modemSpeak(FIRST));
    writeFrames(stream, SILENCE);
    const err = await failure(() => collect(stream.events()));
    expect(err.code).toBe('SPEECH_PROTOCOL');
    expect(err.message).toContain('end_time_ms');
  });

  it('reads credentials from the environment or a JSON/YAML file, and refuses to start without them, naming no value', () => {
    expect(() => connectYandex({ env: {} })).toThrow(ConfigError);
    const dir = mkdtempSync(join(tmpdir(), 'zvonar-yandex-'));
    const yaml = join(dir, 'yandex.yaml');
    writeFileSync(yaml, `apiKey: ${API_KEY}\nfolderId: ${FOLDER}\n`);
    expect(yandex({ env: {}, credentialsFile: yaml }).name).toBe('yandex');
    const json = join(dir, 'yandex.json');
    writeFileSync(json, JSON.stringify({ iam_token: 't1.secret-token' }));
    expect(yandex({ env: {}, credentialsFile: json }).name).toBe('yandex');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `apiKey: "${API_KEY}\n  : [\n`);
    let err: unknown;
    try {
      connectYandex({ credentialsFile: broken });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(broken);
    expect((err as ConfigError).describe()).not.toContain(API_KEY);
    expect(() => connectYandex({ credentialsFile: join(dir, 'missing.yaml') })).toThrow(/cannot be read/);
  });

  it('capabilities() are static facts; health() counts this client\'s streams', async () => {
    const engine = yandex({ maxStreams: 40 });
    expect(await engine.capabilities()).toMatchObject({
      engine: 'yandex',
      languages: ['ru-RU', 'en-US'],
      grammar: false,
      interim: true,
      streamingRecognize: true,
      streamingSynthesize: true,
      maxStreams: 40,
    });
    expect((await engine.capabilities()).voices).toContain('alena');
    expect(await engine.health()).toEqual({ serving: true, streamsInUse: 0, maxStreams: 40 });
    expect(yandex({ synthesis: false }).tts).toBeUndefined();
  });

  it('after close(), recognize() and synthesize() fail from their iterators with SPEECH_UNAVAILABLE, not at the call', async () => {
    const engine = yandex();
    engine.close();
    const stream = engine.asr!.recognize({ language: 'ru-RU' });
    stream.write(SILENCE);
    stream.end();
    expect((await failure(() => collect(stream.events()))).code).toBe('SPEECH_UNAVAILABLE');
    expect((await failure(() => collect(engine.tts!.synthesize({ text: FIRST, language: 'ru-RU' })))).code).toBe('SPEECH_UNAVAILABLE');
    expect((await engine.health()).serving).toBe(false);
  });
});
