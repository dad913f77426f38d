/**
 * RTP over UDP for one call leg: the session that composes the parts and implements the
 * MediaSession port, and the MediaFactory that gives each leg its own port. This is an adapter:
 * only src/app imports it.
 *
 *   port-allocator.ts  which UDP port the leg binds (one allocator per process)
 *   rtp-sender.ts      play()/sendDtmf() -> queue -> one timer -> one packet per packet time
 *   rtp-receiver.ts    socket 'message' -> source lock -> parse -> sequence check -> decode | DTMF
 *   dtmf.ts            RFC 4733 both ways
 *
 * The session itself holds what both halves share: the socket, the SDP offer/answer that
 * configures them, the listeners, the counters, and closing once.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { InvalidStateError, MediaError, type Clock } from '../core/index.js';
import { dtmfEvent } from './dtmf.js';
import { EchoGate, type EchoFigures } from './echo-gate.js';
import type { Codec, MediaFactory, MediaSession, MediaSessionEvents } from './media-session.js';
import { ListenerTable } from './listeners.js';
import type { RtpSocket } from './native-io.js';
import { bindRtpSocket, sharedRtpPortAllocator, type RtpPortAllocator } from './port-allocator.js';
import { RtcpChannel } from './rtcp-channel.js';
import { RtpReceiver, type RtpReceiveStats, type SourceLock } from './rtp-receiver.js';
import { monotonicClock, RtpSender, type RtpSendStats } from './rtp-sender.js';
import type { RemoteMedia } from './sdp.js';
import { SdpNegotiation, type Negotiated } from './sdp-negotiation.js';

export { monotonicClock } from './rtp-sender.js';
export type { SourceLock } from './rtp-receiver.js';

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
  /** Tell 'timeout' when a far end that sends has sent no RTP for this long; 0 (the default): never. */
  timeoutMs?: number;
  /** ms between RTCP reports (RFC 3550: 5 s); tests shorten it */
  rtcpIntervalMs?: number;
  /** Send silence while nothing is queued, as a phone without silence suppression does (see RtpSenderOptions). */
  keepSending?: boolean;
  /**
   * Turn down the echo of what this session sends in what it hears (echo-gate.ts): on (the
   * default) for the robot's legs; the simulated phones, which only stand in for a far end, leave it off.
   */
  echoSuppression?: boolean;
}

const NO_ECHO: EchoFigures = { echoDelayMs: null, echoLossDb: null, framesEchoSuppressed: 0 };

/** How often a session looks at its line: gives up jitter-buffer gaps no packet came to close, and checks the timeout. */
const WATCH_MS = 250;

export interface RtpStats extends RtpSendStats, RtpReceiveStats, EchoFigures {
  /** from the far end's RTCP (null until a report about our stream came) */
  rttMs: number | null;
  farEndLostPercent: number | null;
  farEndJitterMs: number | null;
  rtcpReportsSent: number;
  rtcpReportsReceived: number;
  /** Socket errors after bind (unreachable network, refused sends). */
  socketErrors: number;
}


/**
 * One RTP stream pair over one UDP socket. Create it with RtpSession.open() or a factory from
 * createRtpMediaFactory().
 */
export class RtpSession implements MediaSession {
  readonly id: string;
  readonly #socket: RtpSocket;
  readonly #publicAddress: string;
  readonly #port: number;
  readonly #sdp: SdpNegotiation;
  #closed = false;
  /** One table for the session's life: on() and close() swap its arrays, the receiver reads them. */
  readonly #listeners = new ListenerTable();
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #watch: ReturnType<typeof setInterval> | undefined;
  /** when the current SDP was applied (the timeout counts from it until the first packet) */
  #appliedAt = 0;
  #farEndSends = false;
  #timedOut = false;
  #socketErrors = 0;
  readonly #sender: RtpSender;
  readonly #receiver: RtpReceiver;
  readonly #rtcp: RtcpChannel | null;
  /** the robot's own voice coming back on the line is not the callee's (echo-gate.ts); null when off */
  readonly #echo: EchoGate | null;
  /** The negotiated codec: null until answer() or accept(). */
  #codec: Codec | null = null;
  readonly #sourceLock: SourceLock;
  /** "address:port" the socket is connected to ('sdp' mode), null while not; the far end to connect to */
  #connectedTo: string | null = null;
  #connecting = false;
  #wanted: RemoteMedia | null = null;

  /** Binds a UDP socket; rejects with MediaError('MEDIA_UNAVAILABLE') when no port can be bound. */
  static async open(opts: RtpSessionOptions = {}): Promise<RtpSession> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.allocator ? await opts.allocator.bind(host) : await bindRtpSocket(host, opts.port ?? 0);
    // RTCP on the next port (RFC 3550 §11), when it is free: a session without it still carries the call
    const rtcp = await bindRtpSocket(host, socket.address().port + 1).catch(() => null);
    return new RtpSession(socket, rtcp, opts);
  }

  private constructor(socket: RtpSocket, rtcpSocket: Socket | null, opts: RtpSessionOptions) {
    this.id = opts.id ?? randomUUID();
    this.#socket = socket;
    const local = socket.address();
    this.#port = local.port;
    this.#publicAddress = opts.publicAddress ?? local.address;
    this.#clock = opts.clock ?? monotonicClock;
    this.#timeoutMs = opts.timeoutMs ?? 0;
    const echo = opts.echoSuppression === false ? null : new EchoGate();
    this.#echo = echo;
    this.#sender = new RtpSender(socket, this.#clock, { keepSending: opts.keepSending === true, ...(echo ? { onAudio: (frame: Int16Array, at: number) => echo.sent(frame, at) } : {}) });
    this.#sourceLock = opts.sourceLock ?? 'sdp';
    this.#receiver = new RtpReceiver(this.#listeners.table, this.#sourceLock, () => this.#clock.now(), echo ? (frame, at) => void echo.heard(frame, at) : undefined);
    this.#rtcp = rtcpSocket && new RtcpChannel(rtcpSocket, {
      sender: this.#sender, receiver: this.#receiver, clock: this.#clock, ...(opts.rtcpIntervalMs ? { intervalMs: opts.rtcpIntervalMs } : {}),
    });
    this.#sdp = new SdpNegotiation({ address: this.#publicAddress, port: this.#port, family: local.family === 'IPv6' ? 6 : 4, codecs: opts.codecs, id: this.id });
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
    const tx = this.#sender.stats;
    const rx = this.#receiver.stats;
    const rtcp = this.#rtcp?.figures;
    return {
      ...rx, packetsSent: tx.packetsSent, packetsWithheld: tx.packetsWithheld, octetsSent: tx.octetsSent, socketErrors: this.#socketErrors,
      rttMs: rtcp?.rttMs ?? null, farEndLostPercent: rtcp?.farEndLostPercent ?? null, farEndJitterMs: rtcp?.farEndJitterMs ?? null,
      rtcpReportsSent: rtcp?.reportsSent ?? 0, rtcpReportsReceived: rtcp?.reportsReceived ?? 0, ...(this.#echo?.figures ?? NO_ECHO),
    };
  }

  /** Throws InvalidStateError after close(). */
  offer(): string {
    this.#assertOpen('offer');
    return this.#sdp.offer();
  }

  /** Throws MediaError('SDP_INVALID'), or InvalidStateError before offer() or after close(). */
  answer(sdp: string): void {
    this.#assertOpen('answer');
    this.apply(this.#sdp.answer(sdp));
  }

  /** Throws MediaError('SDP_INVALID'), or InvalidStateError after close(). */
  accept(sdpOffer: string): string {
    this.#assertOpen('accept');
    const { answer, negotiated } = this.#sdp.accept(sdpOffer);
    this.apply(negotiated);
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
    return this.#sender.play(pcm);
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
    if (!this.#sender.sendsDtmf) {
      return Promise.reject(
        new MediaError('SDP_INVALID', 'the far end did not negotiate telephone-event/8000', { callId: this.id }, { hint: 'send the digit as SIP INFO instead' }),
      );
    }
    return this.#sender.sendDtmf(event, durationMs);
  }

  flush(): void {
    this.#sender.flush();
  }

  pause(): void {
    this.#sender.pause();
  }

  resume(): void {
    this.#sender.resume();
  }

  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void {
    return this.#listeners.on(event, fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sender.close();
    clearInterval(this.#watch);
    this.#rtcp?.close();
    this.#socket.off('message', this.#receiver.onMessage);
    try {
      this.#socket.close();
    } catch {
      // Already closed by the runtime (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
    }
    this.#listeners.close();
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new InvalidStateError(`media ${this.id}: ${op}() after close()`);
  }

  /** Applies a negotiation's outcome (answer() and accept() do; the media worker, for its proxy's). */
  apply({ remote, rxPayloadType, rxDtmfPayloadType }: Negotiated): void {
    this.#codec = remote.codec;
    this.#sender.configure(remote);
    this.#receiver.configure(remote, rxPayloadType, rxDtmfPayloadType);
    this.#rtcp?.configure(remote.address, remote.port + 1);
    this.#connect(remote);
    this.#appliedAt = this.#clock.now();
    // on hold (sendonly from us, inactive) the far end sends nothing, and that is no fault
    this.#farEndSends = remote.direction === 'sendrecv' || remote.direction === 'sendonly';
    if (this.#watch === undefined) {
      this.#watch = setInterval(this.#look, WATCH_MS);
      this.#watch.unref();
    }
  }

  /**
   * In 'sdp' mode the socket is connected to the far end's RTP address: the kernel then drops
   * datagrams from anyone else before they cost a wake-up, and sends skip dgram's address lookup
   * and the kernel's route lookup (issue 9: a fifth of a packet's cost). In 'latch' mode the
   * source is not known in advance, so the socket stays open to all. connect() takes effect a
   * tick later; an address that changes meanwhile (early media, then the answer) is connected
   * to once it has.
   */
  #connect(remote: RemoteMedia): void {
    if (this.#sourceLock !== 'sdp') return;
    this.#wanted = remote;
    if (this.#connecting) return;
    const to = `${remote.address}:${remote.port}`;
    if (to === this.#connectedTo) return;
    if (this.#connectedTo !== null) {
      this.#socket.disconnect();
      this.#connectedTo = null;
    }
    this.#connecting = true;
    this.#sender.socketIs('connecting');
    const failed = () => {
      // sends go on with the address, as in 'latch' mode
      this.#connecting = false;
      this.#sender.socketIs('open');
    };
    try {
      this.#socket.connect(remote.port, remote.address, (err?: Error) => {
        if (err) return failed();
        this.#connecting = false;
        this.#connectedTo = to;
        if (this.#closed) return;
        if (this.#wanted !== remote) this.#connect(this.#wanted!);
        else this.#sender.socketIs('connected');
      });
    } catch {
      failed();
    }
  }

  readonly #look = (): void => {
    this.#receiver.drain();
    this.#rtcp?.tick();
    if (this.#timeoutMs <= 0 || this.#timedOut || !this.#farEndSends) return;
    const silent = Math.min(this.#receiver.silentForMs() ?? Infinity, this.#clock.now() - this.#appliedAt);
    if (silent < this.#timeoutMs) return;
    this.#timedOut = true;
    for (const fn of this.#listeners.table.timeout) fn(silent);
  };

  readonly #onSocketError = (): void => {
    this.#socketErrors++;
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
  /** see RtpSessionOptions.timeoutMs */
  timeoutMs?: number;
  /** see RtpSessionOptions.rtcpIntervalMs */
  rtcpIntervalMs?: number;
  /** see RtpSessionOptions.keepSending */
  keepSending?: boolean;
  /** see RtpSessionOptions.echoSuppression */
  echoSuppression?: boolean;
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
  if (opts.timeoutMs !== undefined) base.timeoutMs = opts.timeoutMs;
  if (opts.rtcpIntervalMs !== undefined) base.rtcpIntervalMs = opts.rtcpIntervalMs;
  if (opts.keepSending !== undefined) base.keepSending = opts.keepSending;
  if (opts.echoSuppression !== undefined) base.echoSuppression = opts.echoSuppression;
  return { allocate: () => RtpSession.open(base) };
}
