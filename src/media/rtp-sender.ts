/**
 * The send half of an RTP session: one queue of audio and RFC 4733 events, drained at the far
 * end's packet time by the clock's one pacer (pacer.ts: a tick for all the process's senders).
 * It owns the stream's RTP header (SSRC, sequence number, timestamp, marker bit) and withholds
 * packets from a far end that does not receive.
 *
 *   play() / sendDtmf() -> queue -> pacer tick -> one packet per packet time (20 ms unless asked)
 *
 * It reuses its buffers: no per-packet closures, promises or logs.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/index.js';
import { DTMF_PAYLOAD_BYTES, OutgoingDtmf } from './dtmf.js';
import { encodeG711 } from './g711.js';
import { AUDIO, TALKSPURT, type RtpSocket } from './native-io.js';
import type { Codec } from './media-session.js';
import { pacerOf, type Pacer, type Pumped } from './pacer.js';
import { RTP_HEADER_BYTES, writeRtpHeader, type RtpHeader } from './rtp-packet.js';
import { rtpTraffic } from './rtp-traffic.js';
import type { RemoteMedia } from './sdp.js';

const FRAME_MS = 20;
/** 20 ms at 8000 Hz (RFC 3551 §4.5: G.711 default packetization). */
const FRAME_SAMPLES = 160;
const SAMPLES_PER_MS = 8;
/**
 * Packet lengths sent, as the far end's a=ptime / a=maxptime ask (RFC 4566 §6): whole 10 ms
 * steps from 10 to 60 ms, 20 unless asked.
 */
const MIN_PTIME_MS = 10;
const MAX_PTIME_MS = 60;
/**
 * After a stall longer than this (GC, a blocked event loop) the pacer starts afresh instead of
 * bursting the backlog: most far-end jitter buffers hold 60-200 ms and would drop a longer burst.
 */
const MAX_LAG_MS = 100;
/**
 * dgram may read the bytes of a send() later (on the next tick when it resolves the address
 * first, even an IP literal), so a packet buffer may only be reused once process.nextTick
 * callbacks have run. A pacer tick sends at most MAX_LAG_MS / FRAME_MS + 1 packets per sender and
 * Node drains nextTicks after every timer, so 32 buffers leave ample room. A manual clock must
 * not step more than 32 frames without yielding (bench/media-rtp.ts measured 64 duplicates when
 * it did).
 */
const SEND_RING = 32;
/**
 * On a socket that sends at a due time (a native one, native-io.ts), packets are handed over this
 * far ahead of it: a JavaScript thread late by up to this much (a GC, a burst of received audio)
 * no longer makes them late. pause() and flush() take back what has not left. 80 ms: with RTP on
 * the main thread at 250 calls, its longest stalls (a mark-compact of 37 ms, a burst of dialog
 * work) went past 40 ms a few times a minute.
 */
const LOOKAHEAD_MS = 80;
/** Packets handed over ahead at most (LOOKAHEAD_MS of 10 ms packets, and the one due now) */
const AHEAD_MAX = LOOKAHEAD_MS / MIN_PTIME_MS + 2;

/** performance.now() never jumps with NTP or DST, unlike Date.now(). */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

export interface RtpSendStats {
  packetsSent: number;
  /** Frames not sent because the far end's SDP says it does not receive (sendonly or inactive: on hold). */
  packetsWithheld: number;
  /** payload octets sent (for RTCP sender reports) */
  octetsSent: number;
}

type Outgoing =
  | { kind: 'audio'; pcm: Int16Array; pos: number; resolve: (sent: boolean) => void }
  | { kind: 'dtmf'; dtmf: OutgoingDtmf; resolve: (sent: boolean) => void };

export interface RtpSenderOptions {
  /**
   * Sends silence while nothing is queued (and while paused), as a phone without silence
   * suppression does, from configure() to close(); otherwise packets flow only while there is
   * audio (RFC 3551 §4.1 talkspurts). The simulated callees use it.
   */
  keepSending?: boolean;
  /** the audio as it leaves, in 20 ms frames of PCM with their due times: the echo gate listens */
  onAudio?: (frame: Int16Array, atMs: number) => void;
}

export class RtpSender implements Pumped {
  /** Counters since the session opened; the session reads them. */
  readonly stats: RtpSendStats = { packetsSent: 0, packetsWithheld: 0, octetsSent: 0 };
  readonly #socket: RtpSocket;
  readonly #clock: Clock;
  /** sends at due times (a native socket on the monotonic clock): packets go out LOOKAHEAD_MS ahead */
  readonly #timed: boolean;
  /** the queue's head and its position before each packet handed over ahead, newest last (pause() restores them) */
  readonly #ahead: { item: Outgoing | null; pos: number }[] = [];
  /** items whose packets have all been handed over, not all sent: resolved when the last is due */
  readonly #leaving = new Set<{ resolve: (sent: boolean) => void; timer: unknown }>();
  readonly #pacer: Pacer;
  readonly #keepSending: boolean;
  #closed = false;

  // Negotiated (configure()).
  #codec: Codec | null = null;
  #remoteAddress = '';
  #remotePort = 0;
  #payloadType = -1;
  #dtmfPayloadType = -1;
  /** RFC 3264 §5.1: a far end that is sendonly or inactive receives nothing, so nothing is sent to it. */
  #farEndReceives = true;

  readonly #queue: Outgoing[] = [];
  readonly #pcm = new Int16Array(MAX_PTIME_MS * SAMPLES_PER_MS);
  readonly #ring: Buffer[] = Array.from({ length: SEND_RING }, () => Buffer.alloc(RTP_HEADER_BYTES + MAX_PTIME_MS * SAMPLES_PER_MS));
  /** The far end's packet length (ms, samples), and the part of #pcm one packet fills. */
  #packetMs = FRAME_MS;
  #packetSamples = FRAME_SAMPLES;
  #frame = this.#pcm.subarray(0, FRAME_SAMPLES);
  #ringIndex = 0;
  readonly #header: RtpHeader;
  #nextTimestamp: number;
  /** Clock time at which the next frame is due; NaN before the first. */
  #due = Number.NaN;
  /** in the pacer's set: sending */
  #active = false;
  #socketState: 'open' | 'connecting' | 'connected' = 'open';
  /** False after silence: the next audio packet carries the marker bit (RFC 3551 §4.1). */
  #talkspurt = false;
  #paused = false;
  /** The tick's time, and when the talkspurt's previous audio packet left with which timestamp (send jitter). */
  #now = 0;
  #lastSentAt = Number.NaN;
  #lastSentTimestamp = 0;

  readonly #onAudio: ((frame: Int16Array, atMs: number) => void) | undefined;

  constructor(socket: RtpSocket, clock: Clock, opts: RtpSenderOptions = {}) {
    this.#socket = socket;
    this.#clock = clock;
    this.#timed = socket.sendAt !== undefined && clock === monotonicClock;
    this.#pacer = pacerOf(clock);
    this.#keepSending = opts.keepSending === true;
    this.#onAudio = opts.onAudio;
    // RFC 3550 §5.1: initial sequence number and timestamp are random, as is the SSRC (§8.1).
    const r = randomBytes(10);
    this.#header = { marker: false, payloadType: 0, sequence: r.readUInt16BE(0), timestamp: 0, ssrc: r.readUInt32BE(2) };
    this.#nextTimestamp = r.readUInt32BE(6);
  }

  /** Our SSRC (RFC 3550 §8.1: random). */
  get ssrc(): number {
    return this.#header.ssrc;
  }

  /** The RTP timestamp that corresponds to clock time `nowMs` (for an RTCP sender report): the media clock runs on in silence. */
  timestampAt(nowMs: number): number {
    if (Number.isNaN(this.#due)) return this.#nextTimestamp;
    return (this.#nextTimestamp + Math.round((nowMs - this.#due) * SAMPLES_PER_MS)) >>> 0;
  }

  /** Applies the negotiated media: where to send, on which payload types, in packets how long. */
  configure(remote: RemoteMedia): void {
    this.#codec = remote.codec;
    this.#remoteAddress = remote.address;
    this.#remotePort = remote.port;
    this.#payloadType = remote.payloadType;
    this.#dtmfPayloadType = remote.dtmfPayloadType ?? -1;
    this.#farEndReceives = remote.direction === 'sendrecv' || remote.direction === 'recvonly';
    const asked = Math.min(remote.ptimeMs ?? FRAME_MS, remote.maxptimeMs ?? MAX_PTIME_MS);
    this.#packetMs = Math.min(MAX_PTIME_MS, Math.max(MIN_PTIME_MS, Math.floor(asked / 10) * 10));
    this.#packetSamples = this.#packetMs * SAMPLES_PER_MS;
    this.#frame = this.#pcm.subarray(0, this.#packetSamples);
    if (this.#keepSending) this.#start();
  }

  /** Whether the far end negotiated telephone-event, so sendDtmf() has a payload type to send on. */
  get sendsDtmf(): boolean {
    return this.#dtmfPayloadType >= 0;
  }

  /**
   * Queues `pcm` (not empty) after what is queued; resolves true when its last frame has left,
   * false when flush() or close() dropped it. Call it only after configure().
   */
  play(pcm: Int16Array): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ kind: 'audio', pcm, pos: 0, resolve });
      this.#start();
    });
  }

  /** Queues telephone-event `event` after what is queued; resolves like play(). Call it only when sendsDtmf. */
  sendDtmf(event: number, durationMs: number): Promise<boolean> {
    const dtmf = new OutgoingDtmf(event, durationMs, this.#packetMs);
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ kind: 'dtmf', dtmf, resolve });
      this.#start();
    });
  }

  /**
   * Holds what is queued without dropping it (the callee started talking over the robot: it may
   * be a sentence, or only "угу"); resume() sends on from where it stopped. The media clock runs
   * on meanwhile, so the timestamps say how long the pause was.
   */
  pause(): void {
    this.#paused = true;
    this.#talkspurt = false;
    if (!this.#keepSending) this.#stop();
    this.#takeBack(true);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#queue.length > 0) this.#start();
  }

  /** Drops everything queued at once; pending promises resolve false. */
  flush(): void {
    if (!this.#keepSending) this.#stop();
    this.#talkspurt = false;
    this.#takeBack(false);
    const dropped = this.#queue.splice(0);
    for (const item of dropped) item.resolve(false);
  }

  /** Flushes and stops for good; the session closes the socket. */
  close(): void {
    // what was handed over ahead will not leave: the socket closes next (an item it ended is not sent whole)
    this.#takeBack(false);
    this.#closed = true;
    this.#stop();
    this.flush();
  }

  /** The pacer's tick found pump() throwing (the socket closed under it): stop, dropping the queue. */
  fail(): void {
    this.#active = false;
    this.close();
  }

  /**
   * Takes back the packets handed over ahead that have not left (a timed socket): the stream's
   * sequence numbers, timestamps and due time go back by as many, and with `restore` the queued
   * audio they carried is sent again later (what finished and resolved meanwhile is not).
   */
  #takeBack(restore: boolean): void {
    if (!this.#timed || this.#closed) return;
    const n = Math.min(this.#socket.cancelQueued!(), this.#ahead.length);
    if (n > 0) {
      this.#header.sequence = (this.#header.sequence - n) & 0xffff;
      this.#nextTimestamp = (this.#nextTimestamp - n * this.#packetSamples) >>> 0;
      this.#due -= n * this.#packetMs;
      this.stats.packetsSent -= n;
      this.stats.octetsSent -= n * this.#packetSamples;
      rtpTraffic.sent -= n;
      // an item whose last packet was taken back has not been sent whole
      for (const l of this.#leaving) {
        this.#clock.clearTimeout(l.timer);
        l.resolve(false);
      }
      this.#leaving.clear();
      if (restore) {
        for (let k = this.#ahead.length - 1; k >= this.#ahead.length - n; k--) {
          const { item, pos } = this.#ahead[k]!;
          if (item?.kind === 'audio' && this.#queue.includes(item)) item.pos = pos;
        }
      }
    }
    this.#ahead.length = 0;
  }

  #stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#pacer.delete(this);
  }

  #start(): void {
    if (this.#active || this.#closed || (this.#paused && !this.#keepSending)) return;
    const now = this.#clock.now();
    if (!(this.#due >= now)) {
      // RFC 3550 §5.1: the timestamp follows the sampling clock, so after silence it jumps by
      // the silence's length, which tells the far end's jitter buffer how long the gap was.
      if (!Number.isNaN(this.#due)) this.#nextTimestamp = (this.#nextTimestamp + Math.round((now - this.#due) * SAMPLES_PER_MS)) >>> 0;
      this.#due = now;
    }
    this.#active = true;
    this.#pacer.add(this);
    // the first packet leaves at once; the pacer sends the rest
    if (!this.pump(now, now)) this.#stop();
  }

  /** Sends every packet due by `until` (see Pacer); false when nothing is left to send. */
  pump(until: number, now: number): boolean {
    if (this.#closed) {
      this.#active = false;
      return false;
    }
    const sending = this.#keepSending || !this.#paused;
    if (!sending) {
      this.#active = false;
      return false;
    }
    if (this.#socketState === 'connecting') return true;
    this.#now = now;
    // Due times advance from a start time, not from when a tick came, so lateness does not
    // accumulate into drift; a late tick catches up by sending every frame now due.
    if (now - this.#due > MAX_LAG_MS) this.#due = now;
    if (this.#timed) {
      until += LOOKAHEAD_MS;
      // what was handed over ahead and is due by now has left
      let left = 0;
      while (left < this.#ahead.length && this.#due - (this.#ahead.length - left) * this.#packetMs <= now) left++;
      if (left > 0) this.#ahead.splice(0, left);
    }
    while (this.#due <= until) {
      if (this.#timed) {
        const head = this.#paused ? undefined : this.#queue[0];
        this.#ahead.push({ item: head ?? null, pos: head?.kind === 'audio' ? head.pos : 0 });
        if (this.#ahead.length > AHEAD_MAX) this.#ahead.shift();
      }
      if (this.#paused || this.#queue.length === 0) {
        if (!this.#keepSending) {
          if (this.#timed) this.#ahead.pop();
          break;
        }
        this.#sendSilence();
      } else {
        this.#sendNext();
      }
      this.#due += this.#packetMs;
    }
    if (this.#queue.length === 0 && !this.#keepSending) {
      this.#talkspurt = false;
      this.#active = false;
      return false;
    }
    return this.#active;
  }

  /**
   * Where the socket stands (RtpSession connects it to the far end in 'sdp' mode): 'open' sends
   * to the address; 'connecting' holds packets (the pace goes on: the next tick sends what fell
   * due, a few ms later), since a send with an address fails once connect() takes effect;
   * 'connected' sends without one, so dgram skips its per-packet lookup and the kernel its route.
   */
  socketIs(state: 'open' | 'connecting' | 'connected'): void {
    this.#socketState = state;
  }

  #nextBuffer(): Buffer {
    const buf = this.#ring[this.#ringIndex]!;
    this.#ringIndex = (this.#ringIndex + 1) % SEND_RING;
    return buf;
  }

  #sendPacket(buf: Buffer, length: number): void {
    if (!this.#farEndReceives) {
      // playback keeps its pace, so the dialog's timing holds; the media clock runs on (RFC 3550 §5.1)
      this.#nextTimestamp = (this.#nextTimestamp + this.#packetSamples) >>> 0;
      this.stats.packetsWithheld++;
      return;
    }
    if (this.#timed) {
      const flags = (buf[1]! & 0x7f) === this.#payloadType ? AUDIO | (this.#header.marker ? TALKSPURT : 0) : 0;
      if (this.#socketState === 'connected') this.#socket.sendAt!(buf, length, this.#due, flags);
      else this.#socket.sendAt!(buf, length, this.#due, flags, this.#remotePort, this.#remoteAddress);
    } else if (this.#socketState === 'connected') this.#socket.send(buf, 0, length);
    else this.#socket.send(buf, 0, length, this.#remotePort, this.#remoteAddress);
    this.stats.octetsSent += length - RTP_HEADER_BYTES;
    this.#header.sequence = (this.#header.sequence + 1) & 0xffff;
    this.#nextTimestamp = (this.#nextTimestamp + this.#packetSamples) >>> 0;
    this.stats.packetsSent++;
    rtpTraffic.sent++;
  }

  /** A packet of silence (keepSending, with nothing queued or paused): the stream goes on. */
  #sendSilence(): void {
    const frame = this.#frame;
    frame.fill(0);
    this.#sendFrame(frame, 0);
  }

  #sendNext(): void {
    const head = this.#queue[0]!;
    if (head.kind === 'dtmf') {
      this.#sendDtmfPacket(head);
      return;
    }
    // Fill one frame from consecutive audio items, so clips that are not multiples of 20 ms
    // follow each other without a gap; pad with silence when the queue runs out.
    const frame = this.#frame;
    const size = this.#packetSamples;
    let fill = 0;
    let finished = 0;
    for (let q = 0; q < this.#queue.length && fill < size; q++) {
      const item = this.#queue[q]!;
      if (item.kind !== 'audio') break;
      const { pcm } = item;
      let pos = item.pos;
      while (fill < size && pos < pcm.length) frame[fill++] = pcm[pos++]!;
      item.pos = pos;
      if (pos < pcm.length) break;
      finished++;
    }
    if (fill < size) frame.fill(0, fill);
    this.#sendFrame(frame, finished);
  }

  /** One audio packet of `frame`; then the `finished` queue items at the head have left in full. */
  #sendFrame(frame: Int16Array, finished: number): void {
    const size = this.#packetSamples;
    const buf = this.#nextBuffer();
    const h = this.#header;
    h.marker = !this.#talkspurt;
    h.payloadType = this.#payloadType;
    h.timestamp = this.#nextTimestamp;
    this.#talkspurt = true;
    writeRtpHeader(buf, h);
    encodeG711(this.#codec!, frame, buf, RTP_HEADER_BYTES);
    if (!h.marker && this.#farEndReceives && !this.#timed) {
      rtpTraffic.sendJitter.observe(this.#now - this.#lastSentAt - (((h.timestamp - this.#lastSentTimestamp) >>> 0) / SAMPLES_PER_MS));
    }
    this.#lastSentAt = this.#now;
    this.#lastSentTimestamp = h.timestamp;
    this.#sendPacket(buf, RTP_HEADER_BYTES + size);
    if (this.#onAudio) {
      // 20 ms at a time whatever the ptime, each at its due time (a late tick's catch-up sends several at once)
      if (size === 160) this.#onAudio(frame, this.#due);
      else for (let off = 0; off < size; off += 160) this.#onAudio(frame.subarray(off, off + 160), this.#due + off / SAMPLES_PER_MS);
    }
    for (let k = 0; k < finished; k++) this.#left(this.#queue.shift()!.resolve);
  }

  /**
   * The queue item whose last packet was just handed over has been sent: at once on a socket that
   * sends now, at that packet's due time on a timed one (a call that hangs up when its message
   * has been said must not close the socket on the message's last 40 ms).
   */
  #left(resolve: (sent: boolean) => void): void {
    const wait = this.#timed ? this.#due - this.#clock.now() : 0;
    if (wait <= 0) {
      resolve(true);
      return;
    }
    const leaving = { resolve, timer: undefined as unknown };
    leaving.timer = this.#clock.setTimeout(() => {
      this.#leaving.delete(leaving);
      resolve(true);
    }, wait);
    this.#leaving.add(leaving);
  }

  /** One packet of an RFC 4733 event (see OutgoingDtmf); audio after the event starts a new talkspurt. */
  #sendDtmfPacket(item: Extract<Outgoing, { kind: 'dtmf' }>): void {
    const { dtmf } = item;
    const buf = this.#nextBuffer();
    const h = this.#header;
    h.marker = dtmf.next(this.#nextTimestamp);
    h.payloadType = this.#dtmfPayloadType;
    h.timestamp = dtmf.timestamp;
    writeRtpHeader(buf, h);
    dtmf.writePayload(buf, RTP_HEADER_BYTES, this.#packetSamples);
    this.#sendPacket(buf, RTP_HEADER_BYTES + DTMF_PAYLOAD_BYTES);
    if (dtmf.done) {
      this.#queue.shift();
      this.#talkspurt = false;
      this.#left(item.resolve);
    }
  }
}
