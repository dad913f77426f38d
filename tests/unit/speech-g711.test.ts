import { describe, expect, it } from 'vitest';
import * as media from '../../src/media/g711.js';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../src/speech/g711.js';

// src/speech keeps its own G.711 (it may not import src/media); it must agree with media's
// byte for byte, and with the values of the ITU-T G.711 reference code.
const every16Bit = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('speech G.711', () => {
  it('ulawEncode() and alawEncode() agree with src/media for every 16-bit sample', () => {
    expect(ulawEncode(every16Bit)).toEqual(media.encodeUlaw(every16Bit));
    expect(alawEncode(every16Bit)).toEqual(media.encodeAlaw(every16Bit));
  });

  it('ulawDecode() and alawDecode() agree with src/media for every byte', () => {
    expect(ulawDecode(everyByte)).toEqual(media.decodeUlaw(everyByte));
    expect(alawDecode(everyByte)).toEqual(media.decodeAlaw(everyByte));
  });

  it('G.711 reference values: μ-law 0xFF = 0, 0x00 = -32124, 0x80 = 32124; A-law 0xD5 = 8, 0x2A = -32256', () => {
    expect([...ulawDecode(Uint8Array.of(0xff, 0x00, 0x80))]).toEqual([0, -32124, 32124]);
    expect([...alawDecode(Uint8Array.of(0xd5, 0x2a))]).toEqual([8, -32256]);
    expect([...ulawEncode(Int16Array.of(0))]).toEqual([0xff]);
    expect([...alawEncode(Int16Array.of(0))]).toEqual([0xd5]);
  });
});
