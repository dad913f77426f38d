/**
 * RTP sockets on the native I/O thread (src/native/rtp_io.c, built by `npm ci` through node-gyp),
 * with the part of node:dgram's Socket the media code uses (RtpSocket), plus sendAt(): a packet
 * handed over before its time and sent at it by the I/O thread's own clock.
 *
 *   NativeSocket.send/sendAt ──▶ addon (sends now, or queues until due) ──▶ UDP
 *   UDP ──▶ addon (recvmmsg, one batch per wake-up) ──▶ onReadable ──▶ each socket's 'message'
 *
 * Why: node:dgram costs a callback, a 64 KB allocation, a Buffer and an address string per
 * datagram, and a send leaves only when the JavaScript thread gets to it, so a GC or a burst of
 * work there is jitter on every stream. The addon is optional: without it (not Linux, no
 * compiler at install) nativeIo() is null and the media code uses node:dgram.
 */
import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { rtpTraffic, type ThreadTraffic } from './rtp-traffic.js';

/** What the media code needs of a UDP socket: node:dgram's, or a NativeSocket. */
export interface RtpSocket {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  close(callback?: () => void): unknown;
  address(): AddressInfo;
  connect(port: number, address: string, callback: (err?: Error) => void): void;
  disconnect(): void;
  send(msg: Uint8Array, offset: number, length: number, port?: number, address?: string, callback?: (err: Error | null) => void): void;
  /**
   * Sends `length` bytes of `msg` at `dueMs` (performance.now() time) from the I/O thread; a due
   * time already past sends at once. `flags`: AUDIO for an audio packet (its spacing is measured),
   * TALKSPURT for the first of a talkspurt. Only native sockets have it.
   */
  sendAt?(msg: Uint8Array, length: number, dueMs: number, flags: number, port?: number, address?: string): void;
  /** Drops the packets sendAt() queued that have not left yet; returns how many. */
  cancelQueued?(): number;
}

export const AUDIO = 1;
export const TALKSPURT = 2;

interface Addon {
  start(onReadable: () => void): void;
  open(host: string, port: number): number;
  port(fd: number): number;
  connect(fd: number, host: string, port: number): void;
  disconnect(fd: number): void;
  close(fd: number): void;
  send(fd: number, bytes: Uint8Array, length: number, dueMs: number, flags: number, host?: string, port?: number): number;
  cancel(fd: number): number;
  drain(): Buffer | undefined;
  nowMs(): number;
  stats(reset: boolean): NativeStats;
}

export interface NativeStats {
  /** send spacing errors, 0.1 ms buckets as SpacingHistogram's */
  hist: Uint32Array;
  sent: number;
  /** packets that left more than 1 ms after their due time, and the latest one's lateness */
  lateSends: number;
  maxLateMs: number;
  /** packets handed over more than 1 ms after their due time, since the start */
  handedLate: number;
  /** datagrams dropped because JavaScript did not drain 8 MB of them */
  rxDropped: number;
  queued: number;
  /** the I/O thread's priority: 'realtime' (SCHED_FIFO), 'high' (nice -10) or 'normal' (no CAP_SYS_NICE) */
  priority: IoPriority;
}

export type IoPriority = 'realtime' | 'high' | 'normal';

const REC_HEADER = 28;

const ERRNO: Record<number, string> = { 1: 'EPERM', 11: 'EAGAIN', 13: 'EACCES', 22: 'EINVAL', 90: 'EMSGSIZE', 101: 'ENETUNREACH', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH' };

function load(): Addon | null {
  if (process.platform !== 'linux' || process.env.ZVONAR_RTP_IO === 'dgram') return null;
  const require = createRequire(import.meta.url);
  // from src/media (tests) and from dist/src/media (the build)
  for (const path of ['../../build/Release/rtp_io.node', '../../../build/Release/rtp_io.node']) {
    try {
      return require(path) as Addon;
    } catch {
      // not built there
    }
  }
  return null;
}

/** The addon's I/O thread for this JavaScript thread, started on first use. */
class NativeIo {
  readonly #addon: Addon;
  readonly #sockets = new Map<number, NativeSocket>();
  /** the addon's clock less performance.now() */
  readonly #offset: number;

  constructor(addon: Addon) {
    this.#addon = addon;
    addon.start(this.#readable);
    let best = Infinity;
    let offset = 0;
    for (let i = 0; i < 5; i++) {
      const a = performance.now();
      const n = addon.nowMs();
      const b = performance.now();
      if (b - a < best) {
        best = b - a;
        offset = n - (a + b) / 2;
      }
    }
    this.#offset = offset;
  }

  get addon(): Addon {
    return this.#addon;
  }

  /** performance.now() time `ms` on the addon's clock */
  clock(ms: number): number {
    return ms + this.#offset;
  }

  open(host: string, port: number): NativeSocket {
    const fd = this.#addon.open(host, port);
    const s = new NativeSocket(this, fd, host);
    this.#sockets.set(fd, s);
    return s;
  }

  closed(fd: number): void {
    this.#sockets.delete(fd);
    this.#addon.close(fd);
  }

  stats(reset: boolean): NativeStats {
    return this.#addon.stats(reset);
  }

  readonly #readable = (): void => {
    const batch = this.#addon.drain();
    if (!batch) return;
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    let at = 0;
    while (at + REC_HEADER <= batch.length) {
      const fd = view.getUint32(at, true);
      const len = view.getUint16(at + 4, true);
      const s = this.#sockets.get(fd);
      if (s) s.received(batch, at, len, view.getUint16(at + 6, true), batch[at + 8] === 4 ? view.getUint32(at + 12) : -1);
      at += REC_HEADER + len;
    }
  };
}

let io: NativeIo | null | undefined;

/** This thread's native I/O, or null when the addon is not built (node:dgram serves then). */
export function nativeIo(): NativeIo | null {
  if (io === undefined) {
    const addon = load();
    io = addon && new NativeIo(addon);
  }
  return io;
}

/**
 * This thread's RTP figures (see ThreadTraffic); `reset` starts new send-spacing histograms after
 * reading them. The native figures are there only once this thread's I/O thread has started.
 */
export function threadTraffic(reset: boolean): ThreadTraffic {
  const native = io ? io.stats(reset) : undefined;
  const t: ThreadTraffic = {
    sent: rtpTraffic.sent, received: rtpTraffic.received, sendJitterP99Ms: rtpTraffic.sendJitter.percentileMs(99, native?.hist),
    ...(native ? { native: { handedLate: native.handedLate, lateSends: native.lateSends, maxLateMs: native.maxLateMs, sent: native.sent, rxDropped: native.rxDropped, priority: native.priority } } : {}),
  };
  if (reset) rtpTraffic.sendJitter.reset();
  return t;
}

function errnoError(code: number, what: string): Error {
  const name = ERRNO[-code] ?? `E${-code}`;
  return Object.assign(new Error(`${what} failed: ${name}`), { code: name, errno: code });
}

export class NativeSocket extends EventEmitter {
  readonly #io: NativeIo;
  readonly #fd: number;
  readonly #host: string;
  readonly #family: 'IPv4' | 'IPv6';
  #port: number;
  #closed = false;
  /** the last source's address bytes and its RemoteInfo, reused while the source stays the same */
  #src: RemoteInfo | null = null;
  #srcV4 = -1;
  readonly #srcV6 = Buffer.alloc(16);

  constructor(io: NativeIo, fd: number, host: string) {
    super();
    this.#io = io;
    this.#fd = fd;
    this.#host = host;
    this.#family = isIP(host) === 6 ? 'IPv6' : 'IPv4';
    this.#port = io.addon.port(fd);
  }

  address(): AddressInfo {
    return { address: this.#host, family: this.#family, port: this.#port };
  }

  send(msg: Uint8Array, offset: number, length: number, port?: number, address?: string, callback?: (err: Error | null) => void): void {
    const bytes = offset === 0 ? msg : msg.subarray(offset, offset + length);
    const r = this.#closed ? -9 : address === undefined ? this.#io.addon.send(this.#fd, bytes, length, 0, 0) : this.#io.addon.send(this.#fd, bytes, length, 0, 0, address, port);
    const err = r < 0 ? errnoError(r, 'send') : null;
    if (callback) process.nextTick(callback, err);
    else if (err) this.emit('error', err);
  }

  sendAt(msg: Uint8Array, length: number, dueMs: number, flags: number, port?: number, address?: string): void {
    if (this.#closed) return;
    const r = address === undefined ? this.#io.addon.send(this.#fd, msg, length, this.#io.clock(dueMs), flags) : this.#io.addon.send(this.#fd, msg, length, this.#io.clock(dueMs), flags, address, port);
    if (r < 0) this.emit('error', errnoError(r, 'send'));
  }

  cancelQueued(): number {
    return this.#closed ? 0 : this.#io.addon.cancel(this.#fd);
  }

  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    const host = typeof address === 'string' ? address : '127.0.0.1';
    const cb = (typeof address === 'function' ? address : callback) as ((err?: Error) => void) | undefined;
    let err: Error | undefined;
    try {
      this.#io.addon.connect(this.#fd, host, port);
    } catch (e) {
      err = e as Error;
    }
    if (cb) process.nextTick(cb, err);
    else if (err) this.emit('error', err);
  }

  disconnect(): void {
    if (!this.#closed) this.#io.addon.disconnect(this.#fd);
  }

  close(callback?: () => void): this {
    if (!this.#closed) {
      this.#closed = true;
      this.#io.closed(this.#fd);
      process.nextTick(() => this.emit('close'));
    }
    if (callback) process.nextTick(callback);
    return this;
  }

  /** A datagram of the batch (NativeIo's drain): `src` the source's IPv4 address as a number, or -1 for IPv6 */
  received(batch: Buffer, at: number, len: number, port: number, src: number): void {
    if (this.#closed) return;
    let from = this.#src;
    // the source's address is made into text only when it changes (an IPv6 one is compared by its bytes)
    const changed = from === null || port !== from.port || src !== this.#srcV4 || (src < 0 && batch.compare(this.#srcV6, 0, 16, at + 12, at + REC_HEADER) !== 0);
    if (changed) {
      const a = batch.subarray(at + 12, at + REC_HEADER);
      const address = src >= 0 ? `${a[0]}.${a[1]}.${a[2]}.${a[3]}` : ipv6(a);
      from = { address, family: src >= 0 ? 'IPv4' : 'IPv6', port, size: len };
      this.#src = from;
      this.#srcV4 = src;
      if (src < 0) a.copy(this.#srcV6);
    }
    from = from!;
    from.size = len;
    this.emit('message', batch.subarray(at + REC_HEADER, at + REC_HEADER + len), from);
  }
}

/** The canonical text of a 16-byte IPv6 address (RFC 5952, as node:dgram prints it). */
function ipv6(a: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return new URL(`http://[${parts.join(':')}]/`).hostname.slice(1, -1);
}
