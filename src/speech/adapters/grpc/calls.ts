/**
 * What the Synthesize and Recognize calls share (synthesize.ts, recognize.ts): the context a
 * connection gives each call and the SpeechErrors built from an engine's status. The generic
 * parts (the status table, lostConnection(), Reconnects, EventQueue, pipe()) are in
 * ../../grpc-plumbing.ts, shared with the vendor adapters.
 *
 *   status -> lostConnection() ? Reconnects.allow() -> re-open : fromStatus() -> SpeechError
 */
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { SpeechError } from '../../../core/index.js';
import { statusFailure } from '../../grpc-plumbing.js';
import type { ChannelPool } from './channel-pool.js';

/** The connection's counters (connectSpeech().stats(); index.ts re-exports the type). */
export interface SpeechStats {
  /** RST_STREAMs zvonar sent: Synthesize stopped early, Recognize broken or not finished by the engine */
  resets: number;
  /** streams re-opened on another connection after losing theirs */
  reopened: number;
}

/** What a connection gives each of its calls: the calls count into its stats. */
export interface Ctx {
  pool: ChannelPool;
  address: string;
  deadlineMs: number;
  stats: SpeechStats;
}

/** Which half of the engine a call used: recognition or synthesis. */
export type SpeechSide = 'asr' | 'tts';

export function fromStatus(ctx: Ctx, side: SpeechSide, rpc: string, err: ServiceError, callId: string | undefined): SpeechError {
  const failure = statusFailure(err);
  const name = status[err.code] ?? String(err.code);
  const where = { address: ctx.address, callId, side };
  if (failure === 'unavailable') {
    return new SpeechError('SPEECH_UNAVAILABLE', `${side.toUpperCase()} ${ctx.address} unreachable: ${rpc} ended ${name}: ${err.details}`, where, {
      permanent: false,
      cause: err,
      hint: `is the speech engine running and listening at ${ctx.address}?`,
    });
  }
  return new SpeechError('SPEECH_PROTOCOL', `speech engine ${ctx.address} rejected ${rpc}: ${name}: ${err.details}`, where, {
    permanent: true,
    cause: err,
  });
}

export function broken(ctx: Ctx, rpc: string, why: string, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_PROTOCOL', `speech engine ${ctx.address} broke the contract in ${rpc}: ${why}`, { address: ctx.address, callId }, {
    permanent: true,
  });
}

export function silent(ctx: Ctx, side: SpeechSide, rpc: string, what: string, callId: string | undefined): SpeechError {
  return new SpeechError('SPEECH_UNAVAILABLE', `${side.toUpperCase()} ${ctx.address} unreachable: ${rpc} ${what} within ${ctx.deadlineMs} ms`, { address: ctx.address, callId, side }, {
    permanent: false,
    hint: `is the speech engine running and listening at ${ctx.address}?`,
  });
}

