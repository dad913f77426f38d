/**
 * A single-consumer queue from a transport's callbacks (gRPC stream events, WebSocket messages) to
 * an async iterator, shared by the adapters. Items queued before a failure are delivered first,
 * then the failure is thrown.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  #done = false;
  #error: unknown = null;
  readonly #onReturn: () => void;

  /** onReturn: the consumer left the loop early. */
  constructor(onReturn: () => void) {
    this.#onReturn = onReturn;
  }

  get done(): boolean {
    return this.#done;
  }

  push(item: T): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w.resolve({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** Ends the iteration after the queued items; drop = true discards them too. */
  close(drop = false): void {
    if (drop) this.#items.length = 0;
    if (this.#done) return;
    this.#done = true;
    this.#wake();
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = err;
    this.#wake();
  }

  #wake(): void {
    if (!this.#waiter || this.#items.length > 0) return;
    const w = this.#waiter;
    this.#waiter = null;
    if (this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      w.reject(err);
    } else w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#done) {
          if (this.#error === null) return Promise.resolve({ value: undefined, done: true });
          const err = this.#error;
          this.#error = null;
          return Promise.reject(err);
        }
        return new Promise((resolve, reject) => {
          this.#waiter = { resolve, reject };
        });
      },
      return: () => {
        this.#onReturn();
        this.close(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
