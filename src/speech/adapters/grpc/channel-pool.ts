import { Client, connectivityState, credentials } from '@grpc/grpc-js';

/**
 * A few gRPC channels to one engine, each with its own HTTP/2 connection, so that a connection
 * the engine closes (GOAWAY, a reset, a restart) takes down only its share of the calls' streams,
 * and those streams re-open on another channel.
 *
 * Evidence (issue 7): with every call on one connection, Node's HTTP/2 server (nghttp2 >= 1.57,
 * CVE-2023-44487) closed it once the client's RST_STREAMs outran its token bucket (1000 burst,
 * 33 per second refill: 100 cancels/s closed it after 15 s), and each closure failed every live
 * call at once. The bucket is per connection, so N channels also give N times the budget.
 */
export class ChannelPool {
  readonly #clients: readonly Client[];
  #next = 0;

  constructor(address: string, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`speech connections must be a whole number >= 1, got ${size}`);
    this.#clients = Array.from(
      { length: size },
      () =>
        new Client(address, credentials.createInsecure(), {
          // gRPC's reconnect backoff grows to 120 s by default (doc/connection-backoff.md); a local
          // engine that restarts should be back in use within seconds.
          'grpc.initial_reconnect_backoff_ms': 250,
          'grpc.max_reconnect_backoff_ms': 5000,
          // grpc-js shares one subchannel (one connection) among all Clients with the same target
          // and options through its global pool; a pool per channel gives each its own connection.
          'grpc.use_local_subchannel_pool': 1,
        }),
    );
  }

  get size(): number {
    return this.#clients.length;
  }

  /**
   * The next channel in turn, passing over one in TRANSIENT_FAILURE while another is not, and
   * `avoid` (the channel a stream just lost) while there is another.
   */
  pick(avoid?: Client): Client {
    const n = this.#clients.length;
    let fallback: Client | undefined;
    for (let i = 0; i < n; i++) {
      const at = (this.#next + i) % n;
      const c = this.#clients[at]!;
      if (c === avoid && n > 1) continue;
      fallback ??= c;
      if (c.getChannel().getConnectivityState(false) === connectivityState.TRANSIENT_FAILURE) continue;
      this.#next = (at + 1) % n;
      return c;
    }
    this.#next = (this.#next + 1) % n;
    return fallback ?? this.#clients[0]!;
  }

  /** Closes every channel: calls already open run to their end, new ones fail. */
  close(): void {
    for (const c of this.#clients) c.close();
  }
}
