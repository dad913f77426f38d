import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childSpeech } from './child-voice.js';
import type { SynthesisOptions, VoiceEngine, VoiceInfo } from './engines.js';
import { stressMarksFor } from '../pronunciation.js';

/**
 * espeak-ng, the fallback voice: formant synthesis, robotic but small, fast and in every
 * distribution's main archive. One `espeak-ng --stdout` per request (it starts in a few
 * milliseconds and has no voice to load); its 22.05 kHz is resampled to 8 kHz here.
 *
 * Voices are espeak-ng's own names ("ru", "en-us"), the Russian and English ones only: those
 * are the languages whose numbers and dates the server writes out (src/core/spoken.ts).
 */

const exec = promisify(execFile);
export const ESPEAK_PACKAGES = 'espeak-ng';
/** espeak-ng's default speed, words per minute: rate 1 */
const NORMAL_WPM = 175;
/** what espeak-ng accepts */
const MIN_WPM = 80, MAX_WPM = 450;
/** a prompt is seconds long: a child still running after this is stuck */
const TIMEOUT_MS = 60_000;

export interface EspeakOptions {
  /** the command, "espeak-ng" unless told (a full path, for tests) */
  command?: string;
}

/** "ru" -> "ru-RU", "en-us" -> "en-US", "en-gb-x-rp" -> "en-GB-x-rp" */
function bcp47(espeakLanguage: string): string {
  const [lang, region, ...rest] = espeakLanguage.split('-');
  if (!region) return lang === 'ru' ? 'ru-RU' : lang === 'en' ? 'en-GB' : lang!;
  return [lang, /^[a-z]{2}$/.test(region) ? region.toUpperCase() : region, ...rest].join('-');
}

/**
 * Finds espeak-ng and its Russian and English voices. Rejects with an Error naming the Debian
 * package when espeak-ng is not installed.
 */
export async function startEspeak(opts: EspeakOptions = {}): Promise<VoiceEngine> {
  const command = opts.command ?? 'espeak-ng';
  let listing: string;
  try {
    listing = (await exec(command, ['--voices'], { timeout: 10_000 })).stdout;
  } catch (err) {
    throw new Error(`espeak-ng is not installed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): install the Debian package ${ESPEAK_PACKAGES}`, { cause: err });
  }
  const voices: VoiceInfo[] = [];
  for (const line of listing.split('\n').slice(1)) {
    // Pty Language Age/Gender VoiceName File Other-languages; mbrola voices (mb/) need data packages of their own
    const [, language, , , file] = line.trim().split(/\s+/);
    if (!language || !file || file.startsWith('mb/') || !/^(ru|en)(-|$)/.test(language)) continue;
    voices.push({ name: language, language: bcp47(language) });
  }
  if (!voices.length) throw new Error(`espeak-ng has no Russian or English voice: install the Debian package ${ESPEAK_PACKAGES}`);
  return new EspeakEngine(command, voices);
}

class EspeakEngine implements VoiceEngine {
  readonly name = 'espeak-ng';
  readonly voices: readonly VoiceInfo[];
  readonly #command: string;
  #closed = false;

  constructor(command: string, voices: VoiceInfo[]) {
    this.#command = command;
    this.voices = voices;
  }

  async *synthesize(text: string, opts: SynthesisOptions, signal: AbortSignal): AsyncGenerator<Int16Array> {
    if (this.#closed) throw new Error('espeak-ng: the engine is closed');
    if (!this.voices.some((v) => v.name === opts.voice)) {
      throw new Error(`espeak-ng has no voice "${opts.voice.slice(0, 40)}"; its voices: ${this.voices.map((v) => v.name).join(', ')}`);
    }
    const wpm = Math.round(Math.min(MAX_WPM, Math.max(MIN_WPM, NORMAL_WPM * opts.rate)));
    // text on stdin, not argv: a prompt may start with "-"; -b 1: the input is UTF-8
    yield* childSpeech({
      engine: 'espeak-ng',
      command: this.#command,
      args: ['--stdout', '-b', '1', '-v', opts.voice, '-s', String(wpm)],
      input: stressMarksFor(text, 'none'),
      timeoutMs: TIMEOUT_MS,
    }, signal);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
