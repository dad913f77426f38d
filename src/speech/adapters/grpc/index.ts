/**
 * The gRPC speech client: a connection to one engine that implements
 * proto/zvonar/speech/v1/speech.proto, giving the Tts and Asr ports. This is an adapter: only
 * src/app imports it.
 *
 *   synthesize.ts  Synthesize: a server stream per prompt; asked again if its connection
 *                       is lost before any audio
 *   recognize.ts   Recognize: a bidi stream per listen; re-opened, its audio replayed, if
 *                       its connection is lost
 *   calls.ts       what both share: the call context, status -> SpeechError (the re-open
 *                       budget and the event queue are in ../../grpc-plumbing.ts, shared
 *                       with the vendor adapters)
 *   channel-pool.ts     the HTTP/2 connections the streams take in turn
 *
 * The connection itself holds the options, GetCapabilities, the counters and closing.
 */
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { ChannelPool } from './channel-pool.js';
import { broken, fromStatus, type Ctx, type SpeechStats } from './calls.js';
import { GrpcAsrStream } from './recognize.js';
import { synthesize } from './synthesize.js';
import type { SpeechCapabilities, SpeechEngine, SpeechHealth } from '../../ports.js';
import { speechService } from '../../contract.js';

export type { SpeechStats } from './calls.js';

/** A connection to one speech engine that implements proto/zvonar/speech/v1/speech.proto. */
export interface SpeechConnection extends SpeechEngine {
  readonly tts: NonNullable<SpeechEngine['tts']>;
  readonly asr: NonNullable<SpeechEngine['asr']>;
  /** Counts since connect, for benches and health checks. */
  stats(): SpeechStats;
}

export interface ConnectSpeechOptions {
  /**
   * How long the engine may keep zvonar waiting (default 5000 ms): to connect, to answer
   * GetCapabilities, and between two Synthesize chunks. Recognize streams have no overall
   * deadline, since a callee may stay silent; they only have to connect in this time. A stream
   * that loses its connection is re-opened only within this time of the loss.
   */
  deadlineMs?: number;
  /**
   * HTTP/2 connections to the engine (default 4); streams take them in turn, so one lost
   * connection interrupts 1/connections of the calls' streams, and those re-open on another.
   */
  connections?: number;
  /** for logs and metrics (default "grpc <address>") */
  name?: string;
}

const DEFAULT_DEADLINE_MS = 5000;
const DEFAULT_CONNECTIONS = 4;

/**
 * Connects lazily to the engine at address ("host:port"). Nothing is sent until the first call;
 * a dead engine shows up as SpeechError on that call, within deadlineMs, never as a hang.
 */
export function connectSpeech(address: string, opts: ConnectSpeechOptions = {}): SpeechConnection {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const service = speechService();
  const pool = new ChannelPool(address, opts.connections ?? DEFAULT_CONNECTIONS);
  const ctx: Ctx = { pool, address, deadlineMs, stats: { resets: 0, reopened: 0 } };

  const unary = <Req, Res>(m: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res }, req: Req): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      pool.pick().makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err || res === undefined) reject(err ?? new Error('no response'));
        else resolve(res);
      });
    });

  const capabilities = (): Promise<SpeechCapabilities> =>
    unary(service.GetCapabilities, {}).then(
      (res) => {
        if (!res || typeof res.engine !== 'string' || !Array.isArray(res.languages)) {
          throw broken(ctx, 'GetCapabilities', 'Capabilities without engine or languages', undefined);
        }
        return {
          engine: res.engine,
          languages: [...res.languages],
          voices: [...(res.voices ?? [])],
          streamingRecognize: res.streamingRecognize === true,
          streamingSynthesize: res.streamingSynthesize === true,
          grammar: res.grammar === true,
          interim: res.interimResults === true,
          maxStreams: res.maxConcurrentStreams > 0 ? res.maxConcurrentStreams : null,
        };
      },
      (err: ServiceError) => {
        throw fromStatus(ctx, 'asr', 'GetCapabilities', err, undefined);
      },
    );

  return {
    name: opts.name ?? `grpc ${address}`,
    tts: { synthesize: (req, signal) => synthesize(ctx, req, signal) },
    asr: { recognize: (o) => new GrpcAsrStream(ctx, o) },
    capabilities,
    async health(): Promise<SpeechHealth> {
      try {
        const h = await unary(service.Health, {});
        return { serving: h.serving === true, streamsInUse: h.streamsInUse, maxStreams: h.maxConcurrentStreams > 0 ? h.maxConcurrentStreams : null, backlogMs: h.backlogMs ?? 0, requestMs: h.requestMs ?? 0 };
      } catch (err) {
        // an engine of the contract's first edition has no Health: it serves if it answers GetCapabilities
        if ((err as ServiceError).code !== status.UNIMPLEMENTED) throw fromStatus(ctx, 'asr', 'Health', err as ServiceError, undefined);
        const caps = await capabilities();
        return { serving: true, streamsInUse: 0, maxStreams: caps.maxStreams };
      }
    },
    close: () => pool.close(),
    stats: () => ({ ...ctx.stats }),
  };
}
