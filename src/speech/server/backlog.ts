/**
 * How far behind a pool of workers is (RHVoice's processes, pocketsphinx's): the wait a request
 * arriving now can expect before a worker starts on it. The oldest waiting request's age lags a
 * burst (the tenth greeting in the queue has waited little yet, but will wait for nine), so the
 * queue's length times the mean time a worker holds a request counts too.
 */
export class Backlog {
  #meanMs = 0;
  readonly #workers: () => number;

  constructor(workers: () => number) {
    this.#workers = workers;
  }

  /** a worker held a request this long */
  held(ms: number): void {
    this.#meanMs = this.#meanMs === 0 ? ms : 0.8 * this.#meanMs + 0.2 * ms;
  }

  /** what one more request adds to ms(): the mean hold over the workers (0 until one was held) */
  requestMs(): number {
    return this.#meanMs / Math.max(1, this.#workers());
  }

  /** ms a request arriving now would wait, given the queue (oldest first, with when each was queued) */
  ms(queue: readonly { queuedAt?: number }[], now = performance.now()): number {
    if (queue.length === 0) return 0;
    const oldest = queue[0]!.queuedAt;
    const age = oldest === undefined ? 0 : now - oldest;
    return Math.max(age, queue.length * this.requestMs());
  }
}
