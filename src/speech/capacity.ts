/**
 * How many more calls the speech engines can serve now: their declared capacity less the streams
 * open, as the engines count them (Health: every process's streams, so two dialers on one engine
 * see each other), polled every few seconds. Between polls, calls this process started are
 * subtracted, so a burst cannot overrun the engines before the next poll sees it.
 *
 * A call holds up to STREAMS_PER_CALL streams at once: a prompt being said and the listen under
 * it (barge-in).
 */
import type { SpeechEngine } from './ports.js';

export const STREAMS_PER_CALL = 2;

export interface SpeechCapacity {
  /** calls that may start now; Infinity when the engines declare no limit */
  room(): number;
  /** this many calls were started */
  take(calls: number): void;
  /** streams the engines could still open at the last poll (null: no declared limit, or not yet polled) */
  headroomStreams(): number | null;
  stop(): void;
}

export function watchSpeechCapacity(engine: Pick<SpeechEngine, 'health'>, opts: { pollMs?: number; onPoll?: (headroomStreams: number | null) => void } = {}): SpeechCapacity {
  let headroom: number | null = null;
  let taken = 0;
  let stopped = false;
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling || stopped) return;
    polling = true;
    try {
      const h = await engine.health();
      headroom = !h.serving ? 0 : h.maxStreams === null ? null : Math.max(0, h.maxStreams - h.streamsInUse);
    } catch {
      // an engine that does not answer its health check is not counted on: the calls' own
      // requests find out, and the router moves them on
      headroom = null;
    } finally {
      taken = 0;
      polling = false;
    }
    opts.onPoll?.(headroom);
  };
  void poll();
  const timer = setInterval(() => void poll(), opts.pollMs ?? 2000);
  timer.unref();
  return {
    room: () => (headroom === null ? Infinity : Math.max(0, Math.floor(headroom / STREAMS_PER_CALL) - taken)),
    take: (n) => {
      taken += n;
    },
    headroomStreams: () => headroom,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
