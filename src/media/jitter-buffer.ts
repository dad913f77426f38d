/**
 * The receive side's jitter buffer: puts the callee's RTP back in order before it reaches the
 * recogniser, and says where audio is missing.
 *
 * A recogniser needs every frame, in order, with gaps where they were; it does not need frames
 * at an even pace (it is not a loudspeaker). So this buffer is driven by arrivals, not by a
 * playout clock: a packet that is next in sequence goes out at once, with no added delay; one
 * that arrives ahead of a gap is held until the missing one comes or its wait runs out, and then
 * the gap is declared lost and released as missing samples for the receiver to conceal. The wait
 * adapts to the line: a few times the RFC 3550 interarrival jitter, between minWaitMs and
 * maxWaitMs. With no playout clock, a sender whose clock runs fast or slow (skew) never fills or
 * starves the buffer: its packets simply go out as they come.
 *
 * - Order: by extended sequence number (RFC 3550 A.1: 16-bit wrap counted in cycles).
 * - Duplicates, and packets older than what was already released (late), are dropped and counted.
 * - A timestamp that jumps ahead of the previous packet's end with consecutive sequence numbers is
 *   the sender's silence (DTX, or a pause before a DTMF event's audio): released as a gap, not loss.
 * - A jump of 3,000 or more sequence numbers (RFC 3550 MAX_DROPOUT) is taken as the sender
 *   restarting its numbering once two packets agree. A packet of another SSRC mid-stream is a
 *   stray (dropped and counted) until a second one in sequence shows the source really changed
 *   (a PBX re-anchoring the media): the stream then starts over on it.
 *
 * Packets that are not audio (RFC 4733 events share the sequence numbers) are pushed with no
 * payload: they keep their place in the order and release nothing.
 *
 * Nothing is copied: a held packet keeps a reference to the datagram's own buffer (Node gives each
 * datagram a fresh one). At most maxHeld packets are held; past that the oldest gap is given up.
 */

export interface JitterSink {
  /** `length` payload bytes at `offset` of `buf`: one packet's audio, next in order. */
  audio(buf: Uint8Array, offset: number, length: number): void;
  /** `samples` of audio that will not come: `lost` on the line (or too late), else the sender's silence. */
  missing(samples: number, lost: boolean): void;
}

export interface JitterStats {
  /** packets released in order */
  released: number;
  /** packets that arrived ahead of a gap and were held */
  reordered: number;
  duplicates: number;
  /** arrived after their place was given up */
  late: number;
  /** packets never seen (their samples released as lost) */
  lost: number;
  /** packets of another SSRC than the stream's, dropped (see above) */
  strays: number;
  /** RFC 3550 interarrival jitter, ms */
  jitterMs: number;
  /** the most packets held at once */
  maxHeld: number;
}

export interface JitterBufferOptions {
  /** the shortest wait for a missing packet, ms (40) */
  minWaitMs?: number;
  /** the longest, however bad the line (200) */
  maxWaitMs?: number;
  /** packets held at most (50: a second of 20 ms packets) */
  maxHeld?: number;
  /** RTP clock rate in samples per ms (8 for G.711) */
  samplesPerMs?: number;
}

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

interface Held {
  ext: number;
  timestamp: number;
  buf: Uint8Array;
  offset: number;
  length: number;
  arrivalMs: number;
}

export class JitterBuffer {
  readonly #sink: JitterSink;
  readonly #minWaitMs: number;
  readonly #maxWaitMs: number;
  readonly #maxHeld: number;
  readonly #rate: number;
  readonly #held: Held[] = [];
  /** the last gaps given up, to tell a late packet from a duplicate */
  readonly #lostRanges: [number, number][] = [];
  readonly stats: JitterStats = { released: 0, reordered: 0, duplicates: 0, late: 0, lost: 0, strays: 0, jitterMs: 0, maxHeld: 0 };

  #ssrc = -1;
  /** the last stray's SSRC and sequence number: a next one that follows it is a new source */
  #straySsrc = -1;
  #straySeq = -1;
  /** extended sequence number of the next packet to release */
  #next = -1;
  /** highest extended sequence number seen, and the cycles (RFC 3550 A.1) */
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = -1;
  /** where the last released packet's audio ended, in RTP timestamp units (-1 before the first) */
  #endTimestamp = -1;
  /** samples per packet, as the last in-order pair showed (for sizing a lost packet) */
  #packetSamples = 160;
  // RFC 3550 A.8: jitter from transit times
  #lastTransit = Number.NaN;
  #jitter = 0;

  constructor(sink: JitterSink, opts: JitterBufferOptions = {}) {
    this.#sink = sink;
    this.#minWaitMs = opts.minWaitMs ?? 40;
    this.#maxWaitMs = opts.maxWaitMs ?? 200;
    this.#maxHeld = opts.maxHeld ?? 50;
    this.#rate = opts.samplesPerMs ?? 8;
  }

  /** How long a missing packet is waited for now, ms. */
  get waitMs(): number {
    return Math.min(this.#maxWaitMs, Math.max(this.#minWaitMs, this.#minWaitMs + 3 * (this.#jitter / this.#rate)));
  }

  /** Packets held for a gap right now. */
  get held(): number {
    return this.#held.length;
  }

  /**
   * One RTP packet's audio payload, as it arrives. Releases what it can, in order. Returns the
   * packet's extended sequence number (for reception reports), or -1 for a jump not yet believed.
   */
  push(ssrc: number, seq: number, timestamp: number, buf: Uint8Array, offset: number, length: number, arrivalMs: number): number {
    if (ssrc !== this.#ssrc) {
      const follows = ssrc === this.#straySsrc && seq === ((this.#straySeq + 1) & 0xffff);
      if (this.#ssrc !== -1 && !follows) {
        this.stats.strays++;
        this.#straySsrc = ssrc;
        this.#straySeq = seq;
        return -1;
      }
      this.#straySsrc = -1;
      this.#restart(ssrc, seq);
    }
    const ext = this.#extend(seq);
    if (ext < 0) return -1; // a wild jump not yet confirmed
    this.#measureJitter(timestamp, arrivalMs);
    if (ext < this.#next) {
      // released already, or given up for lost
      if (this.#wasLost(ext)) this.stats.late++;
      else this.stats.duplicates++;
      return ext;
    }
    if (ext === this.#next) {
      this.#release(ext, timestamp, buf, offset, length);
      this.#releaseHeld();
    } else {
      if (this.#held.some((h) => h.ext === ext)) {
        this.stats.duplicates++;
        return ext;
      }
      this.#hold({ ext, timestamp, buf, offset, length, arrivalMs });
    }
    this.drain(arrivalMs);
    return ext;
  }

  /** The SSRC of the stream being received; -1 before the first packet. */
  get ssrc(): number {
    return this.#ssrc;
  }

  /** RFC 3550 interarrival jitter in RTP timestamp units (for reception reports). */
  get jitterUnits(): number {
    return this.#jitter;
  }

  /** Gives up on gaps whose wait has run out (and on the oldest, while too many are held). */
  drain(nowMs: number): void {
    const wait = this.waitMs;
    while (this.#held.length > 0 && (nowMs - this.#held[0]!.arrivalMs >= wait || this.#held.length > this.#maxHeld)) {
      this.#giveUpTo(this.#held[0]!.ext, this.#held[0]!.timestamp);
      this.#releaseHeld();
    }
  }

  /** Releases everything held, declaring its gaps lost (the call is ending). */
  flush(): void {
    while (this.#held.length > 0) {
      this.#giveUpTo(this.#held[0]!.ext, this.#held[0]!.timestamp);
      this.#releaseHeld();
    }
  }

  #restart(ssrc: number, seq: number): void {
    this.flush();
    this.#ssrc = ssrc;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#badSeq = -1;
    this.#next = seq;
    this.#endTimestamp = -1;
    this.#lastTransit = Number.NaN;
  }

  /** RFC 3550 A.1: the extended sequence number, or -1 for a jump to be confirmed by the next packet. */
  #extend(seq: number): number {
    const udelta = (seq - this.#maxSeq + SEQ_MOD) % SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += SEQ_MOD; // wrapped
      this.#maxSeq = seq;
      return this.#cycles + seq;
    }
    if (udelta <= SEQ_MOD - MAX_MISORDER) {
      if (seq === this.#badSeq) {
        // two in a row agree: the sender restarted its numbering
        this.flush();
        this.#maxSeq = seq;
        this.#badSeq = -1;
        this.#next = this.#cycles + seq;
        this.#endTimestamp = -1;
        return this.#cycles + seq;
      }
      this.#badSeq = (seq + 1) % SEQ_MOD;
      return -1;
    }
    // a little behind the highest: reordered or duplicated
    return this.#cycles + seq - (seq > this.#maxSeq ? SEQ_MOD : 0);
  }

  #measureJitter(timestamp: number, arrivalMs: number): void {
    const transit = arrivalMs * this.#rate - timestamp;
    if (!Number.isNaN(this.#lastTransit)) {
      let d = transit - this.#lastTransit;
      // a wrapped 32-bit timestamp is not a transit jump
      if (d > 2 ** 31) d -= 2 ** 32;
      else if (d < -(2 ** 31)) d += 2 ** 32;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
      this.stats.jitterMs = this.#jitter / this.#rate;
    }
    this.#lastTransit = transit;
  }

  #hold(h: Held): void {
    let i = this.#held.length;
    while (i > 0 && this.#held[i - 1]!.ext > h.ext) i--;
    this.#held.splice(i, 0, h);
    this.stats.reordered++;
    if (this.#held.length > this.stats.maxHeld) this.stats.maxHeld = this.#held.length;
  }

  #release(ext: number, timestamp: number, buf: Uint8Array, offset: number, length: number): void {
    if (length === 0) {
      // a packet of the stream that is not audio (an RFC 4733 event: its own timestamps) holds
      // its place in the sequence and nothing else
      this.stats.released++;
      this.#next = ext + 1;
      return;
    }
    if (this.#endTimestamp >= 0) {
      const gap = (timestamp - this.#endTimestamp) >>> 0;
      // consecutive numbers with a later timestamp: the sender was silent (DTX), not lost
      if (gap > 0 && gap < 2 ** 31) this.#sink.missing(gap, false);
    }
    this.#sink.audio(buf, offset, length);
    this.stats.released++;
    if (length > 0) this.#packetSamples = length; // G.711: one byte a sample
    this.#endTimestamp = (timestamp + length) >>> 0;
    this.#next = ext + 1;
  }

  #releaseHeld(): void {
    while (this.#held.length > 0 && this.#held[0]!.ext === this.#next) {
      const h = this.#held.shift()!;
      this.#release(h.ext, h.timestamp, h.buf, h.offset, h.length);
    }
  }

  /** The packets before `ext` are lost: their samples go out as missing, up to `timestamp`. */
  #giveUpTo(ext: number, timestamp: number): void {
    const count = ext - this.#next;
    if (count <= 0) return;
    this.stats.lost += count;
    this.#lostRanges.push([this.#next, ext]);
    if (this.#lostRanges.length > 64) this.#lostRanges.shift();
    const samples = this.#endTimestamp >= 0 ? (timestamp - this.#endTimestamp) >>> 0 : count * this.#packetSamples;
    if (samples > 0 && samples < 2 ** 31) this.#sink.missing(samples, true);
    this.#endTimestamp = timestamp >>> 0;
    this.#next = ext;
  }

  #wasLost(ext: number): boolean {
    return this.#lostRanges.some(([from, to]) => ext >= from && ext < to);
  }
}
