/**
 * G.711 for the reference speech server, which must accept and produce PCMU/PCMA as the proto
 * allows. src/speech imports only src/core (adapters do not depend on each other), so this is the
 * speech layer's own copy: table-driven, after the Sun Microsystems reference g711.c that ITU-T
 * G.191 ships. tests/unit/speech-g711.test.ts checks it against the G.711 reference values and,
 * byte for byte over all 65536 samples, against src/media/g711.ts.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

function linearToUlaw(pcm: number): number {
  const sign = pcm < 0 ? 0x80 : 0;
  let mag = Math.min(sign ? -pcm : pcm, ULAW_CLIP) + ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (mag & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  mag = (mag >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mag) & 0xff;
}

function alawToLinear(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function linearToAlaw(pcm: number): number {
  let v = pcm >> 3; // A-law works on 13 bits
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (0x20 << seg) - 1) seg++; // segment ends 0x1F, 0x3F, ... 0xFFF
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | ((seg < 2 ? v >> 1 : v >> seg) & 0x0f);
  return aval ^ mask;
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
/** Indexed by the sample's top 14 (μ-law) or 13 (A-law) bits, offset to be non-negative. */
const ULAW_ENCODE = Uint8Array.from({ length: 1 << 14 }, (_, i) => linearToUlaw((i - (1 << 13)) << 2));
const ALAW_ENCODE = Uint8Array.from({ length: 1 << 13 }, (_, i) => linearToAlaw((i - (1 << 12)) << 3));

export function ulawEncode(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[((pcm[i] as number) >> 2) + (1 << 13)] as number;
  return out;
}

export function alawEncode(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[((pcm[i] as number) >> 3) + (1 << 12)] as number;
  return out;
}

export function ulawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i] as number] as number;
  return out;
}

export function alawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i] as number] as number;
  return out;
}
