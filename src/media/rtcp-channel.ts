/**
 * One session's RTCP: its socket on the RTP port + 1 (RFC 3550 §11), a compound report every
 * interval (an SR while we send RTP, an RR otherwise, with a report block about the callee's
 * stream), and what the far end's reports say about ours: its loss, its jitter, and the
 * round-trip time from LSR/DLSR. A BYE goes out when the session closes.
 *
 * Only datagrams from the far end's address count; anything that is not RTCP is ignored.
 */
import { hostname } from 'node:os';
import type { Socket } from 'node:dgram';
import type { Clock } from '../core/index.js';
import { ntpMiddle32, ntpSecondsOf, parseRtcp, roundTripMs, writeRtcp, type ReportBlock } from './rtcp.js';
import type { RtpReceiver } from './rtp-receiver.js';
import type { RtpSender } from './rtp-sender.js';

/** What the far end's RTCP told about our stream, and how many reports went each way. */
export interface RtcpFigures {
  /** round-trip time, ms, from the far end's last report block about us; null until one came */
  rttMs: number | null;
  /** the far end's loss of our packets, % of the last interval */
  farEndLostPercent: number | null;
  /** the far end's interarrival jitter of our stream, ms */
  farEndJitterMs: number | null;
  reportsSent: number;
  reportsReceived: number;
}

/** RFC 3550 §6.2: 5 s between reports at our rate; the first goes out at half of it. */
export const RTCP_INTERVAL_MS = 5_000;

const SAMPLES_PER_MS = 8;
const CNAME = `zvonar@${hostname()}`;

export class RtcpChannel {
  readonly figures: RtcpFigures = { rttMs: null, farEndLostPercent: null, farEndJitterMs: null, reportsSent: 0, reportsReceived: 0 };
  readonly #socket: Socket;
  readonly #sender: RtpSender;
  readonly #receiver: RtpReceiver;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #remoteAddress = '';
  #remotePort = 0;
  #nextAt = Number.NaN;
  #sentAtLastReport = 0;
  /** the far end's last SR: its NTP middle 32 bits, and when it came (clock ms) */
  #lastSr = 0;
  #lastSrAt = 0;
  #closed = false;

  constructor(socket: Socket, p: { sender: RtpSender; receiver: RtpReceiver; clock: Clock; intervalMs?: number }) {
    this.#socket = socket;
    this.#sender = p.sender;
    this.#receiver = p.receiver;
    this.#clock = p.clock;
    this.#intervalMs = p.intervalMs ?? RTCP_INTERVAL_MS;
    socket.on('message', this.#onMessage);
    socket.on('error', () => {}); // an unreachable far end must not end the process
  }

  /** Where the far end listens for RTCP: its RTP port + 1, unless its SDP said otherwise (a=rtcp). */
  configure(address: string, rtcpPort: number): void {
    this.#remoteAddress = address;
    this.#remotePort = rtcpPort;
    if (Number.isNaN(this.#nextAt)) this.#nextAt = this.#clock.now() + this.#intervalMs / 2;
  }

  /** The session's watch calls this often; a report goes out when one is due. */
  tick(): void {
    if (this.#closed || !this.#remotePort || this.#clock.now() < this.#nextAt) return;
    this.#nextAt = this.#clock.now() + this.#intervalMs;
    this.#send(false);
  }

  /** Sends a last report with a BYE, and closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.off('message', this.#onMessage);
    const shut = () => {
      try {
        this.#socket.close();
      } catch {
        // already closed
      }
    };
    // the socket closes once the BYE has left (closing at once would drop it)
    if (this.#remotePort) this.#send(true, shut);
    else shut();
  }

  #send(bye: boolean, then?: () => void): void {
    const sent = this.#sender.stats.packetsSent;
    const reports: ReportBlock[] = [];
    const rx = this.#receiver;
    if (rx.ssrc >= 0) {
      const now = this.#clock.now();
      reports.push({
        ssrc: rx.ssrc, fractionLost: rx.reception.takeFractionLost(), cumulativeLost: rx.reception.cumulativeLost,
        highestSeq: rx.reception.highestSeq, jitter: rx.jitterUnits, lastSr: this.#lastSr,
        delaySinceLastSr: this.#lastSr ? Math.round(((now - this.#lastSrAt) / 1000) * 65536) : 0,
      });
    }
    const wallMs = Date.now(); // NTP time in reports is wall-clock time
    const sender = sent > this.#sentAtLastReport
      ? { ntpSeconds: ntpSecondsOf(wallMs), rtpTimestamp: this.#sender.timestampAt(this.#clock.now()), packets: sent, octets: this.#sender.stats.octetsSent }
      : undefined;
    this.#sentAtLastReport = sent;
    const packet = writeRtcp({ ssrc: this.#sender.ssrc, ...(sender ? { sender } : {}), reports, cname: CNAME, bye });
    this.#socket.send(packet, 0, packet.length, this.#remotePort, this.#remoteAddress, then ? () => then() : undefined);
    this.figures.reportsSent++;
  }

  readonly #onMessage = (msg: Buffer, from: { address: string }): void => {
    if (from.address !== this.#remoteAddress) return;
    const packets = parseRtcp(msg);
    if (!packets) return;
    this.figures.reportsReceived++;
    const ours = this.#sender.ssrc;
    for (const p of packets) {
      if (p.type === 'sr') {
        this.#lastSr = ntpMiddle32(p.sender.ntpSeconds);
        this.#lastSrAt = this.#clock.now();
      }
      if (p.type !== 'sr' && p.type !== 'rr') continue;
      for (const b of p.reports) {
        if (b.ssrc !== ours) continue;
        this.figures.farEndLostPercent = Math.round(b.fractionLost * 1000) / 10;
        this.figures.farEndJitterMs = Math.round((b.jitter / SAMPLES_PER_MS) * 10) / 10;
        const rtt = roundTripMs(b, Date.now());
        if (rtt !== null) this.figures.rttMs = Math.round(rtt * 10) / 10;
      }
    }
  };
}
