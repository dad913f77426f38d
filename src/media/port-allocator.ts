/**
 * RTP port allocation: which UDP port a call leg's RTP socket binds, and the binding itself.
 *
 * One allocator per process and port range, shared by every media factory over that range (the
 * engine's legs and the simulated network's callees draw from one pool), so that "a port handed
 * out lately is tried last" holds across all of them, not per factory.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { MediaError } from '../core/index.js';
import { nativeIo, type RtpSocket } from './native-io.js';

export interface RtpPortRange {
  /** Lowest port of the range; without portMin and portMax the system picks any free port. */
  portMin?: number;
  portMax?: number;
}

/** Ports handed out lately that are tried last; the range's size less one when it is smaller. */
const RECENT_PORTS = 64;

const BINDABLE_LATER = new Set(['EADDRINUSE', 'EACCES']);

function bindOne(host: string, port: number, native: boolean): Promise<RtpSocket> {
  const io = native ? nativeIo() : null;
  if (io) {
    try {
      return Promise.resolve(io.open(host, port));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise<Socket>((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Binds the first port of `ports` that is free. Rejects with MediaError('MEDIA_UNAVAILABLE'):
 * permanent when `host` is not an address of this machine, retryable when every port was taken.
 */
async function bindFirst(host: string, ports: Iterable<number>, what: string, native = false): Promise<RtpSocket> {
  let last: unknown;
  for (const port of ports) {
    try {
      return await bindOne(host, port, native);
    } catch (err) {
      last = err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!BINDABLE_LATER.has(code)) {
        throw new MediaError('MEDIA_UNAVAILABLE', `cannot bind an RTP socket on ${host}:${port} (${code || String(err)})`, { address: `${host}:${port}` }, {
          cause: err,
          permanent: true,
          hint: 'check media.host: it must be an address of this machine',
        });
      }
    }
  }
  throw new MediaError('MEDIA_UNAVAILABLE', `no free RTP port ${what} on ${host}`, { address: host }, {
    cause: last,
    permanent: false,
    hint: 'widen the RTP port range or lower the channel limit',
  });
}

/** The even ports of [min, max], in order (RFC 3550 §11 puts RTP on even ports, leaving port + 1 to RTCP). */
function* evenPorts(min: number, max: number): Generator<number> {
  for (let p = min + (min % 2); p <= max; p += 2) yield p;
}

function checkRange(min: number, max: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min + (min % 2) > max) {
    throw new MediaError('MEDIA_UNAVAILABLE', `RTP port range ${min}-${max} holds no even port`, { path: 'media.portMin' }, {
      permanent: true,
      hint: 'set 1 <= portMin <= portMax <= 65535 with at least one even port between them',
    });
  }
}

/**
 * Binds a UDP socket on `host` at `port`: 0 (any free port), one port, or the even ports of a
 * range [min, max] tried in order. Rejects with MediaError('MEDIA_UNAVAILABLE') when none can be
 * bound; throws it at once for a range with no even port.
 */
export function bindRtpSocket(host: string, port: number | readonly [min: number, max: number]): Promise<Socket> {
  if (typeof port === 'number') return bindFirst(host, [port], port === 0 ? '(any)' : String(port)) as Promise<Socket>;
  checkRange(port[0], port[1]);
  return bindFirst(host, evenPorts(port[0], port[1]), `in ${port[0]}-${port[1]}`) as Promise<Socket>;
}

/**
 * Hands out RTP ports of one range. The search for a free even port starts at a random one
 * (ports handed out in order are easy to guess) and goes on from there; ports handed out lately
 * are tried last, so a port just freed is seldom reused at once and late packets of the previous
 * call do not land in the next one.
 */
export class RtpPortAllocator {
  /** [min, max] as given, or null when the system picks any free port. */
  readonly range: readonly [min: number, max: number] | null;
  readonly #first: number;
  readonly #count: number;
  readonly #keep: number;
  readonly #recent: number[] = [];

  /** Throws MediaError('MEDIA_UNAVAILABLE') when the range holds no even port. */
  constructor(range: RtpPortRange = {}) {
    if (range.portMin === undefined && range.portMax === undefined) {
      this.range = null;
      this.#first = 0;
      this.#count = 0;
      this.#keep = 0;
      return;
    }
    const min = range.portMin ?? range.portMax!;
    const max = range.portMax ?? range.portMin!;
    checkRange(min, max);
    this.range = [min, max];
    this.#first = min + (min % 2);
    this.#count = Math.floor((max - this.#first) / 2) + 1;
    this.#keep = Math.min(this.#count - 1, RECENT_PORTS);
  }

  /**
   * Binds a UDP socket on `host` at a port of the range. Rejects with MediaError('MEDIA_UNAVAILABLE'):
   * permanent when `host` is not an address of this machine, retryable when every port is taken.
   */
  async bind(host: string): Promise<RtpSocket> {
    if (this.range === null) return bindFirst(host, [0], '(any)', true);
    const socket = await bindFirst(host, this.#order(), `in ${this.range[0]}-${this.range[1]}`, true);
    this.#recent.push(socket.address().port);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    return socket;
  }

  *#order(): Generator<number> {
    const start = randomInt(this.#count);
    const avoid = new Set(this.#recent);
    for (const late of [false, true]) {
      for (let i = 0; i < this.#count; i++) {
        const port = this.#first + 2 * ((start + i) % this.#count);
        if (avoid.has(port) === late) yield port;
      }
    }
  }
}

const shared = new Map<string, RtpPortAllocator>();

/**
 * The process's one allocator for this range, made on first use: factories that are not handed
 * an allocator still share one when their ranges are the same.
 * Throws MediaError('MEDIA_UNAVAILABLE') when the range holds no even port.
 */
export function sharedRtpPortAllocator(range: RtpPortRange = {}): RtpPortAllocator {
  const key = `${range.portMin ?? range.portMax ?? ''}-${range.portMax ?? range.portMin ?? ''}`;
  let allocator = shared.get(key);
  if (allocator === undefined) {
    allocator = new RtpPortAllocator(range);
    shared.set(key, allocator);
  }
  return allocator;
}
