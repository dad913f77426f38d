/**
 * The byte half of the modem listener (fsk-decoder.ts): the UART's bytes in, messages out. A frame
 * is STX len_hi len_lo payload crc_hi crc_lo ETX (bell202.ts); one whose length is zero, whose CRC
 * or ETX is wrong, or whose payload is not UTF-8 is dropped. The listener calls it once per byte,
 * outside its per-sample work, and drops the frame under way when the UART or the carrier says
 * the bytes stopped.
 */
import { CRC16_INIT, ETX, SAMPLES_PER_BIT, STX, crc16Update } from './bell202.js';

/** One complete frame with a valid CRC, from the start of its burst to the end of ETX. */
export interface ModemMessage {
  type: 'message';
  text: string;
  startSample: number;
  endSample: number;
}

/** Start with room for 256 payload bytes; grows by doubling for longer texts. */
const INITIAL_PAYLOAD = 256;

const enum Frame {
  Idle,
  LenHi,
  LenLo,
  Payload,
  CrcHi,
  CrcLo,
  Etx,
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Frames from bytes. It allocates only for a message it returns (and to grow for a longer text). */
export class FrameReader {
  #frame = Frame.Idle;
  #burstStart = -1;
  #frameStart = 0;
  #length = 0;
  #got = 0;
  #crc = 0;
  #rxCrc = 0;
  #payload = new Uint8Array(INITIAL_PAYLOAD);

  /** true from a STX until its frame ends or is dropped. */
  get inFrame(): boolean {
    return this.#frame !== Frame.Idle;
  }

  /** Drops the frame under way, if any. */
  drop(): void {
    this.#frame = Frame.Idle;
  }

  /** A carrier began at atSample: the next message's burst starts there, and no frame is under way. */
  burst(atSample: number): void {
    this.#burstStart = atSample;
    this.#frame = Frame.Idle;
  }

  /** One byte whose start bit's edge is at `edge` (samples); returns the message it completes, if any. */
  byte(b: number, edge: number): ModemMessage | null {
    if (this.#burstStart < 0) this.#burstStart = Math.round(edge);
    switch (this.#frame) {
      case Frame.Idle:
        if (b === STX) {
          this.#frame = Frame.LenHi;
          this.#frameStart = Math.round(edge);
          this.#crc = CRC16_INIT; // the CRC covers length and payload, not STX
        }
        return null;
      case Frame.LenHi:
        this.#length = b << 8;
        this.#crc = crc16Update(this.#crc, b);
        this.#frame = Frame.LenLo;
        return null;
      case Frame.LenLo:
        this.#length |= b;
        this.#crc = crc16Update(this.#crc, b);
        if (this.#length === 0) {
          this.#frame = Frame.Idle;
          return null;
        }
        if (this.#payload.length < this.#length) {
          let size = this.#payload.length;
          while (size < this.#length) size *= 2;
          this.#payload = new Uint8Array(size);
        }
        this.#got = 0;
        this.#frame = Frame.Payload;
        return null;
      case Frame.Payload:
        this.#payload[this.#got++] = b;
        this.#crc = crc16Update(this.#crc, b);
        if (this.#got === this.#length) this.#frame = Frame.CrcHi;
        return null;
      case Frame.CrcHi:
        this.#rxCrc = b << 8;
        this.#frame = Frame.CrcLo;
        return null;
      case Frame.CrcLo:
        this.#rxCrc |= b;
        this.#frame = Frame.Etx;
        return null;
      case Frame.Etx: {
        this.#frame = Frame.Idle;
        const burstStart = this.#burstStart;
        this.#burstStart = -1; // whatever follows is another burst, good frame or not
        if (b !== ETX || this.#rxCrc !== this.#crc) return null;
        let text: string;
        try {
          text = utf8.decode(this.#payload.subarray(0, this.#length));
        } catch {
          return null; // a CRC collision that is not UTF-8: still garbage
        }
        const startSample = burstStart >= 0 ? burstStart : this.#frameStart;
        const endSample = Math.round(edge + 10 * SAMPLES_PER_BIT);
        return { type: 'message', text, startSample, endSample };
      }
    }
  }
}
