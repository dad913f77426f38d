/**
 * The modem voice's line format, shared by the encoder and the decoder.
 *
 * Bell 202 FSK as the caller-ID signal uses it on analogue phone lines (Telcordia GR-30-CORE,
 * ETSI EN 300 659-1): 1200 baud, mark (binary 1) 1200 Hz, space (binary 0) 2200 Hz, each byte
 * sent async-serial 8N1 (start bit 0, eight data bits LSB first, stop bit 1). A burst is
 *
 *   channel seizure (alternating bits) | mark | STX len_hi len_lo payload crc_hi crc_lo ETX | mark | silence
 *
 * where payload is the text's UTF-8 bytes and the CRC (CRC-16/CCITT-FALSE) covers the length
 * and payload bytes. Caller-ID uses 300 seizure bits and 180 mark bits (250 + 150 ms); the
 * decoder here needs far less, so the burst is kept short to keep simulated dialogs fast.
 */

// the modem voice speaks at the ports' rate (the phone line's), so nothing is resampled
import { SAMPLE_RATE_HZ } from '../ports.js';
export { SAMPLE_RATE_HZ };
export const BAUD = 1200;
export const MARK_HZ = 1200;
export const SPACE_HZ = 2200;
/** 8000 / 1200 = 6.67 samples per bit: 20 samples carry exactly 3 bits. */
export const SAMPLES_PER_BIT = SAMPLE_RATE_HZ / BAUD;

/**
 * 10 bytes of 0x55 sent 8N1 give 100 strictly alternating bits (83 ms): start 0, 1010 1010
 * LSB first, stop 1, and the next start bit continues the alternation.
 */
export const SEIZURE_BYTES = 10;
/** Mark before the frame (25 ms). It resets the receiver's byte framing after the seizure. */
export const LEAD_MARK_BITS = 30;
/** Mark after the frame (20 ms), so the receiver sees a clean stop bit and carrier tail. */
export const TAIL_MARK_BITS = 24;
/** Silence after the burst (20 ms), so two bursts played back to back stay separate. */
export const TAIL_SILENCE_SAMPLES = 160;

export const STX = 0x02;
export const ETX = 0x03;
/** Two length bytes. 65535 UTF-8 bytes is about 9 minutes of modem speech. */
export const MAX_PAYLOAD_BYTES = 0xffff;

/** Peak amplitude: 0.3 of full scale (-10.5 dBFS), well inside G.711's range. */
export const AMPLITUDE = Math.round(0.3 * 32767);

/** Frame overhead: STX, two length bytes, two CRC bytes, ETX. */
export const FRAME_OVERHEAD_BYTES = 6;

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection); check("123456789") = 0x29B1. */
export function crc16Update(crc: number, byte: number): number {
  crc ^= byte << 8;
  for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
}

export const CRC16_INIT = 0xffff;
