/**
 * The speech commands: `zvonar speech serve` (the speech server as a process of its own) and
 * `zvonar dialog intents FILE --step STEP --audio` (recorded answers through the configured
 * engines, with the step's grammar, as a call would hear them).
 */
import { readFileSync } from 'node:fs';
import { ZvonarError, type Logger } from '../core/index.js';
import type { Config } from '../config/index.js';
import { loadScript, stepHearing } from '../dialog/index.js';
import { readWav } from '../call/apology.js';
import { resample } from '../speech/server/resample.js';
import { loadPronunciation, startSpeechServer, textPreparer } from '../speech/server/index.js';
import { startEmbeddedEngines, startSpeech } from './speech.js';

type EmbeddedConfig = Extract<Config['speech']['engines'][number], { kind: 'embedded' }>;

/** The embedded engine's settings from the config (its first embedded engine), or the defaults. */
function embeddedOf(cfg: Config): EmbeddedConfig {
  const e = cfg.speech.engines.find((x): x is EmbeddedConfig => x.kind === 'embedded');
  return e ?? { kind: 'embedded', voices: ['rhvoice', 'espeak-ng', 'modem'], defaultVoices: { 'ru-RU': 'anna', 'en-US': 'slt' }, recognizer: 'pocketsphinx', pronunciation: [], maxStreams: 1000 };
}

/** Runs the speech server until signal aborts. */
export async function serveSpeech(cfg: Config, o: { listen: string; signal: AbortSignal; out: (line: string) => void }): Promise<void> {
  const m = /^(.+):(\d+)$/.exec(o.listen);
  if (!m) throw new ZvonarError('USAGE', `--listen ${o.listen}: give host:port, e.g. 127.0.0.1:50051`, {});
  const e = embeddedOf(cfg);
  const engines = await startEmbeddedEngines(e);
  try {
    const server = await startSpeechServer({
      host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), voices: engines.voices, recognizer: engines.recognizer, defaultVoices: e.defaultVoices,
      prepare: textPreparer(e.pronunciation.map((f) => loadPronunciation(f, readFileSync(f)))), maxStreams: e.maxStreams,
    });
    o.out(`zvonar speech serve: listening on ${server.address} (proto/zvonar/speech/v1), at most ${e.maxStreams} streams`);
    for (const n of engines.notes) o.out(`  ${n}`);
    await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
  } finally {
    await engines.close();
  }
}

/** A WAV file's samples at 8 kHz: 8 kHz is taken as it is, 16 kHz resampled; mono 16-bit PCM only. */
export function readAnswer(file: string): Int16Array {
  let w: { sampleRate: number; pcm: Int16Array };
  try {
    w = readWav(readFileSync(file));
  } catch (err) {
    throw new ZvonarError('USAGE', `${file}: ${(err as Error).message}; give an 8 or 16 kHz mono 16-bit WAV`, { file });
  }
  if (w.sampleRate === 8000) return w.pcm;
  if (w.sampleRate === 16000) return resample(w.pcm, 16000, 8000);
  throw new ZvonarError('USAGE', `${file}: ${w.sampleRate} Hz; give an 8 or 16 kHz mono 16-bit WAV`, { file });
}

export interface AudioIntent {
  file: string;
  transcript: string | null;
  intent: string | null;
  confidence: number;
  slots: Record<string, string | number>;
  /** the step would confirm ("Вы сказали…?") or ask for a key before acting */
  confirm: boolean;
}

/** Hears each WAV file as the step would in a call: through the configured engines, with its grammar. */
export async function audioIntents(cfg: Config, o: { file: string; step: string; log: Logger }): Promise<{ hear(wav: string): Promise<AudioIntent>; close(): Promise<void> }> {
  const script = loadScript(o.file);
  const { matcher, grammar, decide } = stepHearing(script, o.step);
  const speech = await startSpeech(cfg.speech, o.log);
  return {
    async hear(wav) {
      const pcm = readAnswer(wav);
      const stream = speech.router.asr!.recognize({ language: script.language, grammar, hints: [] });
      const heard = (async () => {
        for await (const ev of stream.events()) {
          if (ev.type === 'final') return { text: ev.text, confidence: ev.confidence };
          if (ev.type === 'no-match') return { text: null, confidence: ev.confidence };
        }
        return { text: null, confidence: 0 };
      })();
      // as on a line: a moment of quiet before (the recogniser's noise floor), the answer in 100 ms
      // pieces, then half a second of silence (the end of the answer)
      for (let i = 0; i < 3; i++) stream.write(new Int16Array(800));
      for (let at = 0; at < pcm.length; at += 800) stream.write(pcm.subarray(at, at + 800));
      for (let i = 0; i < 5; i++) stream.write(new Int16Array(800));
      stream.end();
      const h = await heard;
      if (h.text === null) return { file: wav, transcript: null, intent: null, confidence: h.confidence, slots: {}, confirm: false };
      const m = matcher.match(h.text);
      const d = m.intent === null ? 'act' : decide(m.intent, h.confidence);
      return {
        file: wav, transcript: h.text,
        intent: d === 'reject' ? null : m.intent,
        confidence: h.confidence, slots: m.slots, confirm: d === 'confirm',
      };
    },
    close: () => speech.close(),
  };
}
