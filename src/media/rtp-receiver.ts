/**
 * The receive half of an RTP session: which datagrams are the call's, and what they become.
 *
 *   socket 'message' -> source lock -> parseRtp -> payload type -> jitter buffer (order, loss)
 *     -> G.711 decode to 20 ms frames, silence for what is missing | RFC 4733 digits -> listeners
 *
 * Everything it drops is counted. It reuses its buffers: no per-packet closures, promises or logs.
 */
import type { RemoteInfo } from 'node:dgram';
import { DtmfDecoder } from './dtmf.js';
import { G711_DECODE_TABLE } from './g711.js';
import { JitterBuffer, type JitterStats } from './jitter-buffer.js';
import type { MediaSessionEvents } from './media-session.js';
import { ReceptionReport } from './rtcp.js';
import { createRtpPacketView, parseRtp } from './rtp-packet.js';
import { rtpTraffic } from './rtp-traffic.js';
import type { RemoteMedia } from './sdp.js';

/** What 'audio' listeners get (MediaSessionEvents): 20 ms at 8000 Hz, whatever the packets' length. */
const FRAME_SAMPLES = 160;
/**
 * Missing audio is given to the listeners as silence, up to this much at once: a recogniser
 * should hear that time passed, not a minute of zeros after a hold.
 */
const MAX_FILL_SAMPLES = 8000;

/**
 * Whose packets are the call's media (issue 8): 'sdp' accepts RTP only from the address and
 * port the far end's SDP names; 'latch' locks to the first source heard after the SDP.
 */
export type SourceLock = 'sdp' | 'latch';

export interface RtpReceiveStats {
  /** Packets of the negotiated audio or telephone-event payload type that passed the sequence check. */
  packetsReceived: number;
  /** Duplicates, packets that came after their place was given up for lost (late), and strays of another SSRC. */
  packetsDropped: number;
  /** Packets never seen: their time was given to the listeners as silence. */
  packetsLost: number;
  /** Of packetsDropped, those that came too late. */
  packetsLate: number;
  /** Packets that came ahead of a gap and were put back in order. */
  packetsReordered: number;
  /** RFC 3550 interarrival jitter of the callee's stream, ms. */
  jitterMs: number;
  /** Not RTP, RTCP, or a payload type that was not negotiated. */
  packetsIgnored: number;
  /** Well-formed or not, packets from a source that is not the call's (see sourceLock): dropped. */
  packetsForeign: number;
}

/** The listeners fed, read afresh for every frame: the session swaps the arrays as listeners come and go. */
export interface ReceiveListeners {
  audio: MediaSessionEvents['audio'][];
  dtmf: MediaSessionEvents['dtmf'][];
}

export class RtpReceiver {
  /** Counters since the session opened; the session reads them. */
  get stats(): RtpReceiveStats {
    const jb: JitterStats = this.#jitter.stats;
    return {
      packetsReceived: jb.released, packetsDropped: jb.duplicates + jb.late + jb.strays, packetsIgnored: this.#ignored, packetsForeign: this.#foreign,
      packetsLost: jb.lost, packetsLate: jb.late, packetsReordered: jb.reordered, jitterMs: Math.round(jb.jitterMs * 10) / 10,
    };
  }
  #ignored = 0;
  #foreign = 0;
  /** what RTCP reports about the callee's stream (RFC 3550 A.3) */
  readonly reception = new ReceptionReport();
  /** when the call's last packet came (now() ms), or NaN before the first */
  #lastPacketAt = Number.NaN;
  readonly #now: () => number;
  readonly #listeners: ReceiveListeners;
  readonly #sourceLock: SourceLock;
  /** False until the SDP is applied: nothing is the call's before that. */
  #negotiated = false;
  /** The one source whose packets are the call's media; set by the SDP, or by the first packet when latching. */
  #srcAddress = '';
  #srcPort = 0;
  #payloadType = -1;
  /** Ours and the far end's number for telephone-event; they differ only if the answerer renumbered it. */
  #dtmfPayloadTypes: [number, number] = [-1, -1];
  #table: Readonly<Int16Array> = G711_DECODE_TABLE.PCMU;

  readonly #view = createRtpPacketView();
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  #fill = 0;
  readonly #jitter: JitterBuffer;
  readonly #dtmf: DtmfDecoder;

  /** sees each frame before the listeners, and may change it (the echo gate) */
  readonly #before: ((frame: Int16Array, atMs: number) => void) | undefined;

  constructor(listeners: ReceiveListeners, sourceLock: SourceLock, now: () => number = () => performance.now(), before?: (frame: Int16Array, atMs: number) => void) {
    this.#listeners = listeners;
    this.#before = before;
    this.#sourceLock = sourceLock;
    this.#now = now;
    this.#jitter = new JitterBuffer({
      audio: (buf, offset, length) => this.#decode(buf, offset, length),
      missing: (samples) => this.#silence(samples),
    });
    this.#dtmf = new DtmfDecoder((digit, ms) => {
      const fns = this.#listeners.dtmf;
      for (let k = 0; k < fns.length; k++) fns[k]!(digit, ms);
    });
  }

  /**
   * Applies the negotiated media: `payloadType` and `dtmfPayloadType` (-1: none) are the numbers
   * we receive on; the far end's own telephone-event number is accepted too.
   */
  configure(remote: RemoteMedia, payloadType: number, dtmfPayloadType: number): void {
    this.#negotiated = true;
    this.#table = G711_DECODE_TABLE[remote.codec];
    this.#srcAddress = this.#sourceLock === 'sdp' ? remote.address : '';
    this.#srcPort = this.#sourceLock === 'sdp' ? remote.port : 0;
    this.#payloadType = payloadType;
    this.#dtmfPayloadTypes = [dtmfPayloadType, remote.dtmfPayloadType ?? -1];
  }

  /** The socket's 'message' listener. */
  readonly onMessage = (msg: Buffer, from: RemoteInfo): void => {
    if (!this.#negotiated) {
      this.#ignored++;
      return;
    }
    if (from.port !== this.#srcPort || from.address !== this.#srcAddress) {
      if (this.#srcPort !== 0) {
        this.#foreign++;
        return;
      }
      // latching: the first source heard after the SDP is the call's, and the only one
      this.#srcAddress = from.address;
      this.#srcPort = from.port;
    }
    // anything from the call's source shows the line is alive (comfort noise, RTCP muxed, junk)
    const now = this.#now();
    this.#lastPacketAt = now;
    const p = parseRtp(msg, msg.length, this.#view);
    if (p === null) {
      this.#ignored++;
      return;
    }
    const pt = p.payloadType;
    const audio = pt === this.#payloadType;
    if (!audio && pt !== this.#dtmfPayloadTypes[0] && pt !== this.#dtmfPayloadTypes[1]) {
      this.#ignored++;
      return;
    }
    // The jitter buffer puts audio back in order (handing it to #decode, or the time it misses to
    // #silence); an RFC 4733 packet keeps its place in the order and is read at once (its events
    // carry their own timestamps).
    let ext: number;
    if (audio) {
      ext = this.#jitter.push(p.ssrc, p.sequence, p.timestamp, msg, p.payloadOffset, p.payloadLength, now);
    } else {
      ext = this.#jitter.push(p.ssrc, p.sequence, p.timestamp, msg, 0, 0, now);
      this.#dtmf.receive(msg, p.payloadOffset, p.payloadLength, p.timestamp);
    }
    if (ext >= 0) this.reception.received(ext);
    rtpTraffic.received++;
  };

  /** The callee's SSRC; -1 before its first packet. */
  get ssrc(): number {
    return this.#jitter.ssrc;
  }

  /** Interarrival jitter in RTP timestamp units, for reception reports. */
  get jitterUnits(): number {
    return this.#jitter.jitterUnits;
  }

  /** Gives up on gaps whose wait ran out while no packet came: the session calls it on its own tick. */
  drain(): void {
    this.#jitter.drain(this.#now());
  }

  /** ms since the call's last packet came; null before the first. */
  silentForMs(): number | null {
    return Number.isNaN(this.#lastPacketAt) ? null : this.#now() - this.#lastPacketAt;
  }

  /** Audio the line lost (or the sender left out), as silence: the recogniser hears time pass. */
  #silence(samples: number): void {
    let left = Math.min(samples, MAX_FILL_SAMPLES);
    const frame = this.#frame;
    while (left > 0) {
      const n = Math.min(left, FRAME_SAMPLES - this.#fill);
      frame.fill(0, this.#fill, this.#fill + n);
      this.#fill += n;
      left -= n;
      if (this.#fill === FRAME_SAMPLES) {
        this.#fill = 0;
        this.#emit(frame);
      }
    }
  }

  /** Emits whole 160-sample frames from payloads of any packet size; the frame array is reused. */
  #decode(buf: Uint8Array, offset: number, length: number): void {
    const table = this.#table;
    const frame = this.#frame;
    let fill = this.#fill;
    for (let i = 0; i < length; i++) {
      frame[fill++] = table[buf[offset + i]!]!;
      if (fill === FRAME_SAMPLES) {
        fill = 0;
        this.#fill = 0;
        this.#emit(frame);
      }
    }
    this.#fill = fill;
  }

  #emit(frame: Int16Array): void {
    this.#before?.(frame, this.#now());
    const fns = this.#listeners.audio;
    for (let k = 0; k < fns.length; k++) fns[k]!(frame);
  }
}
