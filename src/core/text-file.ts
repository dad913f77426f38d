import { ZvonarError, type ErrorCode } from './errors.js';

/** The encodings a clinic's exports come in: what Excel and Russian MIS save as "CSV" or "Unicode text". */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1251';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

/**
 * Turns a text file's bytes into a string, detecting the encoding:
 * a byte-order mark (UTF-8, UTF-16 LE/BE, as Excel's "Unicode text" writes), else UTF-8 when the
 * bytes are valid UTF-8, else Windows-1251 when the bytes above 0x7F are Cyrillic letters. Anything
 * else is refused with ZvonarError(code) rather than guessed: a wrong guess stores "�������" as
 * names. The result never contains U+FFFD from decoding (every decoder here is fatal); the BOM is
 * dropped. `code` is the caller's: what an unreadable file means depends on what the file is.
 */
export function decodeText(bytes: Uint8Array, p: { file: string; code: ErrorCode }): DecodedText {
  const refuse = (why: string, hint = 'save it as "CSV UTF-8" (Excel: File > Save As > CSV UTF-8)'): never => {
    throw new ZvonarError(p.code, `cannot read the text: ${why}`, { file: p.file }, { hint });
  };
  const bom = detectBom(bytes)?.encoding;
  if (bom) {
    if (bom === 'utf-16le' && bytes[2] === 0 && bytes[3] === 0) refuse('it is UTF-32', 'save it as UTF-8');
    const text = tryDecode(bom, bytes);
    if (text === undefined) return refuse(`it starts with a ${bom.toUpperCase()} byte-order mark but is not valid ${bom.toUpperCase()}`);
    return { text, encoding: bom };
  }
  if (looksLikeUtf16(bytes)) refuse('it looks like UTF-16 without a byte-order mark', 'save it as "CSV UTF-8", or as "Unicode text" (which writes the mark)');
  const utf8 = tryDecode('utf-8', bytes);
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8' };
  if (looksLikeWindows1251(bytes)) return { text: tryDecode('windows-1251', bytes)!, encoding: 'windows-1251' };
  return refuse('it is neither UTF-8 nor Windows-1251 Cyrillic');
}

/** The byte-order marks a text file may start with, and their length in bytes. */
const BYTE_ORDER_MARKS: readonly { encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; bytes: readonly number[] }[] = [
  { encoding: 'utf-8', bytes: [0xef, 0xbb, 0xbf] },
  { encoding: 'utf-16le', bytes: [0xff, 0xfe] },
  { encoding: 'utf-16be', bytes: [0xfe, 0xff] },
];

/** The encoding a byte-order mark at the start names, and the mark's length; undefined without one. */
export function detectBom(bytes: Uint8Array): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; length: number } | undefined {
  const bom = BYTE_ORDER_MARKS.find((m) => m.bytes.every((b, i) => bytes[i] === b));
  return bom && { encoding: bom.encoding, length: bom.bytes.length };
}

function tryDecode(encoding: TextEncodingName, bytes: Uint8Array): string | undefined {
  try {
    // ignoreBOM: false drops the mark itself; fatal: an invalid sequence throws instead of becoming U+FFFD.
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** ASCII text in UTF-16 has a zero in every other byte; a text file in an 8-bit encoding has almost none. */
export function looksLikeUtf16(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (bytes[i] === 0) zeros++;
  return n >= 4 && zeros / n > 0.2;
}

/**
 * Offset of the first byte from `from` on that does not belong to a well-formed UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); bytes.length when all do.
 */
export function firstBadUtf8Byte(bytes: Uint8Array, from = 0): number {
  let i = from;
  while (i < bytes.length) {
    const c = bytes[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (i + n >= bytes.length) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const cont = bytes[i + k]!;
      if (cont < (k === 1 ? lo : 0x80) || cont > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

/**
 * In Windows-1251, 0xC0-0xFF are А-я and 0xA8/0xB8 are Ё/ё; names and addresses also use
 * a few punctuation marks (0x96/0x97 dashes, 0xAB/0xBB «», 0xB9 №, 0xA0 no-break space, 0x85 …,
 * 0x93/0x94 quotes). The file is Cyrillic text when nearly every byte above 0x7F is one of those,
 * and those letters stand in words of their own: Latin-1 "Müller" is "Mьller" in Windows-1251,
 * a Cyrillic letter between Latin ones, which Russian names do not have.
 */
function looksLikeWindows1251(bytes: Uint8Array): boolean {
  let high = 0;
  let cyrillic = 0;
  let amidLatin = 0;
  const latin = (b: number | undefined) => b !== undefined && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80) continue;
    high++;
    if (b >= 0xc0 || CYRILLIC_1251_EXTRA.has(b)) cyrillic++;
    if (latin(bytes[i - 1]) || latin(bytes[i + 1])) amidLatin++;
  }
  return cyrillic > 0 && cyrillic / high >= 0.95 && amidLatin / high < 0.05;
}

const CYRILLIC_1251_EXTRA = new Set([0xa8, 0xb8, 0x96, 0x97, 0xab, 0xbb, 0xb9, 0xa0, 0x85, 0x93, 0x94]);
