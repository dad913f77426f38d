// The WAV reader lives with the benchmarks (bench/ is built, tests/ is not): bench/amd-set.ts reads
// the AMD fixtures with it, and tests use it too.
import { readFileSync } from 'node:fs';

export interface Wav {
  sampleRate: number;
  channels: number;
  /** 16-bit samples, channels interleaved. */
  samples: Int16Array;
}

/**
 * Reads a 16-bit PCM WAV file: walks the RIFF chunks for `fmt ` and `data`, skipping any other
 * (LIST, fact). Throws on anything else, so a fixture made wrongly fails loudly.
 */
export function readWav(path: string): Wav {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path}: not a RIFF/WAVE file`);
  let format: { sampleRate: number; channels: number } | null = null;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      const tag = buf.readUInt16LE(body);
      const bits = buf.readUInt16LE(body + 14);
      // 1: PCM; 0xFFFE: WAVE_FORMAT_EXTENSIBLE, whose sub-format is PCM for SoX's 16-bit output.
      if ((tag !== 1 && tag !== 0xfffe) || bits !== 16) throw new Error(`${path}: format ${tag}, ${bits} bits; want 16-bit PCM`);
      format = { channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4) };
    } else if (id === 'data') {
      if (!format) throw new Error(`${path}: data chunk before fmt chunk`);
      const bytes = Math.min(size, buf.length - body);
      const samples = new Int16Array(bytes >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { ...format, samples };
    }
    at = body + size + (size & 1); // chunks are padded to an even length
  }
  throw new Error(`${path}: no data chunk`);
}

/** Pieces of PCM (chunks as an engine streams them, clips and silences) as one. */
export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
