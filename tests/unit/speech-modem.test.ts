import { describe, expect, it } from 'vitest';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../src/media/g711.js';
import { ModemListener, modemSpeak } from '../../src/speech/index.js';
import type { ModemEvent } from '../../src/speech/index.js';
import { concatPcm } from '../support/wav.js';

const RU = 'Здравствуйте! Вы записаны к терапевту на завтра в 9:40. Подтвердите, пожалуйста?';
const EN = 'Hello, this is the clinic: your check-up is tomorrow at 9:40 (room 12).';
const AMPLITUDE = Math.round(0.3 * 32767);

/** mulberry32: a seeded generator, so every noisy case is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function addNoise(pcm: Int16Array, sigma: number, seed: number): Int16Array {
  const r = random(seed);
  return pcm.map((x) => {
    const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    return Math.max(-32768, Math.min(32767, Math.round(x + sigma * g)));
  });
}

function concat(...parts: (Int16Array | number)[]): Int16Array {
  return concatPcm(parts.map((p) => (typeof p === 'number' ? new Int16Array(p) : p)));
}

/** Feeds pcm in chunks of the sizes `size` returns, then ends the stream. */
function listen(pcm: Int16Array, size: () => number = () => pcm.length): ModemEvent[] {
  const l = new ModemListener();
  const events: ModemEvent[] = [];
  for (let at = 0; at < pcm.length; ) {
    const n = Math.max(1, size());
    events.push(...l.push(pcm.subarray(at, at + n)));
    at += n;
  }
  events.push(...l.end());
  return events;
}

function texts(events: ModemEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
}

describe('modem voice', () => {
  for (const [language, text] of [
    ['Russian', RU],
    ['English', EN],
  ] as const) {
    it(`modemSpeak() -> ModemListener: ${language} text comes back unchanged, as one carrier and one message`, () => {
      const events = listen(modemSpeak(text));
      expect(events.map((e) => e.type)).toEqual(['carrier', 'message', 'carrier-lost']);
      expect(texts(events)).toEqual([text]);
    });
  }

  for (const [law, encode, decode] of [
    ['μ-law', encodeUlaw, decodeUlaw],
    ['A-law', encodeAlaw, decodeAlaw],
  ] as const) {
    it(`ModemListener decodes text after a G.711 ${law} round trip`, () => {
      const line = decode(encode(modemSpeak(RU)));
      expect(texts(listen(line))).toEqual([RU]);
    });
  }

  it('ModemListener reports the same events whether fed at once, in 160-sample RTP frames or in random sizes', () => {
    const pcm = concat(1234, modemSpeak(RU), 800, modemSpeak(EN), 300);
    const whole = listen(pcm);
    expect(texts(whole)).toEqual([RU, EN]);
    expect(listen(pcm, () => 160)).toEqual(whole);
    const r = random(7);
    expect(listen(pcm, () => 1 + Math.floor(r() * 997))).toEqual(whole);
    expect(listen(pcm, () => 1)).toEqual(whole);
  });

  it('ModemListener finds a burst after 1.3 s of silence and dates the carrier and the message from its start', () => {
    const lead = 10_400;
    const speech = modemSpeak(RU);
    const events = listen(concat(lead, speech, 2000));
    const carrier = events.find((e) => e.type === 'carrier');
    const message = events.find((e) => e.type === 'message');
    // Within 2 ms of the true start; the message ends where ETX's stop bit ends, before the 44 ms tail.
    expect(carrier?.atSample).toBeGreaterThanOrEqual(lead - 16);
    expect(carrier?.atSample).toBeLessThanOrEqual(lead + 16);
    expect(message).toMatchObject({ text: RU, startSample: carrier?.atSample });
    const tailSamples = Math.round((24 * 8000) / 1200) + 160;
    expect(message?.type === 'message' && message.endSample).toBeCloseTo(lead + speech.length - tailSamples, -1);
  });

  it('ModemListener decodes through white noise at 17 dB SNR after μ-law, with a carrier start within 5 ms', () => {
    const lead = 4000;
    const noisy = addNoise(concat(lead, modemSpeak(RU), 1600), 1000, 42);
    const events = listen(decodeUlaw(encodeUlaw(noisy)), () => 160);
    expect(texts(events)).toEqual([RU]);
    const carrier = events.find((e) => e.type === 'carrier');
    expect(Math.abs((carrier?.atSample ?? -1e9) - lead)).toBeLessThanOrEqual(40);
  });

  it('ModemListener hears nothing in 5 s of white noise or of silence: no carrier, no message', () => {
    expect(listen(addNoise(new Int16Array(40_000), 1000, 1), () => 160)).toEqual([]);
    expect(listen(new Int16Array(40_000), () => 160)).toEqual([]);
  });

  it('ModemListener separates two messages played back to back, in order and without overlap', () => {
    const events = listen(concat(modemSpeak('Да'), modemSpeak('Первое время, пожалуйста')), () => 160);
    expect(texts(events)).toEqual(['Да', 'Первое время, пожалуйста']);
    const [a, b] = events.filter((e) => e.type === 'message');
    expect(a!.type === 'message' && b!.type === 'message' && a!.endSample < b!.startSample).toBe(true);
  });

  it('ModemListener drops a frame whose payload does not match its CRC, and still decodes the next one', () => {
    // 'abc' and 'abd' have the same timing; the third payload byte sits at bits 180..189
    // (100 seizure + 30 mark + STX + two length bytes + two payload bytes), samples 1200..1267.
    const good = modemSpeak('abc');
    const other = modemSpeak('abd');
    const spliced = good.slice();
    spliced.set(other.subarray(1200, 1267), 1200);
    expect(texts(listen(concat(good, 400, modemSpeak('после'))))).toEqual(['abc', 'после']);
    const events = listen(concat(spliced, 400, modemSpeak('после')), () => 160);
    expect(texts(events)).toEqual(['после']);
  });

  it('ModemListener drops a frame cut by a 4 ms dropout, and still decodes the next one', () => {
    const cut = modemSpeak(EN);
    expect(texts(listen(concat(cut, modemSpeak(RU))))).toEqual([EN, RU]);
    cut.fill(0, 3000, 3032);
    const events = listen(concat(cut, modemSpeak(RU)), () => 160);
    expect(texts(events)).toEqual([RU]);
  });

  it('modemSpeak() takes 10 bits per UTF-8 byte at 1200 baud, plus a fixed 0.23 s burst overhead', () => {
    const short = modemSpeak('a'.repeat(10)).length;
    const long = modemSpeak('a'.repeat(110)).length;
    // 100 more bytes = 1000 more bits = 0.8333 s = 6666.7 samples.
    expect(Math.abs(long - short - 6666.7)).toBeLessThan(1);
    // Overhead: 16 bytes of seizure and framing, 54 mark bits, 20 ms silence = 0.198 + 20 ms.
    expect((short - (10 * 10 * 8000) / 1200) / 8000).toBeCloseTo((16 * 10 + 54) / 1200 + 0.02, 3);
    // Russian letters are two UTF-8 bytes each.
    expect(modemSpeak('я'.repeat(10)).length - short).toBeCloseTo(6666.7 / 10, -1);
  });

  it('modemSpeak() stays at 0.3 of full scale and rejects empty text', () => {
    const pcm = modemSpeak(RU);
    expect(Math.max(...pcm.map(Math.abs))).toBeLessThanOrEqual(AMPLITUDE);
    expect(() => modemSpeak('')).toThrow(RangeError);
  });
});
