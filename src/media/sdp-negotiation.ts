/**
 * One leg's side of the SDP offer/answer (RFC 3264), apart from its sockets: what we offer, what
 * the far end's answer or offer makes of it, and the numbers both halves of the stream then use.
 * The in-process RtpSession and the media worker's proxy (worker-media.ts) both negotiate with it,
 * so SDP errors throw where the caller called, synchronously.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidStateError, MediaError } from '../core/index.js';
import type { Codec } from './media-session.js';
import {
  buildSdpAnswer, buildSdpOffer, CODEC_PAYLOAD_TYPE, DEFAULT_DTMF_PAYLOAD_TYPE, parseSdpAnswer, parseSdpOffer, SUPPORTED_CODECS, type RemoteMedia,
} from './sdp.js';

/** What the session applies: the far end, and the payload type numbers we receive on (-1: no telephone-event). */
export interface Negotiated {
  remote: RemoteMedia;
  rxPayloadType: number;
  rxDtmfPayloadType: number;
}

export class SdpNegotiation {
  readonly #address: string;
  readonly #port: number;
  readonly #family: 4 | 6;
  readonly #codecs: readonly Codec[];
  readonly #id: string;
  /** RFC 4566 §5.2 asks for an o= session id unique to this session; a random one suffices. */
  readonly #sessionId = randomInt(0x7fffffff);
  #version = 0;
  #offered = false;

  /** `address` goes into c= lines; `family` is the bound socket's; `id` names the session in errors. */
  constructor(p: { address: string; port: number; family: 4 | 6; codecs?: readonly Codec[]; id: string }) {
    this.#address = p.address;
    this.#port = p.port;
    this.#family = p.family;
    this.#codecs = p.codecs && p.codecs.length > 0 ? [...p.codecs] : SUPPORTED_CODECS;
    this.#id = p.id;
  }

  /** Local SDP offer: our codecs and telephone-event on the bound port. */
  offer(): string {
    this.#offered = true;
    return buildSdpOffer({ address: this.#address, port: this.#port, sessionId: this.#sessionId, sessionVersion: ++this.#version, codecs: this.#codecs });
  }

  /** The far end's answer to our offer. Throws MediaError('SDP_INVALID'), or InvalidStateError before offer(). */
  answer(sdp: string): Negotiated {
    if (!this.#offered) throw new InvalidStateError(`media ${this.#id}: answer() before offer()`);
    const remote = parseSdpAnswer(sdp, this.#codecs);
    this.#checkFamily(remote);
    // We offered each codec on its static payload type, so that is the number we receive on.
    return { remote, rxPayloadType: CODEC_PAYLOAD_TYPE.get(remote.codec)!, rxDtmfPayloadType: remote.dtmfPayloadType === null ? -1 : DEFAULT_DTMF_PAYLOAD_TYPE };
  }

  /** The far end's offer (callee side, or a re-INVITE): our answer with what to apply. Throws MediaError('SDP_INVALID'). */
  accept(sdpOffer: string): { answer: string; negotiated: Negotiated } {
    const remote = parseSdpOffer(sdpOffer, this.#codecs);
    this.#checkFamily(remote);
    const answer = buildSdpAnswer({ address: this.#address, port: this.#port, sessionId: this.#sessionId, sessionVersion: ++this.#version, remote });
    // The answer reuses the offer's payload type numbers (RFC 3264 §6.1), so both directions share them.
    return { answer, negotiated: { remote, rxPayloadType: remote.payloadType, rxDtmfPayloadType: remote.dtmfPayloadType ?? -1 } };
  }

  #checkFamily(remote: RemoteMedia): void {
    if (isIP(remote.address) !== this.#family) {
      throw new MediaError('SDP_INVALID', `the far end's address ${remote.address} is not IPv${this.#family} like the RTP socket`, { address: remote.address }, {
        hint: `bind media.host to an IPv${this.#family === 4 ? 6 : 4} address to reach it`,
      });
    }
  }
}
