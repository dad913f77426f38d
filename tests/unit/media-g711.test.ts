import { describe, expect, it } from 'vitest';
import {
  ALAW_TO_LINEAR,
  ULAW_TO_LINEAR,
  alawToLinear,
  decodeAlaw,
  decodeG711,
  decodeUlaw,
  encodeAlaw,
  encodeG711,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
  type Codec,
} from '../../src/media/index.js';

// Reference pairs from the ITU-T G.711 tables; the whole Int16 range was also checked byte for
// byte against CPython's audioop (lin2ulaw / lin2alaw / ulaw2lin / alaw2lin) when this was written.
const ULAW_ENCODE: [sample: number, byte: number][] = [
  [0, 0xff],
  [-1, 0x7e],
  [32767, 0x80],
  [-32768, 0x00],
];
const ULAW_DECODE: [byte: number, sample: number][] = [
  [0xff, 0],
  [0x7f, 0],
  [0x80, 32124],
  [0x00, -32124],
];
const ALAW_ENCODE: [sample: number, byte: number][] = [
  [0, 0xd5],
  [-1, 0x55],
  [32767, 0xaa],
  [-32768, 0x2a],
];
const ALAW_DECODE: [byte: number, sample: number][] = [
  [0xd5, 8],
  [0x55, -8],
  [0xaa, 32256],
  [0x2a, -32256],
];

const LAWS = [
  { codec: 'PCMU' as Codec, encode: linearToUlaw, decode: ulawToLinear, table: ULAW_TO_LINEAR, refEncode: ULAW_ENCODE, refDecode: ULAW_DECODE },
  { codec: 'PCMA' as Codec, encode: linearToAlaw, decode: alawToLinear, table: ALAW_TO_LINEAR, refEncode: ALAW_ENCODE, refDecode: ALAW_DECODE },
];

function everySample(): Int16Array {
  const all = new Int16Array(65536);
  for (let i = 0; i < all.length; i++) all[i] = i - 32768;
  return all;
}

function tone(hz: number, amplitude: number, samples: number): Int16Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return pcm;
}

for (const law of LAWS) {
  describe(`G.711 ${law.codec}`, () => {
    for (const [sample, byte] of law.refEncode) {
      it(`encodes ${sample} to the reference byte 0x${byte.toString(16)}`, () => {
        expect(law.encode(sample)).toBe(byte);
      });
    }
    for (const [byte, sample] of law.refDecode) {
      it(`decodes 0x${byte.toString(16)} to the reference sample ${sample}`, () => {
        expect(law.decode(byte)).toBe(sample);
        expect(law.table[byte]).toBe(sample);
      });
    }

    it('round trip of every Int16 sample stays within |x|/32 + 8 (one half step of its segment)', () => {
      let worst = 0;
      for (let x = -32768; x <= 32767; x++) {
        const excess = Math.abs(law.decode(law.encode(x)) - x) - (Math.abs(x) / 32 + 8);
        worst = Math.max(worst, excess);
      }
      expect(worst).toBeLessThanOrEqual(0);
    });

    it('round trip over the Int16 range is monotonic (a louder input never decodes quieter)', () => {
      let previous = -Infinity;
      let reversals = 0;
      for (let x = -32768; x <= 32767; x++) {
        const y = law.decode(law.encode(x));
        if (y < previous) reversals++;
        previous = y;
      }
      expect(reversals).toBe(0);
    });

    it('re-encoding a decoded byte gives back a byte that decodes to the same sample', () => {
      for (let b = 0; b < 256; b++) {
        const y = law.decode(b);
        expect(law.decode(law.encode(y))).toBe(y);
      }
    });

    it('encodeG711() of a whole buffer matches the scalar encoder for every sample', () => {
      const all = everySample();
      const out = encodeG711(law.codec, all, new Uint8Array(all.length));
      let mismatches = 0;
      for (let i = 0; i < all.length; i++) if (out[i] !== law.encode(all[i]!)) mismatches++;
      expect(mismatches).toBe(0);
    });

    it('a -6 dBFS 440 Hz tone survives encode + decode with a signal-to-noise ratio above 35 dB', () => {
      const pcm = tone(440, 16384, 8000);
      const back = decodeG711(law.codec, encodeG711(law.codec, pcm, new Uint8Array(pcm.length)), new Int16Array(pcm.length));
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < pcm.length; i++) {
        signal += pcm[i]! ** 2;
        noise += (pcm[i]! - back[i]!) ** 2;
      }
      expect(10 * Math.log10(signal / noise)).toBeGreaterThan(35);
    });

    it('encodeG711() writes at the given offset and leaves the bytes before it unchanged', () => {
      const out = new Uint8Array(12 + 160).fill(0x42);
      encodeG711(law.codec, new Int16Array(160), out, 12);
      expect([...out.subarray(0, 12)]).toEqual(new Array(12).fill(0x42));
      expect(new Set(out.subarray(12))).toEqual(new Set([law.encode(0)]));
    });

    it('decodeG711() reads from the given offset into the provided array and returns that array', () => {
      const bytes = new Uint8Array([1, 2, 3, law.encode(1000), law.encode(-1000)]);
      const out = new Int16Array(2);
      expect(decodeG711(law.codec, bytes, out, 3, 2)).toBe(out);
      expect([...out]).toEqual([law.decode(law.encode(1000)), law.decode(law.encode(-1000))]);
    });

    it('encodeG711() throws RangeError when the output is too short, writing nothing', () => {
      const out = new Uint8Array(100);
      expect(() => encodeG711(law.codec, new Int16Array(160), out)).toThrow(RangeError);
      expect(out.every((b) => b === 0)).toBe(true);
    });
  });
}

describe('G.711 convenience wrappers', () => {
  it('encodeUlaw()/decodeUlaw() and encodeAlaw()/decodeAlaw() allocate outputs of the input length', () => {
    const pcm = tone(1000, 8000, 160);
    expect(decodeUlaw(encodeUlaw(pcm))).toHaveLength(160);
    expect(decodeAlaw(encodeAlaw(pcm))).toHaveLength(160);
    expect([...decodeUlaw(encodeUlaw(pcm))]).toEqual([...pcm].map((x) => ulawToLinear(linearToUlaw(x))));
    expect([...decodeAlaw(encodeAlaw(pcm))]).toEqual([...pcm].map((x) => alawToLinear(linearToAlaw(x))));
  });
});
