/**
 * RFC 4733 DTMF, both ways: which digits exist, the packets one outgoing event owes, and the
 * state that turns incoming telephone-event packets into one digit each. No sockets here: the
 * sender and the receiver own the RTP headers and the wire.
 */

/** RFC 4733 §3.2: events 0-15 are these digits; 16 (flash) is not a digit and is not reported. */
const DTMF_DIGITS = '0123456789*#ABCD';
/** RFC 4733 §2.3.4: power level, as -dBm0; 10 is the level most gateways send. */
const DTMF_VOLUME = 10;
/** RFC 4733 §2.5.1.4: the final packet of an event is sent three times. */
const DTMF_END_REPEATS = 3;
/** telephone-event/8000, the rate sdp.ts offers and accepts it at (RFC 4733 §7.1.1). */
const SAMPLES_PER_MS = 8;
/** The duration field is 16 bits of samples (RFC 4733 §2.3.5): 8.19 s at most without segments. */
const DTMF_MAX_MS = Math.floor(0xffff / SAMPLES_PER_MS);
/** Bytes of a telephone-event payload: event, E bit + volume, 16-bit duration (RFC 4733 §2.3). */
export const DTMF_PAYLOAD_BYTES = 4;

/** The event number of a digit (0-9 * # A-D, either case), or -1 for anything else. */
export function dtmfEvent(digit: string): number {
  return digit.length === 1 ? DTMF_DIGITS.indexOf(digit.toUpperCase()) : -1;
}

/**
 * One event on its way out, one packet per packet time (RFC 4733 §2.5.1): every packet carries
 * the event's start timestamp and the duration so far; the first has the marker bit; the last
 * has the E bit and is sent three times.
 */
export class OutgoingDtmf {
  readonly event: number;
  /** Packets until the E bit: the duration in packet times, at least one. */
  readonly #ticks: number;
  #sent = 0;
  /** The RTP timestamp of the event's start, which every packet of it carries. */
  timestamp = 0;

  /** `durationMs` is kept between two packet times and what the 16-bit duration field holds. */
  constructor(event: number, durationMs: number, packetMs: number) {
    this.event = event;
    const ms = Math.min(Math.max(durationMs, 2 * packetMs), DTMF_MAX_MS - DTMF_END_REPEATS * packetMs);
    this.#ticks = Math.max(1, Math.round(ms / packetMs));
  }

  /**
   * Starts the next packet. The first takes `timestamp` (the media clock now) as the event's
   * start; returns whether this packet carries the marker bit.
   */
  next(timestamp: number): boolean {
    this.#sent++;
    if (this.#sent === 1) this.timestamp = timestamp;
    return this.#sent === 1;
  }

  /** Writes the payload of the packet next() started at `offset`; `packetSamples` is one packet time. */
  writePayload(buf: Buffer, offset: number, packetSamples: number): void {
    const end = this.#sent >= this.#ticks;
    const duration = Math.min(this.#sent, this.#ticks) * packetSamples;
    buf[offset] = this.event;
    buf[offset + 1] = (end ? 0x80 : 0) | DTMF_VOLUME;
    buf[offset + 2] = duration >>> 8;
    buf[offset + 3] = duration & 0xff;
  }

  /** True once the packet just started is the last copy of the end packet. */
  get done(): boolean {
    return this.#sent === this.#ticks + DTMF_END_REPEATS - 1;
  }
}

/**
 * Incoming telephone-event packets to digits, each reported once with its duration, including
 * an event whose end packets were all lost. Packets must come in order (the receiver's sequence
 * check has dropped duplicates and late ones).
 */
export class DtmfDecoder {
  readonly #onDigit: (digit: string, durationMs: number) => void;
  #timestamp = -1;
  #done = true;
  #event = 0;
  #duration = 0;

  constructor(onDigit: (digit: string, durationMs: number) => void) {
    this.#onDigit = onDigit;
  }

  /** One packet's payload: `length` bytes at `offset` of `buf`, with the packet's RTP timestamp. */
  receive(buf: Uint8Array, offset: number, length: number, timestamp: number): void {
    if (length < DTMF_PAYLOAD_BYTES) return;
    const event = buf[offset]!;
    const end = (buf[offset + 1]! & 0x80) !== 0;
    const duration = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    if (timestamp !== this.#timestamp) {
      // RFC 4733 §2.5.2.2: a new timestamp is a new event. If every end packet of the previous
      // one was lost, report it now with the last duration seen.
      if (!this.#done) this.#emit(this.#event, this.#duration);
      this.#timestamp = timestamp;
      this.#done = false;
    } else if (this.#done) {
      // RFC 4733 §2.5.1.4: the final packet of an event is sent three times; count the digit once.
      return;
    }
    this.#event = event;
    this.#duration = duration;
    if (end) {
      this.#done = true;
      this.#emit(event, duration);
    }
  }

  #emit(event: number, duration: number): void {
    const digit = DTMF_DIGITS[event];
    if (digit === undefined) return;
    this.#onDigit(digit, Math.round(duration / SAMPLES_PER_MS));
  }
}
