/** G.711 payloads this engine speaks (RFC 3551 static payload types 0 and 8). */
export type Codec = 'PCMU' | 'PCMA';

export interface MediaSessionEvents {
  /**
   * 20 ms of received audio, decoded to 8 kHz mono 16-bit PCM (160 samples). The array is
   * reused for the next frame (the receive path allocates nothing): copy it to keep it.
   */
  audio: (pcm: Int16Array) => void;
  /** RFC 4733 telephone-event, counted once per event. */
  dtmf: (digit: string, durationMs: number) => void;
  close: () => void;
  /**
   * No RTP from a far end that sends has come for the session's timeout (media.timeoutMs): the
   * line is dead though the signalling may not know it. Told once.
   */
  timeout: (silentMs: number) => void;
}

/** How a session's media went, for the attempt and the metrics. */
export interface MediaStats {
  packetsSent: number;
  packetsReceived: number;
  /** never came: concealed as silence */
  packetsLost: number;
  /** came after their place was given up */
  packetsLate: number;
  /** duplicates and late ones */
  packetsDropped: number;
  /** came ahead of a gap and were put back in order */
  packetsReordered: number;
  /** not RTP, or a payload type not negotiated */
  packetsIgnored: number;
  /** from a source that is not the call's */
  packetsForeign: number;
  /** RFC 3550 interarrival jitter, ms */
  jitterMs: number;
  /** from the far end's RTCP: round-trip time, its loss of our packets (% of its last interval), its jitter; null when it sent none */
  rttMs: number | null;
  farEndLostPercent: number | null;
  farEndJitterMs: number | null;
}

/**
 * One RTP stream pair of one call leg. Signalling reaches media only through this port:
 * the caller side uses offer() + answer(), the callee side uses accept().
 */
export interface MediaSession {
  readonly id: string;
  /** Local SDP offer: PCMU, PCMA and telephone-event on the bound RTP port. */
  offer(): string;
  /** Applies the remote SDP answer. Throws MediaError('SDP_INVALID') naming the line or field at fault. */
  answer(sdp: string): void;
  /** Callee side: takes a remote offer, picks a codec, returns the SDP answer. Throws MediaError('SDP_INVALID'). */
  accept(sdpOffer: string): string;
  /** Counters since the session opened. */
  readonly stats: Readonly<MediaStats>;
  /** The negotiated codec, once answer() or accept() succeeded. */
  readonly codec: Codec | null;
  /**
   * Queues 8 kHz mono PCM to be sent in 20 ms RTP frames, paced in real time.
   * Resolves true when the last frame has left, false when flush() or close() dropped it.
   * The array is read as frames leave: do not change it until the promise settles.
   * Rejects with InvalidStateError before answer() or accept().
   */
  play(pcm: Int16Array): Promise<boolean>;
  /**
   * Queues one RFC 4733 telephone-event (0-9 * # A-D) after any queued audio; resolves like play().
   * Rejects with MediaError('SDP_INVALID') when the far end did not negotiate telephone-event.
   */
  sendDtmf(digit: string, durationMs?: number): Promise<boolean>;
  /**
   * Holds queued audio without dropping it; resume() sends on from where it stopped (a callee
   * talking over the robot briefly). Pending play() promises stay pending meanwhile.
   */
  pause(): void;
  resume(): void;
  /** Drops all queued audio at once (barge-in, hang-up); pending play() promises resolve false. */
  flush(): void;
  on<E extends keyof MediaSessionEvents>(event: E, fn: MediaSessionEvents[E]): () => void;
  /** Closes the socket once; pending play() promises resolve false; emits close. */
  close(): void;
}

/** Gives each new call leg its own media session (its own UDP port). */
export interface MediaFactory {
  /** Rejects with MediaError('MEDIA_UNAVAILABLE') when no port in the range can be bound. */
  allocate(): Promise<MediaSession>;
}
