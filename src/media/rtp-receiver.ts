/**
 * The receive half of an RTP session: which datagrams are the call's, and what they become.
 *
 *   socket 'message' -> source lock -> parseRtp -> payload type -> sequence check
 *     -> [jitter buffer: not yet] -> G.711 decode to 20 ms frames | RFC 4733 digits -> listeners
 *
 * Everything it drops is counted. It reuses its buffers: no per-packet closures, promises or logs.
 */
import type { RemoteInfo } from 'node:dgram';
import { DtmfDecoder } from './dtmf.js';
import { G711_DECODE_TABLE } from './g711.js';
import type { MediaSessionEvents } from './media-session.js';
import { createRtpPacketView, parseRtp } from './rtp-packet.js';
import type { RemoteMedia } from './sdp.js';

/** What 'audio' listeners get (MediaSessionEvents): 20 ms at 8000 Hz, whatever the packets' length. */
const FRAME_SAMPLES = 160;
/** RFC 3550 Appendix A.1: beyond these the sequence number is taken as a restart, not loss or reordering. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/**
 * Whose packets are the call's media (issue 8): 'sdp' accepts RTP only from the address and
 * port the far end's SDP names; 'latch' locks to the first source heard after the SDP.
 */
export type SourceLock = 'sdp' | 'latch';

export interface RtpReceiveStats {
  /** Packets of the negotiated audio or telephone-event payload type that passed the sequence check. */
  packetsReceived: number;
  /** Duplicates, packets behind the newest one, and the first packet after a sequence jump. */
  packetsDropped: number;
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
  readonly stats: RtpReceiveStats = { packetsReceived: 0, packetsDropped: 0, packetsIgnored: 0, packetsForeign: 0 };
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
  #ssrc = -1;
  #maxSeq = 0;
  #badSeq = -1;
  readonly #dtmf: DtmfDecoder;

  constructor(listeners: ReceiveListeners, sourceLock: SourceLock) {
    this.#listeners = listeners;
    this.#sourceLock = sourceLock;
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
      this.stats.packetsIgnored++;
      return;
    }
    if (from.port !== this.#srcPort || from.address !== this.#srcAddress) {
      if (this.#srcPort !== 0) {
        this.stats.packetsForeign++;
        return;
      }
      // latching: the first source heard after the SDP is the call's, and the only one
      this.#srcAddress = from.address;
      this.#srcPort = from.port;
    }
    const p = parseRtp(msg, msg.length, this.#view);
    if (p === null) {
      this.stats.packetsIgnored++;
      return;
    }
    const pt = p.payloadType;
    const audio = pt === this.#payloadType;
    if (!audio && pt !== this.#dtmfPayloadTypes[0] && pt !== this.#dtmfPayloadTypes[1]) {
      this.stats.packetsIgnored++;
      return;
    }
    // The seam for the jitter buffer (src/media/jitter-buffer.ts): it replaces the sequence
    // check below, taking the packet's fields (ssrc, sequence, timestamp, msg, payload offset and
    // length; the view `p` is reused for the next datagram) and handing audio back in order to
    // #decode(), whose signature is its sink's audio(). Until then packets are decoded on arrival.
    if (!this.#acceptSequence(p.ssrc, p.sequence)) {
      this.stats.packetsDropped++;
      return;
    }
    this.stats.packetsReceived++;
    if (audio) this.#decode(msg, p.payloadOffset, p.payloadLength);
    else this.#dtmf.receive(msg, p.payloadOffset, p.payloadLength, p.timestamp);
  };

  /** RFC 3550 Appendix A.1, without the statistics: drop duplicates and late packets, survive restarts. */
  #acceptSequence(ssrc: number, seq: number): boolean {
    if (ssrc !== this.#ssrc) {
      this.#ssrc = ssrc;
      this.#maxSeq = seq;
      this.#badSeq = -1;
      return true;
    }
    const delta = (seq - this.#maxSeq) & 0xffff;
    if (delta === 0) return false;
    if (delta < MAX_DROPOUT) {
      this.#maxSeq = seq;
      return true;
    }
    if (delta <= 0x10000 - MAX_MISORDER) {
      // A large jump: the sender restarted its numbering. Believe it once two packets agree.
      if (seq === this.#badSeq) {
        this.#maxSeq = seq;
        this.#badSeq = -1;
        return true;
      }
      this.#badSeq = (seq + 1) & 0xffff;
      return false;
    }
    return false;
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
        const fns = this.#listeners.audio;
        for (let k = 0; k < fns.length; k++) fns[k]!(frame);
      }
    }
    this.#fill = fill;
  }
}
