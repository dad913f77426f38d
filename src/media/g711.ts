/**
 * ITU-T G.711 companding, μ-law (PCMU) and A-law (PCMA), for 16-bit linear PCM.
 *
 * The scalar functions follow the ITU-T G.711 segment tables as published in the reference
 * implementation (Sun Microsystems' g711.c, public domain). The frame functions go through
 * precomputed tables: 256 entries to decode, and one entry per 14-bit (μ-law) or 13-bit (A-law)
 * input to encode, because G.711 only looks at that many significant bits of a sample.
 */
import type { Codec } from './media-session.js';

/** μ-law works on 14-bit magnitudes: the 16-bit sample shifted right by 2 (G.711 Table 2a). */
const ULAW_BIAS = 0x21;
const ULAW_CLIP = 8159;
/** Upper end of each of the 8 μ-law segments, in 14-bit units with the bias added. */
const ULAW_SEGMENT_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
/** Upper end of each of the 8 A-law segments, in 13-bit units (G.711 Table 1a). */
const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

/** Encodes one 16-bit sample to a μ-law byte. Silence (0) is 0xFF. */
export function linearToUlaw(sample: number): number {
  let v = sample >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > ULAW_CLIP) v = ULAW_CLIP;
  v += ULAW_BIAS;
  const seg = segment(v, ULAW_SEGMENT_END);
  // G.711 transmits μ-law bytes inverted so that silence has many one bits (old T1 ones density).
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Decodes one μ-law byte to a 16-bit sample. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Encodes one 16-bit sample to an A-law byte. Silence (0) is 0xD5. */
export function linearToAlaw(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, ALAW_SEGMENT_END);
  // G.711 A-law inverts the even bits (0x55) so that idle channels are not all zeros.
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

/** Decodes one A-law byte to a 16-bit sample. */
export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function decodeTable(decode: (byte: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let b = 0; b < 256; b++) table[b] = decode(b);
  return table;
}

/** μ-law byte -> 16-bit sample. */
export const ULAW_TO_LINEAR: Readonly<Int16Array> = decodeTable(ulawToLinear);
/** A-law byte -> 16-bit sample. */
export const ALAW_TO_LINEAR: Readonly<Int16Array> = decodeTable(alawToLinear);

/** Indexed by (sample >> 2) & 0x3fff: μ-law ignores the two lowest bits. */
const ULAW_ENCODE = new Uint8Array(1 << 14);
for (let i = 0; i < ULAW_ENCODE.length; i++) ULAW_ENCODE[i] = linearToUlaw(((i << 18) >> 18) << 2);
/** Indexed by (sample >> 3) & 0x1fff: A-law ignores the three lowest bits. */
const ALAW_ENCODE = new Uint8Array(1 << 13);
for (let i = 0; i < ALAW_ENCODE.length; i++) ALAW_ENCODE[i] = linearToAlaw(((i << 19) >> 19) << 3);

/** The decode table of a codec, for callers that decode sample by sample into their own buffer. */
export const G711_DECODE_TABLE: Readonly<Record<Codec, Readonly<Int16Array>>> = {
  PCMU: ULAW_TO_LINEAR,
  PCMA: ALAW_TO_LINEAR,
};

/**
 * Encodes all of `pcm` into `out` starting at `outOffset`, without allocating.
 * Returns `out`. `out` must have room for pcm.length bytes after outOffset.
 */
export function encodeG711(codec: Codec, pcm: Int16Array, out: Uint8Array, outOffset = 0): Uint8Array {
  const n = pcm.length;
  if (outOffset + n > out.length) throw new RangeError(`encodeG711: ${n} samples do not fit at offset ${outOffset}`);
  if (codec === 'PCMU') {
    for (let i = 0; i < n; i++) out[outOffset + i] = ULAW_ENCODE[(pcm[i]! >> 2) & 0x3fff]!;
  } else {
    for (let i = 0; i < n; i++) out[outOffset + i] = ALAW_ENCODE[(pcm[i]! >> 3) & 0x1fff]!;
  }
  return out;
}

/**
 * Decodes `length` bytes of `bytes` from `byteOffset` into `out` from index 0, without allocating.
 * Returns `out`. `out` must hold at least `length` samples.
 */
export function decodeG711(
  codec: Codec,
  bytes: Uint8Array,
  out: Int16Array,
  byteOffset = 0,
  length = bytes.length - byteOffset,
): Int16Array {
  if (length > out.length || byteOffset + length > bytes.length) {
    throw new RangeError(`decodeG711: ${length} bytes at ${byteOffset} do not fit (${bytes.length} in, ${out.length} out)`);
  }
  const table = G711_DECODE_TABLE[codec];
  for (let i = 0; i < length; i++) out[i] = table[bytes[byteOffset + i]!]!;
  return out;
}

/** μ-law encodes a buffer; allocates `out` when not given. */
export function encodeUlaw(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  return encodeG711('PCMU', pcm, out);
}

/** A-law encodes a buffer; allocates `out` when not given. */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  return encodeG711('PCMA', pcm, out);
}

/** μ-law decodes a buffer; allocates `out` when not given. */
export function decodeUlaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  return decodeG711('PCMU', bytes, out);
}

/** A-law decodes a buffer; allocates `out` when not given. */
export function decodeAlaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  return decodeG711('PCMA', bytes, out);
}
