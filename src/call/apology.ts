import { readFileSync } from 'node:fs';
import { packageFile } from '../core/index.js';

/**
 * The short recorded apology a call hears when no speech engine can speak or listen for it
 * ("Извините, у нас технические неполадки. Мы перезвоним вам позже."), before the robot hangs up
 * with ROBOT_SILENCE. Recorded, not synthesised: it must play when every engine is down. Shipped
 * as dialogs/audio/apology-<lang>.wav (8 kHz mono 16-bit PCM, recorded with RHVoice).
 */
const cache = new Map<string, Int16Array | null>();

/** The apology in the call's language (English when there is none in it), or null when the file is missing or unreadable. */
export function apology(language: string): Int16Array | null {
  const lang = language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
  if (!cache.has(lang)) {
    try {
      cache.set(lang, readWav8k(readFileSync(packageFile(`dialogs/audio/apology-${lang}.wav`))));
    } catch {
      cache.set(lang, null);
    }
  }
  return cache.get(lang) ?? null;
}

/** The samples of a RIFF WAVE file holding 8 kHz mono 16-bit PCM; throws for anything else. */
export function readWav8k(buf: Buffer): Int16Array {
  const w = readWav(buf);
  if (w.sampleRate !== 8000) throw new Error(`${w.sampleRate} Hz, not 8 kHz`);
  return w.pcm;
}

/** The samples and rate of a RIFF WAVE file of mono 16-bit PCM; throws naming what else it is. */
export function readWav(buf: Buffer): { sampleRate: number; pcm: Int16Array } {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF WAVE file');
  let at = 12;
  let format: { tag: number; channels: number; rate: number; bits: number } | null = null;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= buf.length) {
      format = { tag: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    }
    if (id === 'data') {
      if (!format) throw new Error('no fmt chunk before the data');
      if ((format.tag !== 1 && format.tag !== 0xfffe) || format.channels !== 1 || format.bits !== 16) {
        throw new Error(`${format.channels} channel(s) of ${format.bits}-bit audio (format ${format.tag}), not mono 16-bit PCM`);
      }
      const n = Math.min(size, buf.length - body) >> 1;
      const pcm = new Int16Array(n);
      for (let i = 0; i < n; i++) pcm[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: format.rate, pcm };
    }
    at = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}
