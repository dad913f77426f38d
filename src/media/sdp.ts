/**
 * SDP offer/answer (RFC 3264, RFC 4566) for one G.711 audio stream with RFC 4733 telephone-events.
 * Parsing and writing go through sdp-transform; this file decides what the fields mean.
 */
import { isIP } from 'node:net';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { MediaError } from '../core/index.js';
import type { Codec } from './media-session.js';

/** RFC 3551 Table 4: static payload types of G.711 at 8000 Hz, mono. */
export const CODEC_PAYLOAD_TYPE: ReadonlyMap<Codec, number> = new Map([
  ['PCMU', 0],
  ['PCMA', 8],
]);
const STATIC_PAYLOAD_CODEC: ReadonlyMap<number, Codec> = new Map([
  [0, 'PCMU'],
  [8, 'PCMA'],
]);

/** Every codec this engine can send and receive, in the order offered. */
export const SUPPORTED_CODECS: readonly Codec[] = ['PCMU', 'PCMA'];
/** Dynamic payload type for telephone-event; 101 is what most SIP trunks and sipp use. */
export const DEFAULT_DTMF_PAYLOAD_TYPE = 101;
/** RFC 4733 §3.2: events 0-15 are the DTMF digits, 16 is flash. */
const DTMF_EVENTS = '0-16';
/** RFC 3551 §4.5: G.711 is sent in 20 ms packets by default. */
const PTIME_MS = 20;

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
const ANSWER_DIRECTION: Readonly<Record<Direction, Direction>> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

export interface MLineSummary {
  type: string;
  protocol: string;
  /** The format list as written, e.g. "0 8 101". */
  formats: string;
}

/** What the far end's SDP says about the audio stream we will exchange. */
export interface RemoteMedia {
  /** Where to send RTP: an IP address literal. */
  address: string;
  port: number;
  /** The codec chosen: the first of the SDP's formats that we support. */
  codec: Codec;
  /** The payload type the SDP gives that codec (0 or 8 unless mapped dynamically). */
  payloadType: number;
  /** The payload type of telephone-event/8000, or null when the far end did not list it. */
  dtmfPayloadType: number | null;
  direction: Direction;
  /** a=ptime and a=maxptime (ms), when the far end gave them: how long its packets should be */
  ptimeMs: number | null;
  maxptimeMs: number | null;
  /** Index of the chosen m= line: an answer keeps every m= line of the offer, in order (RFC 3264 §6). */
  mediaIndex: number;
  mLines: readonly MLineSummary[];
}

export interface LocalSdp {
  /** The address written into c= (an IPv4 or IPv6 literal). */
  address: string;
  port: number;
  /** o= session id; stays the same for the whole session (RFC 4566 §5.2). */
  sessionId: string | number;
  /** o= version; goes up by one with every new offer or answer (RFC 3264 §8). */
  sessionVersion: number;
}

function ipVersion(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

function session(local: LocalSdp, media: MediaDescription[]): SessionDescription {
  const ipVer = ipVersion(local.address);
  return {
    version: 0,
    origin: {
      username: '-',
      sessionId: local.sessionId,
      sessionVersion: local.sessionVersion,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: 'zvonar',
    timing: { start: 0, stop: 0 },
    connection: { version: ipVer, ip: local.address },
    media,
  };
}

function audioMedia(port: number, codecs: readonly { codec: Codec; payloadType: number }[], dtmfPayloadType: number | null, direction: Direction): MediaDescription {
  const rtp: MediaDescription['rtp'] = codecs.map((c) => ({ payload: c.payloadType, codec: c.codec, rate: 8000 }));
  const fmtp: MediaDescription['fmtp'] = [];
  if (dtmfPayloadType !== null) {
    rtp.push({ payload: dtmfPayloadType, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: dtmfPayloadType, config: DTMF_EVENTS });
  }
  return {
    type: 'audio',
    port,
    protocol: 'RTP/AVP',
    payloads: rtp.map((r) => r.payload).join(' '),
    rtp,
    fmtp,
    ptime: PTIME_MS,
    direction,
  };
}

/** The local offer: the given codecs (default PCMU, PCMA) on their static payload types, and telephone-event. */
export function buildSdpOffer(local: LocalSdp & { codecs?: readonly Codec[]; dtmfPayloadType?: number }): string {
  const codecs = (local.codecs ?? SUPPORTED_CODECS).map((codec) => ({ codec, payloadType: CODEC_PAYLOAD_TYPE.get(codec)! }));
  if (codecs.length === 0) throw new RangeError('buildSdpOffer: no codecs to offer');
  const dtmf = local.dtmfPayloadType ?? DEFAULT_DTMF_PAYLOAD_TYPE;
  return write(session(local, [audioMedia(local.port, codecs, dtmf, 'sendrecv')]));
}

/**
 * The local answer to a parsed remote offer: the chosen codec and telephone-event under the
 * offer's own payload type numbers (RFC 3264 §6.1), and every other m= line rejected with port 0.
 */
export function buildSdpAnswer(local: LocalSdp & { remote: RemoteMedia }): string {
  const { remote } = local;
  const media = remote.mLines.map((m, i): MediaDescription => {
    if (i === remote.mediaIndex) {
      return audioMedia(local.port, [{ codec: remote.codec, payloadType: remote.payloadType }], remote.dtmfPayloadType, ANSWER_DIRECTION[remote.direction]);
    }
    return { type: m.type, port: 0, protocol: m.protocol, payloads: m.formats, rtp: [], fmtp: [] };
  });
  return write(session(local, media));
}

type Role = 'offer' | 'answer';

/** Line numbers (1-based) of the SDP text, to point errors at the line at fault. */
class SdpLines {
  readonly #lines: string[];
  constructor(text: string) {
    this.#lines = text.split(/\r?\n/);
  }
  /** The line number of the n-th (0-based) m= line. */
  mLine(n: number): number | undefined {
    let seen = -1;
    for (let i = 0; i < this.#lines.length; i++) if (this.#lines[i]!.startsWith('m=') && ++seen === n) return i + 1;
    return undefined;
  }
  /** The c= line that applies to the n-th m= line: its own, else the session-level one. */
  cLine(n: number): number | undefined {
    const m = this.mLine(n);
    if (m !== undefined) {
      for (let i = m; i < this.#lines.length && !this.#lines[i]!.startsWith('m='); i++) if (this.#lines[i]!.startsWith('c=')) return i + 1;
    }
    for (let i = 0; i < this.#lines.length && !this.#lines[i]!.startsWith('m='); i++) if (this.#lines[i]!.startsWith('c=')) return i + 1;
    return undefined;
  }
  text(line: number | undefined): string {
    return line === undefined ? '' : (this.#lines[line - 1] ?? '');
  }
}

function invalid(role: Role, message: string, line: number | undefined, field: string, hint?: string): MediaError {
  const where = line === undefined ? { path: field } : { path: field, line };
  return new MediaError('SDP_INVALID', `SDP ${role}: ${message}`, where, hint === undefined ? {} : { hint });
}

function describeFormat(m: MediaDescription, pt: number): string {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) return `${pt} ${map.codec}/${map.rate ?? '?'}`;
  const codec = STATIC_PAYLOAD_CODEC.get(pt);
  return codec ? `${pt} ${codec}/8000` : String(pt);
}

/** The codec a payload type stands for: its rtpmap when present, else the RFC 3551 static table. */
function codecOf(m: MediaDescription, pt: number): Codec | null {
  const map = m.rtp.find((r) => r.payload === pt);
  if (!map) return STATIC_PAYLOAD_CODEC.get(pt) ?? null;
  const name = map.codec.toUpperCase();
  if ((name !== 'PCMU' && name !== 'PCMA') || (map.rate ?? 8000) !== 8000 || (map.encoding ?? 1) !== 1) return null;
  return name;
}

function parseRemote(sdp: string, role: Role, codecs: readonly Codec[]): RemoteMedia {
  if (typeof sdp !== 'string' || (sdp.split(/\r?\n/, 1)[0] ?? '').trim() !== 'v=0') {
    throw invalid(role, 'not an SDP body: the first line must be "v=0"', 1, 'v=', 'pass the body of the SIP message whose Content-Type is application/sdp');
  }
  const lines = new SdpLines(sdp);
  let desc: SessionDescription;
  try {
    desc = parse(sdp);
  } catch (cause) {
    throw new MediaError('SDP_INVALID', `SDP ${role}: cannot be parsed`, { path: 'sdp' }, { cause });
  }
  const media = desc.media ?? [];
  for (let i = 0; i < media.length; i++) {
    const m = media[i]!;
    if (typeof m.type !== 'string' || !Number.isInteger(m.port) || typeof m.protocol !== 'string') {
      const line = lines.mLine(i);
      throw invalid(role, `line ${line ?? '?'} is not a valid m= line: "${lines.text(line)}"`, line, 'm=', 'an m= line reads "m=audio <port> RTP/AVP <formats>"');
    }
  }
  const audio = media.map((m, i) => ({ m, i })).filter(({ m }) => m.type === 'audio');
  if (audio.length === 0) throw invalid(role, 'has no m=audio line', undefined, 'm=audio', 'the far end must offer an audio stream');
  const chosen = audio.find(({ m }) => m.port !== 0);
  if (!chosen) {
    const line = lines.mLine(audio[0]!.i);
    throw invalid(role, `the audio stream is rejected (m=audio port 0 on line ${line ?? '?'})`, line, 'm=audio', 'the far end refused the stream; check its codec and SRTP settings');
  }
  const { m, i: mediaIndex } = chosen;
  const mLine = lines.mLine(mediaIndex);
  if (m.port < 1 || m.port > 65535) throw invalid(role, `m=audio port ${m.port} is out of range`, mLine, 'm=audio');
  if (m.protocol !== 'RTP/AVP' && m.protocol !== 'RTP/AVPF') {
    throw invalid(role, `m=audio uses ${m.protocol}, but this engine speaks plain RTP/AVP`, mLine, 'm=audio', 'disable SRTP/DTLS for this trunk');
  }

  const connection = m.connection ?? desc.connection;
  const cLine = lines.cLine(mediaIndex);
  if (!connection?.ip) {
    throw invalid(role, 'has no connection address (no c= line at session level or in m=audio)', mLine, 'c=', 'add "c=IN IP4 <address>"');
  }
  // A c= may carry a multicast TTL suffix ("224.2.1.1/127", RFC 4566 §5.7); unicast has none.
  const address = connection.ip.split('/')[0]!;
  if (isIP(address) === 0) {
    throw invalid(role, `connection address "${connection.ip}" is not an IP address`, cLine, 'c=', 'the far end must send an IP address literal; host names are not resolved');
  }
  if (address === '0.0.0.0' || address === '::') {
    throw invalid(role, `connection address ${address} puts the stream on hold: there is nowhere to send RTP`, cLine, 'c=');
  }

  const formats = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((f) => f !== '')
    .map(Number)
    .filter((pt) => Number.isInteger(pt) && pt >= 0 && pt <= 127);
  let codec: Codec | null = null;
  let payloadType = -1;
  for (const pt of formats) {
    const c = codecOf(m, pt);
    if (c && codecs.includes(c)) {
      codec = c;
      payloadType = pt;
      break;
    }
  }
  if (!codec) {
    const listed = formats.map((pt) => describeFormat(m, pt)).join(', ') || 'nothing';
    throw invalid(role, `no common codec: m=audio lists ${listed}; this engine takes ${codecs.join(' or ')} at 8000 Hz`, mLine, 'm=audio', 'enable G.711 (PCMU or PCMA) on the far end');
  }
  const dtmf = m.rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && (r.rate ?? 8000) === 8000 && formats.includes(r.payload));

  return {
    address,
    port: m.port,
    codec,
    payloadType,
    dtmfPayloadType: dtmf ? dtmf.payload : null,
    direction: m.direction ?? desc.direction ?? 'sendrecv',
    ptimeMs: positive(m.ptime),
    maxptimeMs: positive(m.maxptime),
    mediaIndex,
    mLines: media.map((x) => ({ type: x.type, protocol: x.protocol, formats: String(x.payloads ?? '') })),
  };
}

/**
 * Reads a remote offer (callee side). Picks the first of the offer's formats that is in `codecs`.
 * Throws MediaError('SDP_INVALID') naming the line or field at fault.
 */
export function parseSdpOffer(sdp: string, codecs: readonly Codec[] = SUPPORTED_CODECS): RemoteMedia {
  return parseRemote(sdp, 'offer', codecs);
}

/**
 * Reads a remote answer to our offer. `codecs` are the codecs we offered: the answer must pick
 * one of them (RFC 3264 §6.1). Throws MediaError('SDP_INVALID') naming the line or field at fault.
 */
export function parseSdpAnswer(sdp: string, codecs: readonly Codec[] = SUPPORTED_CODECS): RemoteMedia {
  return parseRemote(sdp, 'answer', codecs);
}

function positive(v: unknown): number | null {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}
