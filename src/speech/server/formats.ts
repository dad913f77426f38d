/** The audio formats and language tags the server takes, and the INVALID_ARGUMENT texts naming the field at fault. */
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../media/index.js';
import { linear16ToPcm, pcmToLinear16 } from '../contract.js';
import type { AudioFormatMsg, Encoding } from '../contract.js';
import { SAMPLE_RATE_HZ } from '../ports.js';

export type Codec = { decode(bytes: Uint8Array): Int16Array | string; encode(pcm: Int16Array): Uint8Array };

/** Encoding name -> how its bytes map to samples. Anything else is INVALID_ARGUMENT. */
export const CODECS: ReadonlyMap<Encoding | number, Codec> = new Map<Encoding | number, Codec>([
  [
    'LINEAR16',
    {
      decode: (b) => (b.length % 2 === 0 ? linear16ToPcm(b) : `a LINEAR16 audio chunk has ${b.length} bytes; it must hold whole 16-bit samples (an even number of bytes)`),
      encode: pcmToLinear16,
    },
  ],
  ['PCMU', { decode: (b: Uint8Array) => decodeUlaw(b), encode: (p: Int16Array) => encodeUlaw(p) }],
  ['PCMA', { decode: (b: Uint8Array) => decodeAlaw(b), encode: (p: Int16Array) => encodeAlaw(p) }],
]);

/** BCP 47 (RFC 5646) well-formedness, as Intl checks it. */
export function checkLanguage(field: string, tag: string): string | null {
  if (tag === '') return `${field} is empty: give a BCP 47 tag such as ru-RU`;
  try {
    Intl.getCanonicalLocales(tag);
    return null;
  } catch {
    return `${field} "${tag}" is not a BCP 47 language tag (e.g. ru-RU, en-US)`;
  }
}

export function checkFormat(field: string, format: AudioFormatMsg | null | undefined): string | null {
  if (!format) return `${field} is missing: give encoding and sample_rate_hz`;
  if (!CODECS.has(format.encoding)) {
    return `${field}.encoding ${format.encoding} is not supported: this engine takes ${[...CODECS.keys()].join(', ')}`;
  }
  if (format.sampleRateHz !== SAMPLE_RATE_HZ) {
    return `${field}.sample_rate_hz ${format.sampleRateHz} is not supported: this engine works at ${SAMPLE_RATE_HZ} Hz only`;
  }
  return null;
}

/** "ru" serves "ru-RU" and the other way round; "*" serves every language. */
export function languageMatches(have: string, want: string): boolean {
  if (have === '*') return true;
  const a = have.toLowerCase();
  const b = want.toLowerCase();
  return a === b || a.split('-')[0] === b.split('-')[0];
}
