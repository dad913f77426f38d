/**
 * One timer for every RTP sender on a clock: the process's calls send from one 10 ms tick, not
 * from a timer each (50 timers a second per call). Each sender keeps its own due times, 20 ms
 * apart from its own start, and the tick sends whatever is due within half a tick; since a
 * sender's due times keep their phase against the grid, its packets leave the same offset after
 * each due time, and their spacing stays exact however many senders share the tick.
 *
 *   clock ── tick every GRID_MS ──> for each sender with audio: pump(until) ──> socket.send
 */
import type { Clock } from '../core/index.js';

/** The tick; a sender's packet time (10-60 ms) is a whole number of them. */
export const GRID_MS = 10;

export interface Pumped {
  /**
   * Sends every packet due up to `until`; `now` is the tick's time. Returns false when the sender
   * has nothing more to send (the pacer drops it until it adds itself again).
   */
  pump(until: number, now: number): boolean;
  /** pump() threw (a socket closed under it): the sender stops; its queued audio is dropped. */
  fail(err: unknown): void;
}

export class Pacer {
  readonly #clock: Clock;
  readonly #senders = new Set<Pumped>();
  #timer: unknown = undefined;
  /** when the next tick is due: ticks keep to a grid from their start, so timer lateness does not add up */
  #next = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Senders being paced now. */
  get size(): number {
    return this.#senders.size;
  }

  /** Paces `s` from the next tick on (the caller sends what is due now itself). */
  add(s: Pumped): void {
    this.#senders.add(s);
    if (this.#timer !== undefined) return;
    this.#next = this.#clock.now() + GRID_MS;
    this.#timer = this.#clock.setTimeout(this.#tick, GRID_MS);
  }

  delete(s: Pumped): void {
    this.#senders.delete(s);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    // Due times are weighed against the grid point this tick stands for, not the time it fired:
    // a sender whose phase sits near the half-step would otherwise go one tick early or one late
    // as timers wobble, 10 ms of jitter (measured: p99 10.1 ms with 50 idle-machine senders). A
    // tick later than that sends everything due by now: the frames owed leave at once.
    const until = Math.max(this.#next + GRID_MS / 2, now);
    // Set order is insertion order: each sender's place in the tick, so its offset, stays put
    for (const s of this.#senders) {
      try {
        if (!s.pump(until, now)) this.#senders.delete(s);
      } catch (err) {
        this.#senders.delete(s);
        s.fail(err);
      }
    }
    if (this.#senders.size === 0) return;
    this.#next += GRID_MS;
    // a tick later than a whole grid step (a blocked loop) skips the missed ones: senders catch up themselves
    if (this.#next <= now) this.#next = now + GRID_MS - ((now - this.#next) % GRID_MS);
    this.#timer = this.#clock.setTimeout(this.#tick, this.#next - now);
  };
}

const pacers = new WeakMap<Clock, Pacer>();

/** The one pacer of `clock` (the process's monotonic clock has one for every call). */
export function pacerOf(clock: Clock): Pacer {
  let p = pacers.get(clock);
  if (!p) {
    p = new Pacer(clock);
    pacers.set(clock, p);
  }
  return p;
}
