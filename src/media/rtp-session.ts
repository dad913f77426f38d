/**
 * RTP over UDP for one call leg: G.711 audio paced in 20 ms frames, RFC 4733 DTMF, and the
 * MediaFactory that gives each leg its own port. This is an adapter: only src/app imports it.
 *
 * Send path    play()/sendDtmf() -> queue -> one timer -> one 20 ms packet per tick (wall-clock paced)
 * Receive path socket 'message' -> parseRtp -> sequence check -> G.711 decode | DTMF -> events
 *
 * Both paths reuse their buffers: no per-packet closures, promises or logs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InvalidStateError, MediaError, type Clock } from '../core/index.js';
import { DTMF_PAYLOAD_BYTES, dtmfEvent, OutgoingDtmf } from './dtmf.js';
import { encodeG711 } from './g711.js';
import type { Codec, MediaFactory, MediaSession, MediaSessionEvents } from './media-session.js';
import { bindRtpSocket, RtpPortAllocator, sharedRtpPortAllocator } from './port-allocator.js';
import { RTP_HEADER_BYTES, writeRtpHeader, type RtpHeader } from './rtp-packet.js';
import { RtpReceiver, type RtpReceiveStats, type SourceLock } from './rtp-receiver.js';
import {
  buildSdpAnswer,
  buildSdpOffer,
  CODEC_PAYLOAD_TYPE,
  DEFAULT_DTMF_PAYLOAD_TYPE,
  parseSdpAnswer,
  parseSdpOffer,
  SUPPORTED_CODECS,
  type RemoteMedia,
} from './sdp.js';

const FRAME_MS = 20;
/** 20 ms at 8000 Hz (RFC 3551 §4.5: G.711 default packetization). */
const FRAME_SAMPLES = 160;
const SAMPLES_PER_MS = 8;
/**
 * Packet lengths sent, as the far end's a=ptime / a=maxptime ask (RFC 4566 §6): whole 10 ms
 * steps from 10 to 60 ms, 20 unless asked. Frames received are cut to 20 ms whatever their length.
 */
const MIN_PTIME_MS = 10;
const MAX_PTIME_MS = 60;
/**
 * After a stall longer than this (GC, a blocked event loop) the pacer starts afresh instead of
 * bursting the backlog: most far-end jitter buffers hold 60-200 ms and would drop a longer burst.
 */
const MAX_LAG_MS = 100;
/**
 * dgram reads the bytes of a send() on the next tick (it resolves the address first, even an IP
 * literal), so a packet buffer may only be reused once process.nextTick callbacks have run. A real
 * timer tick sends at most MAX_LAG_MS / FRAME_MS + 1 packets and Node drains nextTicks after every
 * timer, so 32 buffers leave ample room. A manual clock must not step more than 32 frames without
 * yielding (bench/media-rtp.ts measured 64 duplicates when it did).
 */
const SEND_RING = 32;

/** performance.now() never jumps with NTP or DST, unlike Date.now(). */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

export interface RtpSessionOptions {
  /** Address to bind; 127.0.0.1 unless given. */
  host?: string;
  /** Address written into the SDP c= line; the bound host unless given (set it behind NAT or when binding 0.0.0.0). */
  publicAddress?: string;
  /**
   * 0 (any free port), one port, or a range [min, max] of which the even ports are tried in
   * order: RFC 3550 §11 puts RTP on even ports, leaving port + 1 to RTCP.
   */
  port?: number | readonly [min: number, max: number];
  /** Takes the port from this allocator (a factory's); overrides `port`. */
  allocator?: RtpPortAllocator;
  /** Codecs to offer and accept, in order of preference; PCMU then PCMA unless given. */
  codecs?: readonly Codec[];
  /** Paces sending; monotonicClock unless given (a ManualClock lets tests and benches step it). */
  clock?: Clock;
  id?: string;
  /**
   * Whose packets are the call's media (issue 8): 'sdp' (the default) accepts RTP only from the
   * address and port the far end's SDP names; 'latch' locks to the first source heard after the
   * SDP, for a far end behind NAT whose packets come from another port. Everything else is
   * dropped and counted, so a stranger who guesses the port cannot speak for the callee.
   */
  sourceLock?: SourceLock;
}

export type { SourceLock } from './rtp-receiver.js';

export interface RtpStats extends RtpReceiveStats {
  packetsSent: number;
  /** Socket errors after bind (unreachable network, refused sends). */
  socketErrors: number;
  /** Frames not sent because the far end's SDP says it does not receive (sendonly or inactive: on hold). */
  packetsWithheld: number;
}

type Outgoing =
  | { kind: 'audio'; pcm: Int16Array; pos: number; resolve: (sent: boolean) => void }
  | { kind: 'dtmf'; dtmf: OutgoingDtmf; resolve: (sent: boolean) => void };

type Listeners = { [E in keyof MediaSessionEvents]: MediaSessionEvents[E][] };

/**
 * One RTP stream pair over one UDP socket. Create it with RtpSession.open() or a factory from
 * createRtpMediaFactory().
 */
export class RtpSession implements MediaSession {
  readonly id: string;
  readonly #socket: Socket;
  readonly #family: 4 | 6;
  readonly #clock: Clock;
  readonly #codecs: readonly Codec[];
  readonly #publicAddress: string;
  readonly #port: number;
  readonly #sdpSessionId: number;
  #sdpVersion = 0;
  #offered = false;
  #closed = false;
  /** One table for the session's life: on() and close() swap its arrays, the receiver reads them. */
  readonly #listeners: Listeners = { audio: [], dtmf: [], close: [] };
  readonly #stats = { packetsSent: 0, socketErrors: 0, packetsWithheld: 0 };
  readonly #receiver: RtpReceiver;
  /** RFC 3264 §5.1: a far end that is sendonly or inactive receives nothing, so nothing is sent to it. */
  #farEndReceives = true;

  // Negotiated (answer() or accept()).
  #codec: Codec | null = null;
  #remoteAddress = '';
  #remotePort = 0;
  #txPayloadType = -1;
  #txDtmfPayloadType = -1;

  // Send path.
  readonly #queue: Outgoing[] = [];
  readonly #txPcm = new Int16Array(MAX_PTIME_MS * SAMPLES_PER_MS);
  readonly #txRing: Buffer[] = Array.from({ length: SEND_RING }, () => Buffer.alloc(RTP_HEADER_BYTES + MAX_PTIME_MS * SAMPLES_PER_MS));
  /** The far end's packet length (ms, samples), and the part of #txPcm one packet fills. */
  #txMs = FRAME_MS;
  #txSamples = FRAME_SAMPLES;
  #txFrame = this.#txPcm.subarray(0, FRAME_SAMPLES);
  #txRingIndex = 0;
  readonly #txHeader: RtpHeader;
  #nextTimestamp: number;
  /** Clock time at which the next frame is due; NaN before the first. */
  #due = Number.NaN;
  #timer: unknown = undefined;
  /** False after silence: the next audio packet carries the marker bit (RFC 3551 §4.1). */
  #talkspurt = false;

  /** Binds a UDP socket; rejects with MediaError('MEDIA_UNAVAILABLE') when no port can be bound. */
  static async open(opts: RtpSessionOptions = {}): Promise<RtpSession> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.allocator ? await opts.allocator.bind(host) : await bindRtpSocket(host, opts.port ?? 0);
    return new RtpSession(socket, opts);
  }

  private constructor(socket: Socket, opts: RtpSessionOptions) {
    this.id = opts.id ?? randomUUID();
    this.#socket = socket;
    const local = socket.address();
    this.#family = local.family === 'IPv6' ? 6 : 4;
    this.#port = local.port;
    this.#publicAddress = opts.publicAddress ?? local.address;
    this.#clock = opts.clock ?? monotonicClock;
    this.#receiver = new RtpReceiver(this.#listeners, opts.sourceLock ?? 'sdp');
    this.#codecs = opts.codecs && opts.codecs.length > 0 ? [...opts.codecs] : SUPPORTED_CODECS;
    // RFC 3550 §5.1: initial sequence number and timestamp are random, as is the SSRC (§8.1).
    const r = randomBytes(14);
    this.#txHeader = { marker: false, payloadType: 0, sequence: r.readUInt16BE(0), timestamp: 0, ssrc: r.readUInt32BE(2) };
    this.#nextTimestamp = r.readUInt32BE(6);
    this.#sdpSessionId = r.readUInt32BE(10) >>> 1;
    socket.on('message', this.#receiver.onMessage);
    socket.on('error', this.#onSocketError);
  }

  /** The bound UDP port. */
  get port(): number {
    return this.#port;
  }

  /** The address written into SDP c= lines. */
  get address(): string {
    return this.#publicAddress;
  }

  get codec(): Codec | null {
    return this.#codec;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Counters since open(), as a copy. */
  get stats(): Readonly<RtpStats> {
    const tx = this.#stats;
    const rx = this.#receiver.stats;
    return {
      packetsSent: tx.packetsSent,
      packetsReceived: rx.packetsReceived,
      packetsDropped: rx.packetsDropped,
      packetsIgnored: rx.packetsIgnored,
      socketErrors: tx.socketErrors,
      packetsForeign: rx.packetsForeign,
      packetsWithheld: tx.packetsWithheld,
    };
  }

  /** Throws InvalidStateError after close(). */
  offer(): string {
    this.#assertOpen('offer');
    this.#offered = true;
    return buildSdpOffer({
      address: this.#publicAddress,
      port: this.#port,
      sessionId: this.#sdpSessionId,
      sessionVersion: ++this.#sdpVersion,
      codecs: this.#codecs,
    });
  }

  /** Throws MediaError('SDP_INVALID'), or InvalidStateError before offer() or after close(). */
  answer(sdp: string): void {
    this.#assertOpen('answer');
    if (!this.#offered) throw new InvalidStateError(`media ${this.id}: answer() before offer()`);
    const remote = parseSdpAnswer(sdp, this.#codecs);
    // We offered each codec on its static payload type, so that is the number we receive on.
    this.#apply(remote, CODEC_PAYLOAD_TYPE.get(remote.codec)!, remote.dtmfPayloadType === null ? -1 : DEFAULT_DTMF_PAYLOAD_TYPE);
  }

  /** Throws MediaError('SDP_INVALID'), or InvalidStateError after close(). */
  accept(sdpOffer: string): string {
    this.#assertOpen('accept');
    const remote = parseSdpOffer(sdpOffer, this.#codecs);
    this.#checkFamily(remote);
    const answer = buildSdpAnswer({
      address: this.#publicAddress,
      port: this.#port,
      sessionId: this.#sdpSessionId,
      sessionVersion: ++this.#sdpVersion,
      remote,
    });
    // The answer reuses the offer's payload type numbers (RFC 3264 §6.1), so both directions share them.
    this.#apply(remote, remote.payloadType, remote.dtmfPayloadType ?? -1);
    return answer;
  }

  /**
   * Queues PCM (8 kHz mono) to be sent in 20 ms frames. The array is read as it is sent: do not
   * change it until the promise settles. A last partial frame is padded with silence.
   * Resolves true when the last frame has left, false when flush() or close() dropped it.
   * Rejects with InvalidStateError before answer() or accept().
   */
  play(pcm: Int16Array): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#codec === null) return Promise.reject(new InvalidStateError(`media ${this.id}: play() before answer() or accept()`));
    if (pcm.length === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ kind: 'audio', pcm, pos: 0, resolve });
      this.#start();
    });
  }

  /**
   * Queues one RFC 4733 telephone-event after any queued audio. Resolves like play().
   * Rejects with MediaError('SDP_INVALID') when the far end did not negotiate telephone-event,
   * InvalidStateError before answer() or accept(), and RangeError for a digit outside 0-9 * # A-D.
   */
  sendDtmf(digit: string, durationMs = 100): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#codec === null) return Promise.reject(new InvalidStateError(`media ${this.id}: sendDtmf() before answer() or accept()`));
    const event = dtmfEvent(digit);
    if (event < 0) return Promise.reject(new RangeError(`sendDtmf: "${digit}" is not a DTMF digit (0-9 * # A-D)`));
    if (this.#txDtmfPayloadType < 0) {
      return Promise.reject(
        new MediaError('SDP_INVALID', 'the far end did not negotiate telephone-event/8000', { callId: this.id }, { hint: 'send the digit as SIP INFO instead' }),
      );
    }
    const dtmf = new OutgoingDtmf(event, durationMs, this.#txMs);
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ kind: 'dtmf', dtmf, resolve });
      this.#start();
    });
  }

  flush(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#talkspurt = false;
    const dropped = this.#queue.splice(0);
    for (const item of dropped) item.resolve(false);
  }

  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void {
    // Copy on write: emit() walks the array it started with even if a listener unsubscribes.
    const listeners = this.#listeners as unknown as Record<E, MediaSessionEvents[E][]>;
    const before: MediaSessionEvents[E][] = listeners[event];
    listeners[event] = [...before, fn];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      // close() empties the listener table; look the array up again so a late unsubscribe is harmless.
      const table = this.#listeners as unknown as Record<E, MediaSessionEvents[E][]>;
      const current: MediaSessionEvents[E][] = table[event];
      const i = current.indexOf(fn);
      if (i >= 0) table[event] = [...current.slice(0, i), ...current.slice(i + 1)];
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    this.#socket.off('message', this.#receiver.onMessage);
    try {
      this.#socket.close();
    } catch {
      // Already closed by the runtime (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
    }
    const onClose = this.#listeners.close;
    this.#listeners.audio = [];
    this.#listeners.dtmf = [];
    this.#listeners.close = [];
    for (const fn of onClose) fn();
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new InvalidStateError(`media ${this.id}: ${op}() after close()`);
  }

  #checkFamily(remote: RemoteMedia): void {
    if (isIP(remote.address) !== this.#family) {
      throw new MediaError('SDP_INVALID', `the far end's address ${remote.address} is not IPv${this.#family} like the RTP socket`, { address: remote.address }, {
        hint: `bind media.host to an IPv${this.#family === 4 ? 6 : 4} address to reach it`,
      });
    }
  }

  #apply(remote: RemoteMedia, rxPayloadType: number, rxDtmfPayloadType: number): void {
    this.#checkFamily(remote);
    this.#codec = remote.codec;
    this.#remoteAddress = remote.address;
    this.#remotePort = remote.port;
    this.#txPayloadType = remote.payloadType;
    this.#txDtmfPayloadType = remote.dtmfPayloadType ?? -1;
    this.#farEndReceives = remote.direction === 'sendrecv' || remote.direction === 'recvonly';
    const asked = Math.min(remote.ptimeMs ?? FRAME_MS, remote.maxptimeMs ?? MAX_PTIME_MS);
    this.#txMs = Math.min(MAX_PTIME_MS, Math.max(MIN_PTIME_MS, Math.floor(asked / 10) * 10));
    this.#txSamples = this.#txMs * SAMPLES_PER_MS;
    this.#txFrame = this.#txPcm.subarray(0, this.#txSamples);
    this.#receiver.configure(remote, rxPayloadType, rxDtmfPayloadType);
  }

  // ---- send path ----

  #start(): void {
    if (this.#timer !== undefined) return;
    const now = this.#clock.now();
    if (!(this.#due >= now)) {
      // RFC 3550 §5.1: the timestamp follows the sampling clock, so after silence it jumps by
      // the silence's length, which tells the far end's jitter buffer how long the gap was.
      if (!Number.isNaN(this.#due)) this.#nextTimestamp = (this.#nextTimestamp + Math.round((now - this.#due) * SAMPLES_PER_MS)) >>> 0;
      this.#due = now;
    }
    this.#tick();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#clock.now();
    // Due times advance from a start time, not from when a timer fired, so timer lateness does
    // not accumulate into drift; a late tick catches up by sending every frame now due.
    if (now - this.#due > MAX_LAG_MS) this.#due = now;
    while (this.#due <= now && this.#queue.length > 0) {
      this.#sendNext();
      this.#due += this.#txMs;
    }
    if (this.#queue.length === 0) {
      this.#talkspurt = false;
      return;
    }
    this.#timer = this.#clock.setTimeout(this.#tick, this.#due - now);
  };

  #nextBuffer(): Buffer {
    const buf = this.#txRing[this.#txRingIndex]!;
    this.#txRingIndex = (this.#txRingIndex + 1) % SEND_RING;
    return buf;
  }

  #sendPacket(buf: Buffer, length: number): void {
    if (!this.#farEndReceives) {
      // playback keeps its pace, so the dialog's timing holds; the media clock runs on (RFC 3550 §5.1)
      this.#nextTimestamp = (this.#nextTimestamp + this.#txSamples) >>> 0;
      this.#stats.packetsWithheld++;
      return;
    }
    this.#socket.send(buf, 0, length, this.#remotePort, this.#remoteAddress);
    this.#txHeader.sequence = (this.#txHeader.sequence + 1) & 0xffff;
    this.#nextTimestamp = (this.#nextTimestamp + this.#txSamples) >>> 0;
    this.#stats.packetsSent++;
  }

  #sendNext(): void {
    const head = this.#queue[0]!;
    if (head.kind === 'dtmf') {
      this.#sendDtmfPacket(head);
      return;
    }
    // Fill one frame from consecutive audio items, so clips that are not multiples of 20 ms
    // follow each other without a gap; pad with silence when the queue runs out.
    const frame = this.#txFrame;
    const size = this.#txSamples;
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

    const buf = this.#nextBuffer();
    const h = this.#txHeader;
    h.marker = !this.#talkspurt;
    h.payloadType = this.#txPayloadType;
    h.timestamp = this.#nextTimestamp;
    this.#talkspurt = true;
    writeRtpHeader(buf, h);
    encodeG711(this.#codec!, frame, buf, RTP_HEADER_BYTES);
    this.#sendPacket(buf, RTP_HEADER_BYTES + size);
    for (let k = 0; k < finished; k++) this.#queue.shift()!.resolve(true);
  }

  /** One packet of an RFC 4733 event (see OutgoingDtmf); audio after the event starts a new talkspurt. */
  #sendDtmfPacket(item: Extract<Outgoing, { kind: 'dtmf' }>): void {
    const { dtmf } = item;
    const buf = this.#nextBuffer();
    const h = this.#txHeader;
    h.marker = dtmf.next(this.#nextTimestamp);
    h.payloadType = this.#txDtmfPayloadType;
    h.timestamp = dtmf.timestamp;
    writeRtpHeader(buf, h);
    dtmf.writePayload(buf, RTP_HEADER_BYTES, this.#txSamples);
    this.#sendPacket(buf, RTP_HEADER_BYTES + DTMF_PAYLOAD_BYTES);
    if (dtmf.done) {
      this.#queue.shift();
      this.#talkspurt = false;
      item.resolve(true);
    }
  }

  readonly #onSocketError = (): void => {
    this.#stats.socketErrors++;
  };
}

export interface RtpMediaFactoryOptions {
  /** Address to bind; 127.0.0.1 unless given. */
  host?: string;
  /** Address written into SDP; the bound host unless given. */
  publicAddress?: string;
  /**
   * Where ports come from: the process's one allocator (src/app makes it and hands it to every
   * factory). Without it, the process-wide allocator for portMin-portMax; give one or the other.
   */
  allocator?: RtpPortAllocator;
  /** RTP port range; without it (and without an allocator) the system picks any free port. */
  portMin?: number;
  portMax?: number;
  codecs?: readonly Codec[];
  clock?: Clock;
  /** whose packets are the call's media: see RtpSessionOptions.sourceLock */
  sourceLock?: SourceLock;
}

/**
 * Gives each call leg its own RtpSession, on a port from the allocator (see RtpPortAllocator for
 * the order ports are tried in). Throws MediaError('MEDIA_UNAVAILABLE') for a range with no even
 * port, and TypeError when given both an allocator and a range.
 */
export function createRtpMediaFactory(opts: RtpMediaFactoryOptions = {}): MediaFactory {
  if (opts.allocator && (opts.portMin !== undefined || opts.portMax !== undefined)) {
    throw new TypeError('createRtpMediaFactory: give an allocator or portMin/portMax, not both');
  }
  const allocator = opts.allocator ?? sharedRtpPortAllocator({ portMin: opts.portMin, portMax: opts.portMax });
  const base: RtpSessionOptions = { host: opts.host ?? '127.0.0.1', allocator };
  if (opts.publicAddress !== undefined) base.publicAddress = opts.publicAddress;
  if (opts.codecs !== undefined) base.codecs = opts.codecs;
  if (opts.clock !== undefined) base.clock = opts.clock;
  if (opts.sourceLock !== undefined) base.sourceLock = opts.sourceLock;
  return { allocate: () => RtpSession.open(base) };
}
