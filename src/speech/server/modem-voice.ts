import { MAX_PAYLOAD_BYTES } from '../modem/bell202.js';
import { modemSpeak } from '../modem/fsk-encoder.js';
import type { VoiceEngine } from './engines.js';

/**
 * The modem voice as a synthesiser: text of any language as one Bell 202 burst, which the
 * recogniser (and the simulated callees) decode back exactly. No person can listen to it; it is
 * what tests and the capacity benches speak.
 */
export const MODEM_VOICE = 'bell202';

/** A 100 ms first chunk, so playback starts at once; then 500 ms chunks (fewer messages: bench/capacity.ts). */
const FIRST_CHUNK = 800;
const CHUNK = 4000;

export function modemVoice(): VoiceEngine {
  return {
    name: 'modem',
    voices: [{ name: MODEM_VOICE, language: '*' }],
    verbatim: true,
    check(text) {
      const bytes = Buffer.byteLength(text, 'utf8');
      return bytes > MAX_PAYLOAD_BYTES ? `text is ${bytes} UTF-8 bytes; the modem voice carries at most ${MAX_PAYLOAD_BYTES}` : null;
    },
    async *synthesize(text, _opts, signal) {
      const pcm = modemSpeak(text);
      for (let at = 0, size = FIRST_CHUNK; at < pcm.length && !signal.aborted; at += size, size = CHUNK) yield pcm.subarray(at, at + size);
    },
    close: async () => {},
  };
}
