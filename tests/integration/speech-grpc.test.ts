import { createServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechError } from '../../src/core/index.js';
import { connectSpeech } from '../../src/speech/adapters/grpc/index.js';
import type { SpeechConnection } from '../../src/speech/adapters/grpc/index.js';
import { startReferenceSpeechServer } from '../../src/speech/server/index.js';
import type { SpeechServer } from '../../src/speech/server/index.js';
import { modemSpeak } from '../../src/speech/index.js';
import type { AsrEvent } from '../../src/speech/index.js';
import { encodeAlaw as alawEncode, encodeUlaw as ulawEncode } from '../../src/media/index.js';
import { speechService } from '../../src/speech/contract.js';
import type { AudioFormatMsg, RecognitionConfigMsg, RecognizeRequestMsg, RecognizeResponseMsg } from '../../src/speech/contract.js';

const RU = 'Добрый день! Вы записаны на приём завтра в 9:40. Вам удобно?';
const LINEAR16_8K: AudioFormatMsg = { encoding: 'LINEAR16', sampleRateHz: 8000 };

let server: SpeechServer;
let speech: SpeechConnection;

beforeAll(async () => {
  server = await startReferenceSpeechServer();
  speech = connectSpeech(server.address, { deadlineMs: 2000 });
});

afterAll(async () => {
  speech?.close();
  await server?.close();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<SpeechError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpeechError);
  return err as SpeechError;
}

/** Sends raw requests on a Recognize stream, bypassing the adapter, and returns the call's status. */
function rawRecognize(address: string, requests: RecognizeRequestMsg[]): Promise<{ code: number; details: string; responses: RecognizeResponseMsg[] }> {
  const m = speechService().Recognize;
  const client = new Client(address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {});
  const responses: RecognizeResponseMsg[] = [];
  call.on('data', (r: RecognizeResponseMsg) => responses.push(r));
  call.on('error', () => {}); // the status below carries it
  for (const r of requests) call.write(r);
  call.end();
  return new Promise((resolve) => {
    call.on('status', (s: { code: number; details: string }) => {
      client.close();
      resolve({ code: s.code, details: s.details, responses });
    });
  });
}

describe('reference speech server over gRPC', () => {
  it('synthesize() then recognize() in 20 ms chunks gives back the Russian text as a final event after speech-start', async () => {
    const chunks = await collect(speech.tts.synthesize({ text: RU, language: 'ru-RU', callId: 'c-1' }));
    const audio = Int16Array.from(chunks.flatMap((c) => [...c]));
    expect(audio).toEqual(modemSpeak(RU));
    // in chunks, not one block at the end: 100 ms first (playback starts), then 500 ms
    expect(chunks[0]).toHaveLength(800);
    expect(chunks.length).toBe(1 + Math.ceil((audio.length - 800) / 4000));

    const stream = speech.asr.recognize({ language: 'ru-RU', hints: ['да', 'нет'], callId: 'c-1' });
    for (let at = 0; at < audio.length; at += 160) stream.write(audio.subarray(at, at + 160));
    stream.end();
    const events = await collect(stream.events());
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'final', 'speech-end']);
    expect(events[0]).toEqual({ type: 'speech-start', atMs: 0 });
    const final = events[1] as Extract<AsrEvent, { type: 'final' }>;
    expect(final).toMatchObject({ text: RU, confidence: 1 });
    // The utterance ends before the 20 ms mark and 20 ms silence tail of the burst.
    expect(final.atMs).toBeGreaterThan((audio.length / 8) - 60);
    expect(final.atMs).toBeLessThan(audio.length / 8);
  });

  it('recognize() reports the final event while audio is still being written, not only at end()', async () => {
    const stream = speech.asr.recognize({ language: 'en-US' });
    const it = stream.events()[Symbol.asyncIterator]();
    stream.write(modemSpeak('yes'));
    stream.write(new Int16Array(800));
    expect((await it.next()).value).toMatchObject({ type: 'speech-start' });
    expect((await it.next()).value).toMatchObject({ type: 'final', text: 'yes' });
    stream.cancel();
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('capabilities() reports the modem engine: any language, streaming both ways', async () => {
    const caps = await speech.capabilities();
    expect(caps).toMatchObject({ engine: expect.stringContaining('modem'), languages: ['*'], streamingRecognize: true, streamingSynthesize: true });
  });

  it('synthesize() stops without error when its signal aborts, and the server stays usable', async () => {
    const ac = new AbortController();
    const got: Int16Array[] = [];
    for await (const c of speech.tts.synthesize({ text: RU.repeat(20), language: 'ru-RU' }, ac.signal)) {
      got.push(c);
      ac.abort();
    }
    expect(got.length).toBe(1);
    expect(await speech.capabilities()).toMatchObject({ streamingSynthesize: true });
  });

  it('synthesize() of empty text is rejected with SpeechError SPEECH_PROTOCOL saying the text is empty', async () => {
    const err = await rejection(collect(speech.tts.synthesize({ text: '  ', language: 'ru-RU', callId: 'c-2' })));
    expect(err).toMatchObject({ code: 'SPEECH_PROTOCOL', permanent: true, where: { address: server.address, callId: 'c-2' } });
    expect(err.message).toMatch(/INVALID_ARGUMENT.*text is empty/);
  });

  it('recognize() with a malformed language tag ends with SpeechError SPEECH_PROTOCOL naming config.language', async () => {
    const stream = speech.asr.recognize({ language: 'not a language', callId: 'c-3' });
    const err = await rejection(collect(stream.events()));
    expect(err).toMatchObject({ code: 'SPEECH_PROTOCOL', where: { callId: 'c-3' } });
    expect(err.message).toContain('config.language "not a language"');
  });

  const badStreams: { name: string; requests: RecognizeRequestMsg[]; details: RegExp }[] = [
    { name: 'audio before config', requests: [{ audio: Buffer.alloc(320) }], details: /audio arrived before config/ },
    {
      name: 'a second config',
      requests: [{ config: cfg(LINEAR16_8K) }, { config: cfg(LINEAR16_8K) }],
      details: /config arrived twice/,
    },
    { name: 'sample rate 16000', requests: [{ config: cfg({ encoding: 'LINEAR16', sampleRateHz: 16000 }) }], details: /sample_rate_hz 16000 is not supported/ },
    { name: 'unspecified encoding', requests: [{ config: cfg({ encoding: 'ENCODING_UNSPECIFIED', sampleRateHz: 8000 }) }], details: /encoding ENCODING_UNSPECIFIED is not supported/ },
    { name: 'an unknown encoding number', requests: [{ config: cfg({ encoding: 9, sampleRateHz: 8000 }) }], details: /encoding 9 is not supported/ },
    { name: 'no format', requests: [{ config: { language: 'ru-RU', format: null, hints: [], callId: '', interimResults: false, grammar: null } }], details: /config.format is missing/ },
    {
      name: 'an odd-length LINEAR16 chunk',
      requests: [{ config: cfg(LINEAR16_8K) }, { audio: Buffer.alloc(321) }],
      details: /321 bytes; it must hold whole 16-bit samples/,
    },
    { name: 'no config at all', requests: [], details: /ended before config/ },
  ];
  for (const bad of badStreams) {
    it(`Recognize with ${bad.name} ends INVALID_ARGUMENT with details naming the problem`, async () => {
      const res = await rawRecognize(server.address, bad.requests);
      expect(res.code).toBe(status.INVALID_ARGUMENT);
      expect(res.details).toMatch(bad.details);
    });
  }

  it('Synthesize streams PCMU and PCMA when asked, 100 ms (800 bytes) per chunk', async () => {
    const m = speechService().Synthesize;
    const client = new Client(server.address, credentials.createInsecure());
    try {
      for (const [encoding, encode] of [
        ['PCMU', ulawEncode],
        ['PCMA', alawEncode],
      ] as const) {
        const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, {
          text: 'алло',
          language: 'ru-RU',
          voice: '',
          format: { encoding, sampleRateHz: 8000 },
          callId: '',
          ssml: false,
          rate: 0,
        });
        const chunks = await collect<{ audio: Uint8Array }>(call);
        expect(chunks[0]!.audio.length).toBe(800);
        expect(Buffer.concat(chunks.map((c) => c.audio))).toEqual(Buffer.from(encode(modemSpeak('алло'))));
      }
    } finally {
      client.close();
    }
  });

  it('Recognize decodes PCMU and PCMA audio too', async () => {
    const pcm = modemSpeak('алло');
    for (const [encoding, bytes] of [
      ['PCMU', ulawEncode(pcm)],
      ['PCMA', alawEncode(pcm)],
    ] as const) {
      const res = await rawRecognize(server.address, [{ config: cfg({ encoding, sampleRateHz: 8000 }) }, { audio: bytes }]);
      expect(res.code).toBe(status.OK);
      expect(res.responses.map((r) => r.result?.transcript ?? r.event?.type)).toEqual(['SPEECH_START', 'алло', 'SPEECH_END']);
    }
  });
});

describe('speech client against an unreachable engine', () => {
  it('a closed port gives SPEECH_UNAVAILABLE for synthesis and recognition and a failed capabilities() at once, naming the address', async () => {
    const gone = await startReferenceSpeechServer();
    await gone.close();
    const dead = connectSpeech(gone.address, { deadlineMs: 2000 });
    try {
      const t0 = performance.now();
      const tts = await rejection(collect(dead.tts.synthesize({ text: 'да', language: 'ru-RU', callId: 'c-9' })));
      expect(tts).toMatchObject({ code: 'SPEECH_UNAVAILABLE', permanent: false, where: { address: gone.address, callId: 'c-9', side: 'tts' } });
      expect(tts.message).toContain(gone.address);
      const asr = await rejection(collect(dead.asr.recognize({ language: 'ru-RU' }).events()));
      expect(asr).toMatchObject({ code: 'SPEECH_UNAVAILABLE', permanent: false });
      expect(asr.message).toContain(gone.address);
      expect(await rejection(dead.capabilities())).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
      // A refused connection is reported by the first attempt, well inside the 2 s deadline.
      expect(performance.now() - t0).toBeLessThan(1500);
    } finally {
      dead.close();
    }
  });

  it('an engine that accepts TCP but never speaks gRPC gives SPEECH_UNAVAILABLE for both after the deadline', async () => {
    const sockets = new Set<Socket>();
    const mute: NetServer = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(mute.address() as AddressInfo).port}`;
    const dead = connectSpeech(address, { deadlineMs: 300 });
    try {
      const tts = await rejection(collect(dead.tts.synthesize({ text: 'да', language: 'ru-RU' })));
      expect(tts).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
      expect(tts.message).toContain('within 300 ms');
      const asr = await rejection(collect(dead.asr.recognize({ language: 'ru-RU' }).events()));
      expect(asr).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
      expect(await rejection(dead.capabilities())).toMatchObject({ code: 'SPEECH_UNAVAILABLE' });
    } finally {
      dead.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});

function cfg(format: AudioFormatMsg): RecognitionConfigMsg {
  return { language: 'ru-RU', format, hints: [], callId: '', interimResults: false, grammar: null };
}
