import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScript, stepHearing } from '../../src/dialog/index.js';
import { encodeUlaw } from '../../src/media/index.js';
import { connectSpeech, type SpeechConnection } from '../../src/speech/adapters/grpc/index.js';
import { speechService, type RecognizeRequestMsg, type RecognizeResponseMsg, type SynthesizeRequestMsg } from '../../src/speech/contract.js';
import { startPocketsphinx } from '../../src/speech/server/pocketsphinx/index.js';
import { modemVoice, startRhvoice, startSpeechServer, textPreparer, type GrammarRecognizer, type SpeechServer, type VoiceEngine } from '../../src/speech/server/index.js';
import { concatPcm } from '../support/wav.js';

// The reference speech server with its real engines (RHVoice, pocketsphinx: Debian packages that
// .ci/run installs) over real gRPC on 127.0.0.1: what a call's answer goes through.

let server: SpeechServer;
let speech: SpeechConnection;
let rhvoice: VoiceEngine;
let recognizer: GrammarRecognizer;

beforeAll(async () => {
  rhvoice = await startRhvoice();
  recognizer = await startPocketsphinx();
  server = await startSpeechServer({
    voices: [rhvoice, modemVoice()], recognizer, prepare: textPreparer(), defaultVoices: { 'ru-RU': 'anna' }, maxStreams: 50,
  });
  speech = connectSpeech(server.address);
}, 120_000);
afterAll(async () => {
  speech?.close();
  await server?.close();
  await rhvoice?.close();
  await recognizer?.close();
});

async function say(text: string, voice: string): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const pcm of speech.tts.synthesize({ text, language: 'ru-RU', voice })) parts.push(pcm);
  return concatPcm(parts);
}

/** A raw Recognize call: config, then the audio as G.711 mu-law in 20 ms chunks with silence around it, as a phone line sends it. */
function recognizeUlaw(pcm: Int16Array, grammar: string[]): Promise<{ code: number; details: string; responses: RecognizeResponseMsg[] }> {
  const requests: RecognizeRequestMsg[] = [{
    config: { language: 'ru-RU', format: { encoding: 'PCMU', sampleRateHz: 8000 }, hints: [], callId: 't', interimResults: false, grammar: { phrases: grammar } },
  }];
  const line = new Int16Array(2400 + pcm.length + 6400);
  line.set(pcm, 2400);
  const ulaw = encodeUlaw(line);
  for (let at = 0; at < ulaw.length; at += 160) requests.push({ audio: ulaw.subarray(at, at + 160) });
  return raw(requests);
}

function raw(requests: RecognizeRequestMsg[]): Promise<{ code: number; details: string; responses: RecognizeResponseMsg[] }> {
  const m = speechService().Recognize;
  const client = new Client(server.address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {});
  const responses: RecognizeResponseMsg[] = [];
  call.on('data', (r: RecognizeResponseMsg) => responses.push(r));
  call.on('error', () => {});
  for (const r of requests) call.write(r);
  call.end();
  return new Promise((resolve) => {
    call.on('status', (s: { code: number; details: string }) => {
      client.close();
      resolve({ code: s.code, details: s.details, responses });
    });
  });
}

function rawSynthesize(req: Partial<SynthesizeRequestMsg>): Promise<{ code: number; details: string; bytes: number }> {
  const m = speechService().Synthesize;
  const client = new Client(server.address, credentials.createInsecure());
  const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, {
    text: 'Здравствуйте', language: 'ru-RU', voice: '', format: { encoding: 'LINEAR16', sampleRateHz: 8000 }, callId: '', ssml: false, rate: 0, ...req,
  });
  let bytes = 0;
  call.on('data', (r: { audio: Uint8Array }) => {
    bytes += r.audio.length;
  });
  call.on('error', () => {});
  return new Promise((resolve) => {
    call.on('status', (s: { code: number; details: string }) => {
      client.close();
      resolve({ code: s.code, details: s.details, bytes });
    });
  });
}

describe('the reference speech server with RHVoice and pocketsphinx', () => {
  it('hears Russian answers spoken by RHVoice, sent as G.711 through gRPC, against the shipped script\'s grammar, and rejects what is outside it', async () => {
    const { matcher, grammar, decide } = stepHearing(loadScript('dialogs/dispanserization-invite.yaml'), 'offer');
    const answers: [string, string][] = [
      ['да', 'yes'], ['да конечно', 'yes'], ['хорошо', 'yes'], ['давайте', 'yes'], ['конечно', 'yes'],
      ['нет', 'no'], ['нет спасибо', 'no'], ['не надо', 'no'],
      ['соедините с оператором', 'operator'], ['перезвоните позже', 'callback'], ['повторите пожалуйста', 'repeat'],
    ];
    const outside = ['а кто это звонит', 'я сейчас в магазине у кассы', 'скажите адрес поликлиники', 'у меня болит спина', 'какая сегодня погода'];
    for (const [, intent] of answers) expect(matcher.intents).toContain(intent);
    const lines: string[] = [];
    let wrongActs = 0;
    for (const voice of ['anna', 'aleksandr']) {
      const split = { right: 0, confirmed: 0, rejected: 0, wrong: 0 };
      const misheard: string[] = [];
      for (const [text, intent] of answers) {
        const r = await recognizeUlaw(await say(text, voice), grammar);
        expect(r.code, r.details).toBe(status.OK);
        const heard = r.responses.find((x) => x.result?.isFinal || x.noMatch);
        const got = heard?.result ? matcher.match(heard.result.transcript).intent : null;
        const c = heard?.result?.confidence ?? 0;
        const d = got === null ? 'reject' : decide(got, c);
        if (d === 'reject') split.rejected++;
        else if (d === 'confirm') split.confirmed++;
        else if (got === intent) split.right++;
        else {
          split.wrong++;
          misheard.push(`"${text}" as "${heard?.result?.transcript}" (${c.toFixed(2)})`);
        }
      }
      let rejected = 0;
      for (const text of outside) {
        const r = await recognizeUlaw(await say(text, voice), grammar);
        const heard = r.responses.find((x) => x.result?.isFinal || x.noMatch);
        const result = heard?.result;
        const got = result ? matcher.match(result.transcript).intent : null;
        const d = !result || got === null ? 'reject' : decide(got, result.confidence);
        if (d === 'reject') rejected++;
        else if (d === 'act') {
          wrongActs++;
          misheard.push(`"${text}" as "${result?.transcript}" (${result?.confidence.toFixed(2)})`);
        }
      }
      wrongActs += split.wrong;
      const n = answers.length;
      lines.push(`${voice}: acted right ${split.right}/${n}, confirmed first ${split.confirmed}/${n}, not understood (re-prompt, keys) ${split.rejected}/${n}, acted wrongly ${split.wrong}/${n}; outside the grammar rejected ${rejected}/${outside.length}${misheard.length ? `; acted on wrongly: ${misheard.join(', ')}` : ''}`);
    }
    console.log(`reference ASR through gRPC (G.711, step "offer" of dispanserization-invite):\n  ${lines.join('\n  ')}`);
    // floors that hold with margin, against regressions: the figures above are the measurement
    // (README, "Speech"); acting wrongly is far from the issue's zero (the note on issue 11)
    expect(wrongActs).toBeLessThanOrEqual(6);
  }, 240_000);

  it('speaks with RHVoice by default for Russian, numbers in words, and takes SSML', async () => {
    const plain = await rawSynthesize({ text: 'Приём 8 декабря в 10:00' });
    expect(plain).toMatchObject({ code: status.OK });
    expect(plain.bytes).toBeGreaterThan(8000 * 2); // more than a second of speech
    const ssml = await rawSynthesize({ text: '<speak>Здравствуйте<break time="500ms"/>до свидания</speak>', ssml: true });
    expect(ssml.code).toBe(status.OK);
    const fast = await rawSynthesize({ text: '<speak>Здравствуйте<break time="500ms"/>до свидания</speak>', ssml: true, rate: 1.5 });
    expect(fast.bytes).toBeLessThan(ssml.bytes);
  }, 60_000);

  it('a bad message gets INVALID_ARGUMENT naming the field, and the server goes on serving', async () => {
    const bad: [Partial<SynthesizeRequestMsg>, RegExp][] = [
      [{ voice: 'nobody' }, /voice "nobody" is not one of this engine's voices for ru-RU: .*anna/],
      [{ voice: 'slt' }, /voice "slt" speaks en-US, not ru-RU/],
      [{ text: 'а'.repeat(5001) }, /text is 5001 characters; at most 5000/],
      [{ text: '<speak><audio src="x"/></speak>', ssml: true }, /audio/],
      [{ rate: 3 }, /rate 3 is outside 0.5..2/],
      [{ format: { encoding: 'LINEAR16', sampleRateHz: 16000 } }, /format.sample_rate_hz 16000 is not supported/],
      [{ text: '   ' }, /text is empty/],
    ];
    for (const [req, details] of bad) {
      const r = await rawSynthesize(req);
      expect(r.code, JSON.stringify(req).slice(0, 60)).toBe(status.INVALID_ARGUMENT);
      expect(r.details).toMatch(details);
    }
    const noConfig = await raw([]);
    expect(noConfig).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/ended before config/) });
    const long = await raw([{ config: { language: 'ru-RU', format: { encoding: 'PCMU', sampleRateHz: 8000 }, hints: [], callId: '', interimResults: false, grammar: { phrases: ['а'.repeat(201)] } } }]);
    expect(long.details).toMatch(/config.grammar.phrases\[0\] is 201 characters/);
    expect(await rawSynthesize({})).toMatchObject({ code: status.OK });
  }, 60_000);

  it('reports its voices, grammar support and capacity, and its streams in use (Health); beyond capacity, RESOURCE_EXHAUSTED', async () => {
    const caps = await speech.capabilities();
    expect(caps).toMatchObject({ grammar: true, maxStreams: 50 });
    expect(caps.voices).toEqual(expect.arrayContaining(['anna', 'aleksandr', 'bell202']));
    expect(await speech.health()).toMatchObject({ serving: true, streamsInUse: 0, maxStreams: 50, backlogMs: 0 });
    const small = await startSpeechServer({ voices: [modemVoice()], maxStreams: 1 });
    const conn = connectSpeech(small.address);
    try {
      const open = conn.asr.recognize({ language: 'ru-RU' });
      open.write(new Int16Array(160));
      for (let i = 0; i < 50 && small.streams < 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await conn.health()).toMatchObject({ serving: true, streamsInUse: 1, maxStreams: 1, backlogMs: 0 });
      const second = conn.asr.recognize({ language: 'ru-RU' });
      second.write(new Int16Array(160));
      const err = await (async () => {
        for await (const ev of second.events()) void ev;
      })().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SPEECH_UNAVAILABLE', message: expect.stringMatching(/RESOURCE_EXHAUSTED.*at most 1 at once/) });
      open.cancel();
      for (let i = 0; i < 100 && small.streams > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(small.streams).toBe(0);
    } finally {
      conn.close();
      await small.close();
    }
  }, 30_000);
});
