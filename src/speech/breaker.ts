/**
 * A circuit breaker for one speech engine (Nygard's pattern, as in Polly or opossum): after
 * `failures` unavailabilities in a row the engine is left alone for `openMs`, then one request
 * tries it (half-open); a success closes the circuit, a failure opens it again for twice as long,
 * up to `maxOpenMs`. Written here rather than taken from a library because what it guards is a
 * stream (a prompt's audio, a listen's events), not a promise-returning call: the router reports
 * success and failure itself at the moments that count (first audio, a result, an error).
 */
import { performance } from 'node:perf_hooks';

export interface BreakerOptions {
  /** unavailabilities in a row that open the circuit (default 3) */
  failures?: number;
  /** how long it first stays open (default 5000 ms); doubles on each failed trial */
  openMs?: number;
  /** longest it stays open (default 60000 ms) */
  maxOpenMs?: number;
  /** the clock, in ms (tests step it) */
  now?: () => number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class Breaker {
  readonly #failures: number;
  readonly #openMs: number;
  readonly #maxOpenMs: number;
  readonly #now: () => number;
  #inARow = 0;
  #openFor: number;
  #openUntil = 0;
  #state: BreakerState = 'closed';
  /** a half-open trial is out: no second one until it reports */
  #trialOut = false;

  constructor(opts: BreakerOptions = {}) {
    this.#failures = opts.failures ?? 3;
    this.#openMs = opts.openMs ?? 5000;
    this.#maxOpenMs = opts.maxOpenMs ?? 60_000;
    this.#openFor = this.#openMs;
    this.#now = opts.now ?? (() => performance.now());
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() >= this.#openUntil) this.#state = 'half-open';
    return this.#state;
  }

  /** May a request go to the engine now? In half-open, only one at a time (the trial). */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.#trialOut) return false;
    this.#trialOut = true;
    return true;
  }

  success(): void {
    this.#inARow = 0;
    this.#trialOut = false;
    this.#openFor = this.#openMs;
    this.#state = 'closed';
  }

  failure(): void {
    this.#trialOut = false;
    if (this.#state === 'half-open') {
      this.#openFor = Math.min(this.#openFor * 2, this.#maxOpenMs);
      this.#open();
      return;
    }
    this.#inARow++;
    if (this.#inARow >= this.#failures) this.#open();
  }

  /** A request that was allowed ended with neither (cancelled before it told anything). */
  release(): void {
    this.#trialOut = false;
  }

  #open(): void {
    this.#state = 'open';
    this.#openUntil = this.#now() + this.#openFor;
    this.#inARow = 0;
  }
}
