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
  /** The far end ended an answered call (BYE received, or the network lost it). */
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
  close(): Promise<void>;
}
