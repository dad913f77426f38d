import type { Clock } from '../core/index.js';

/**
 * A trunk's calls-per-second limit. Holds up to `burst` tokens and refills at `rate` per second;
 * take() resolves when a token is free, in call order. Time comes from the clock port.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(p: { ratePerSec: number; burst?: number; clock: Clock }) {
    this.#rate = p.ratePerSec;
    this.#burst = p.burst ?? Math.max(1, Math.floor(p.ratePerSec));
    this.#clock = p.clock;
    this.#tokens = this.#burst;
    this.#at = p.clock.now();
  }

  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#takeOne(signal));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
    this.#at = now;
  }

  async #takeOne(signal?: AbortSignal): Promise<void> {
    this.#refill();
    while (this.#tokens < 1) {
      const waitMs = Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
      await new Promise<void>((resolve, reject) => {
        const id = this.#clock.setTimeout(done, waitMs);
        function done() {
          signal?.removeEventListener('abort', abort);
          resolve();
        }
        const clock = this.#clock;
        function abort() {
          clock.clearTimeout(id);
          reject(signal!.reason);
        }
        signal?.addEventListener('abort', abort, { once: true });
      });
      this.#refill();
    }
    this.#tokens -= 1;
  }
}
