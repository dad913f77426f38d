/**
 * How many more calls the speech engines can serve now: their declared capacity less the streams
 * open, as the engines count them (Health: every process's streams, so two dialers on one engine
 * see each other), polled every few seconds. Between polls, calls this process started are
 * subtracted, so a burst cannot overrun the engines before the next poll sees it.
 *
 * A call holds up to STREAMS_PER_CALL streams at once: a prompt being said and the listen under
 * it (barge-in).
 *
 * Streams are not the whole of it: an engine that works on a few cores (RHVoice, pocketsphinx)
 * queues requests for its workers, and a burst of calls each with its own greeting (the patient's
 * name in it) keeps the later ones waiting for their first word. The engines say what a request
 * arriving now would wait (backlogMs) and what each further one adds (requestMs); calls may start
 * while the backlog they make stays within maxBacklogMs, each counted as one request. The burst
 * is spread at the engine's own pace instead of ending calls in silence (a 600-contact run at 120
 * channels on two cores, RHVoice, lost 4-21 calls to ROBOT_SILENCE without it).
 */
import type { SpeechEngine } from './ports.js';

export const STREAMS_PER_CALL = 2;

export interface SpeechCapacity {
  /** calls that may start now; Infinity when the engines declare no limit */
  room(): number;
  /** what holds calls back when room() is 0: the streams the engines declare, or their workers' backlog */
  limit(): 'streams' | 'backlog' | null;
  /** this many calls were started */
  take(calls: number): void;
  /** streams the engines could still open at the last poll (null: no declared limit, or not yet polled) */
  headroomStreams(): number | null;
  /** the engines' backlog at the last poll, ms (0 when they do not say) */
  backlogMs(): number;
  stop(): void;
}

export function watchSpeechCapacity(
  engine: Pick<SpeechEngine, 'health'>,
  opts: { pollMs?: number; /** the engines' backlog above which no call starts (speech.maxBacklogMs) */ maxBacklogMs: number; onPoll?: (headroomStreams: number | null, backlogMs: number) => void },
): SpeechCapacity {
  const { maxBacklogMs } = opts;
  let headroom: number | null = null;
  let backlog = 0;
  let requestMs = 0;
  let taken = 0;
  let stopped = false;
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling || stopped) return;
    polling = true;
    try {
      const h = await engine.health();
      headroom = !h.serving ? 0 : h.maxStreams === null ? null : Math.max(0, h.maxStreams - h.streamsInUse);
      backlog = h.backlogMs ?? 0;
      requestMs = h.requestMs ?? 0;
    } catch {
      // an engine that does not answer its health check is not counted on: the calls' own
      // requests find out, and the router moves them on
      headroom = null;
      backlog = 0;
      requestMs = 0;
    } finally {
      taken = 0;
      polling = false;
    }
    opts.onPoll?.(headroom, backlog);
  };
  const byStreams = (): number => (headroom === null ? Infinity : Math.floor(headroom / STREAMS_PER_CALL));
  // an idle engine takes at least one call, however long one request takes it
  const byBacklog = (): number => (backlog >= maxBacklogMs ? 0 : requestMs > 0 ? Math.max(1, Math.floor((maxBacklogMs - backlog) / requestMs)) : Infinity);
  void poll();
  const timer = setInterval(() => void poll(), opts.pollMs ?? 1000);
  timer.unref();
  return {
    room: () => Math.max(0, Math.min(byStreams(), byBacklog()) - taken),
    limit: () => (byStreams() - taken <= 0 ? 'streams' : byBacklog() - taken <= 0 ? 'backlog' : null),
    take: (n) => {
      taken += n;
    },
    headroomStreams: () => headroom,
    backlogMs: () => backlog,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
