/**
 * The server's Synthesize: a request checked field by field, a voice chosen, the text prepared
 * (SSML and words for numbers, for engines that need them), the engine's audio encoded and
 * written with back-pressure. A cancelled call aborts the engine at once.
 */
import { status } from '@grpc/grpc-js';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { SAMPLE_RATE_HZ } from '../ports.js';
import type { SynthesizeRequestMsg, SynthesizeResponseMsg } from '../contract.js';
import { checkFormat, checkLanguage, CODECS, languageMatches, type Codec } from './formats.js';
import type { VoiceEngine } from './engines.js';
import type { PrepareText } from './prepare.js';
import type { Segment } from './ssml.js';

/** Longest text one request may carry (speech.proto). */
export const MAX_TEXT_CHARS = 5000;

/** Without natural voices: plain text only, said as it is. */
export const plainText: PrepareText = (text, o) => {
  if (o.ssml) throw new Error('ssml is not supported by this server');
  return [{ text, rate: o.rate }];
};

export interface SynthesisHost {
  voices: readonly VoiceEngine[];
  /** BCP 47 tag -> the voice for it when a request names none */
  defaultVoices: Readonly<Record<string, string>>;
  prepare: PrepareText;
  /** a stream opens: false when the server is full (RESOURCE_EXHAUSTED) */
  open(): string | null;
  close(): void;
}

/** The engine and voice for a request: the named voice, the language's default voice, or the first engine's voice for the language. */
export function pickVoice(voices: readonly VoiceEngine[], language: string, voice: string, defaults: Readonly<Record<string, string>> = {}): { engine: VoiceEngine; voice: string } | string {
  if (voice === '') {
    const named = Object.entries(defaults).find(([tag]) => languageMatches(tag, language))?.[1];
    const engine = named ? voices.find((e) => e.voices.some((v) => v.name === named)) : undefined;
    if (engine) return { engine, voice: named! };
  }
  if (voice !== '') {
    for (const engine of voices) {
      const v = engine.voices.find((x) => x.name === voice);
      if (v) return languageMatches(v.language, language) ? { engine, voice } : `voice "${voice}" speaks ${v.language}, not ${language}`;
    }
    const names = voices.flatMap((e) => e.voices.filter((v) => languageMatches(v.language, language)).map((v) => v.name));
    return `voice "${voice}" is not one of this engine's voices for ${language}: ${names.join(', ') || 'none'}`;
  }
  for (const engine of voices) {
    const v = engine.voices.find((x) => languageMatches(x.language, language) && x.language !== '*') ?? engine.voices.find((x) => x.language === '*');
    if (v) return { engine, voice: v.name };
  }
  return `language "${language}" is not spoken by this engine`;
}

function fail(call: ServerWritableStream<unknown, unknown>, code: status, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

export async function synthesize(host: SynthesisHost, call: ServerWritableStream<SynthesizeRequestMsg, SynthesizeResponseMsg>): Promise<void> {
  const req = call.request;
  const rate = req.rate === 0 ? 1 : req.rate;
  const problem =
    (req.text.trim() === '' ? 'text is empty: there is nothing to say' : null) ??
    (req.text.length > MAX_TEXT_CHARS ? `text is ${req.text.length} characters; at most ${MAX_TEXT_CHARS} per request` : null) ??
    checkLanguage('language', req.language) ??
    checkFormat('format', req.format) ??
    (!(rate >= 0.5 && rate <= 2) ? `rate ${req.rate} is outside 0.5..2 (0 means 1)` : null);
  if (problem) return fail(call, status.INVALID_ARGUMENT, problem);
  const picked = pickVoice(host.voices, req.language, req.voice, host.defaultVoices);
  if (typeof picked === 'string') return fail(call, status.INVALID_ARGUMENT, picked);
  const { engine, voice } = picked;
  let segments: Segment[];
  try {
    if (engine.verbatim) {
      if (req.ssml) return fail(call, status.INVALID_ARGUMENT, `ssml: voice "${voice}" (${engine.name}) speaks plain text only`);
      segments = [{ text: req.text, rate }];
    } else {
      segments = host.prepare(req.text, { ssml: req.ssml, language: req.language, rate });
    }
  } catch (err) {
    return fail(call, status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
  }
  for (const s of segments) {
    const bad = 'text' in s ? engine.check?.(s.text) : null;
    if (bad) return fail(call, status.INVALID_ARGUMENT, bad);
  }
  const full = host.open();
  if (full) return fail(call, status.RESOURCE_EXHAUSTED, full);
  const codec = CODECS.get(req.format!.encoding)!;
  const stop = new AbortController();
  const onCancel = (): void => stop.abort();
  call.on('cancelled', onCancel);
  try {
    for (const s of segments) {
      if (stop.signal.aborted) break;
      if ('breakMs' in s) {
        await write(call, codec, new Int16Array(Math.round((s.breakMs * SAMPLE_RATE_HZ) / 1000)));
        continue;
      }
      if (s.text.trim() === '') continue;
      for await (const pcm of engine.synthesize(s.text, { voice, language: req.language, rate: s.rate }, stop.signal)) {
        if (stop.signal.aborted) break;
        await write(call, codec, pcm);
      }
    }
    if (!call.cancelled) call.end();
  } catch (err) {
    // an engine's failure ends this call, not the server: INTERNAL tells the client not to retry here
    if (!call.cancelled) fail(call, status.INTERNAL, `${engine.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    stop.abort();
    call.off('cancelled', onCancel);
    host.close();
  }
}

async function write(call: ServerWritableStream<SynthesizeRequestMsg, SynthesizeResponseMsg>, codec: Codec, pcm: Int16Array): Promise<void> {
  if (pcm.length === 0 || call.cancelled) return;
  if (!call.write({ audio: codec.encode(pcm) })) await drained(call);
}

function drained(call: ServerWritableStream<SynthesizeRequestMsg, SynthesizeResponseMsg>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
