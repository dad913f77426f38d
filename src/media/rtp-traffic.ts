/**
 * What the whole process's RTP does, across calls: packets each way, and how evenly the senders
 * space their packets. Counting costs an increment per packet; the capacity bench and the
 * metrics read it while calls run (a call's own figures reach its attempt when it ends).
 */

import type { IoPriority } from './native-io.js';

/** Spacing error buckets: 0.1 ms wide, up to 100 ms; the last holds everything beyond. */
const BUCKET_MS = 0.1;
const BUCKETS = 1001;

/**
 * Send jitter, RFC 3550 style at the sender: for consecutive packets of one talkspurt,
 * |(sent_j - sent_i) - (timestamp_j - timestamp_i) / 8 kHz|, the spread a far end's jitter
 * buffer has to absorb that our pacing caused.
 */
export class SpacingHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #total = 0;

  observe(errorMs: number): void {
    const b = Math.min(BUCKETS - 1, Math.floor(Math.abs(errorMs) / BUCKET_MS));
    this.#counts[b]!++;
    this.#total++;
  }

  get count(): number {
    return this.#total;
  }

  /**
   * The p-th percentile in ms (upper edge of its bucket); NaN when empty. `more`: counts in the
   * same buckets observed elsewhere (the native I/O thread's, native-io.ts), taken together.
   */
  percentileMs(p: number, more?: Uint32Array): number {
    let total = this.#total;
    if (more) for (let b = 0; b < BUCKETS; b++) total += more[b]!;
    if (total === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b]! + (more?.[b] ?? 0);
      if (seen >= rank) return (b + 1) * BUCKET_MS;
    }
    return Number.POSITIVE_INFINITY;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
  }
}

export const rtpTraffic = {
  /** RTP packets sent and received (RTCP not counted) by every session of the process */
  sent: 0,
  received: 0,
  sendJitter: new SpacingHistogram(),
};

/** The native I/O thread's own figures (native-io.ts), when it carries the sockets */
export interface NativeTraffic {
  /** packets it sent, those that left over 1 ms after their due time, and the latest one's lateness */
  sent: number;
  /** packets JavaScript handed over more than 1 ms after their due time (its thread was late by more than the lookahead) */
  handedLate: number;
  lateSends: number;
  maxLateMs: number;
  rxDropped: number;
  priority: IoPriority;
}

/** One JavaScript thread's RTP figures: rtpTraffic's counters, and its native I/O thread's when that carries the sockets. */
export interface ThreadTraffic {
  sent: number;
  received: number;
  /** over the JavaScript senders' spacing and the native thread's, taken together */
  sendJitterP99Ms: number;
  native?: NativeTraffic;
}
