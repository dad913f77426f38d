import { describe, expect, it } from 'vitest';
import { resample, Resampler } from '../../src/speech/server/resample.js';

const tone = (hz: number, rate: number, n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * hz * i) / rate)));
function rms(a: Int16Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]! ** 2;
  return Math.sqrt(s / (to - from));
}

describe('Resampler', () => {
  // the synthesisers' rates: RHVoice 24 and 16 kHz, espeak-ng 22.05 kHz
  for (const rate of [24_000, 22_050, 16_000]) {
    it(`${rate} Hz -> 8 kHz: the phone band passes, what would alias is 60 dB down, the timing is kept`, () => {
      const pass = resample(tone(1000, rate, rate), rate, 8000);
      expect(Math.abs(pass.length - 8000)).toBeLessThanOrEqual(2);
      expect(rms(pass, 200, 7800)).toBeCloseTo(7071, -1);
      expect(rms(resample(tone(3400, rate, rate), rate, 8000), 200, 7800)).toBeGreaterThan(7000);
      expect(rms(resample(tone(5000, rate, rate), rate, 8000), 200, 7800)).toBeLessThan(7.1);
      // aligned with the input: the filter's delay is taken out
      const out = resample(tone(700, rate, rate), rate, 8000);
      for (let k = 100; k < 7900; k += 37) expect(Math.abs(out[k]! - 10_000 * Math.sin((2 * Math.PI * 700 * k) / 8000))).toBeLessThan(10);
    });

    it(`${rate} Hz: chunks of any size give the same samples as the whole`, () => {
      const src = tone(700, rate, rate / 2);
      const r = new Resampler(rate, 8000);
      const parts: number[] = [];
      for (let i = 0, step = 1; i < src.length; i += step, step = (step * 7) % 1013 || 1) parts.push(...r.push(src.subarray(i, i + step)));
      parts.push(...r.flush());
      expect(Int16Array.from(parts)).toEqual(resample(src, rate, 8000));
    });
  }

  it('8 kHz to 8 kHz is a copy; bad rates are refused', () => {
    const src = tone(440, 8000, 100);
    expect(resample(src, 8000, 8000)).toEqual(src);
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
  });
});
