/**
 * The audio a Recognize stream would have to send again if its connection were lost: what it
 * wrote after the engine's last final result, so an utterance cut mid-way is heard whole on the
 * new stream. Chunks are kept as sent (LINEAR16 bytes, already a copy of the caller's frame),
 * so holding them costs no copy; a held chunk is dropped whole, never split.
 */
export class AudioReplay {
  readonly #maxSamples: number;
  #chunks: { start: number; bytes: Uint8Array }[] = [];
  #head = 0;
  #written = 0;
  #held = 0;

  /** maxSamples bounds memory: a stream never replays more than this. */
  constructor(maxSamples: number) {
    this.#maxSamples = maxSamples;
  }

  /** Samples written so far. */
  get written(): number {
    return this.#written;
  }

  /** The stream's sample index of the first sample held: where a replay starts. */
  get start(): number {
    return this.#chunks[this.#head]?.start ?? this.#written;
  }

  push(bytes: Uint8Array): void {
    const samples = bytes.length >> 1;
    this.#chunks.push({ start: this.#written, bytes });
    this.#written += samples;
    this.#held += samples;
    while (this.#held - this.#samplesOf(this.#head) >= this.#maxSamples) this.#shift();
  }

  /** The engine is done with every sample before `at` (a stream sample index). */
  dropBefore(at: number): void {
    while (this.#head < this.#chunks.length && this.#chunks[this.#head]!.start + this.#samplesOf(this.#head) <= at) this.#shift();
  }

  /** The held chunks, oldest first. */
  *chunks(): IterableIterator<Uint8Array> {
    for (let i = this.#head; i < this.#chunks.length; i++) yield this.#chunks[i]!.bytes;
  }

  #samplesOf(i: number): number {
    return (this.#chunks[i]?.bytes.length ?? 0) >> 1;
  }

  #shift(): void {
    this.#held -= this.#samplesOf(this.#head);
    this.#head++;
    // Compact now and then, so dropping from the front stays O(1) per chunk.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
