import type { LegState } from './leg-state.js';

export interface OriginateRequest {
  /** our id for the call; the adapter's SIP Call-ID may differ */
  callId: string;
  /** E.164 */
  to: string;
  /** E.164 caller id */
  from: string;
  /** the media session's offer */
  sdpOffer: string;
}

/** What the network tells the dialer about a leg, after originate() was called. */
export interface LegEvents {
  /** 180/183: the callee's phone rings. */
  ringing?(): void;
  /**
   * A provisional response (183, sometimes 180) carried SDP: the network plays audio before any
   * answer (ringback, an operator's announcement, a voicemail greeting). Its RTP goes to our offer's
   * port, so the media session can hear it.
   */
  earlyMedia?(sdp: string): void;
  /**
   * The far end made a new offer in an answered call (re-INVITE or UPDATE with SDP: hold, a moved
   * address, another codec). Returns our answer (RFC 3264 §8: the same session, a new version,
   * the direction mirrored). Throws MediaError('SDP_INVALID') when it makes no sense; the adapter
   * then refuses it with 488 and the call goes on as before.
   */
  remoteOffer?(sdp: string): string;
  /**
   * The far end ended an answered call: BYE received ('callee'), or the signalling was lost
   * ('network': drachtio-server went away, in-dialog keep-alives unanswered).
   */
  hangup(cause: { by: 'callee' | 'network'; reason?: string }): void;
}

export interface CallLeg {
  readonly callId: string;
  /** the callee's SDP answer, for the media session */
  readonly sdpAnswer: string;
  readonly state: LegState;
  /** Sends BYE once; later calls resolve at once. */
  hangup(): Promise<void>;
}

/** Places outbound calls. Implemented by the drachtio adapter and by the simulated network. */
export interface CallControl {
  /**
   * Sends INVITE; resolves on 200 OK with the answered leg. Rejects with CallFailedError(status)
   * on a final non-2xx response, and with CallFailedError(487) after CANCEL when `signal` aborts
   * (the ring timeout). LegEvents.hangup fires only for answered legs.
   */
  originate(req: OriginateRequest, on: LegEvents, signal: AbortSignal): Promise<CallLeg>;
  /**
   * Resolves when calls can be placed; rejects with the reason otherwise (TELEPHONY_UNAVAILABLE
   * while drachtio-server is away). The dialer asks before it leases contacts.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}
