import {
  AMPLITUDE,
  BAUD,
  CRC16_INIT,
  ETX,
  LEAD_MARK_BITS,
  MARK_HZ,
  MAX_PAYLOAD_BYTES,
  SAMPLE_RATE_HZ,
  SEIZURE_BYTES,
  SPACE_HZ,
  STX,
  TAIL_MARK_BITS,
  TAIL_SILENCE_SAMPLES,
  crc16Update,
} from './bell202.js';

const utf8 = new TextEncoder();
const TWO_PI = 2 * Math.PI;
const MARK_STEP = (TWO_PI * MARK_HZ) / SAMPLE_RATE_HZ;
const SPACE_STEP = (TWO_PI * SPACE_HZ) / SAMPLE_RATE_HZ;
/** 2 ms raised-cosine fade at both ends of the tone, so the burst starts and stops without a click. */
const FADE_SAMPLES = 16;

/**
 * Speaks text as one Bell 202 burst (see bell202.ts): 8 kHz mono 16-bit PCM, about
 * 10 bits = 8.3 ms per UTF-8 byte plus 0.19 s of seizure, framing and tail.
 * Throws RangeError for empty text or text over 65535 UTF-8 bytes: a caller bug, not a line fault.
 */
export function modemSpeak(text: string): Int16Array {
  const payload = utf8.encode(text);
  if (payload.length === 0) throw new RangeError('modemSpeak: text is empty');
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`modemSpeak: text is ${payload.length} UTF-8 bytes, more than ${MAX_PAYLOAD_BYTES}`);
  }
  const bits = frameBits(payload);
  // Bit k covers samples n with floor(n * 3 / 20) === k: exact 1200 baud at 8 kHz, no drift.
  const toneSamples = Math.ceil((bits.length * SAMPLE_RATE_HZ) / BAUD);
  const out = new Int16Array(toneSamples + TAIL_SILENCE_SAMPLES);
  let phase = 0;
  for (let n = 0; n < toneSamples; n++) {
    // Continuous phase: the frequency changes at a bit edge, the phase does not jump.
    phase += bits[Math.floor((n * 3) / 20)] ? MARK_STEP : SPACE_STEP;
    if (phase > TWO_PI) phase -= TWO_PI;
    let gain = AMPLITUDE;
    if (n < FADE_SAMPLES) gain *= 0.5 - 0.5 * Math.cos((Math.PI * n) / FADE_SAMPLES);
    else if (n >= toneSamples - FADE_SAMPLES) gain *= 0.5 - 0.5 * Math.cos((Math.PI * (toneSamples - 1 - n)) / FADE_SAMPLES);
    out[n] = Math.round(gain * Math.sin(phase));
  }
  return out;
}

/** The burst as line bits, one per array element (1 = mark). */
function frameBits(payload: Uint8Array): Uint8Array {
  const frameBytes = payload.length + 6;
  const bits = new Uint8Array((SEIZURE_BYTES + frameBytes) * 10 + LEAD_MARK_BITS + TAIL_MARK_BITS);
  let at = 0;
  const byte = (b: number): void => {
    bits[at++] = 0;
    for (let i = 0; i < 8; i++) bits[at++] = (b >> i) & 1;
    bits[at++] = 1;
  };
  const mark = (count: number): void => {
    bits.fill(1, at, at + count);
    at += count;
  };
  for (let i = 0; i < SEIZURE_BYTES; i++) byte(0x55);
  mark(LEAD_MARK_BITS);
  const lenHi = payload.length >> 8;
  const lenLo = payload.length & 0xff;
  let crc = crc16Update(crc16Update(CRC16_INIT, lenHi), lenLo);
  for (const b of payload) crc = crc16Update(crc, b);
  byte(STX);
  byte(lenHi);
  byte(lenLo);
  for (const b of payload) byte(b);
  byte(crc >> 8);
  byte(crc & 0xff);
  byte(ETX);
  mark(TAIL_MARK_BITS);
  return bits;
}
