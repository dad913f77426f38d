/**
 * The Synthesize side of the gRPC speech client (index.ts): a prompt's text in, 8 kHz PCM
 * out, on one server stream. synthesize() picks the connection and re-asks on another when one
 * is lost before any audio; synthesizeOn() is one call on one connection. The plumbing both
 * sides share is in calls.ts and ../../grpc-plumbing.ts.
 */
import type { Client } from '@grpc/grpc-js';
import { SpeechError } from '../../../core/index.js';
import { broken, fromStatus, silent, type Ctx } from './calls.js';
import { EventQueue, isServiceError, lostConnection, pipe, Reconnects } from '../../grpc-plumbing.js';
import { isSsml, SAMPLE_RATE_HZ, type SynthesizeRequest } from '../../ports.js';
import { linear16ToPcm, speechService } from '../../contract.js';
import type { SynthesizeResponseMsg } from '../../contract.js';

/**
 * Speaks req.text. A stream that loses its connection before any audio is asked again on
 * another connection (at most MAX_RECONNECTS times, within deadlineMs: Reconnects in
 * ../../grpc-plumbing.ts); one that loses it mid-speech fails, since a second synthesis need not give the
 * same audio to resume from.
 */
export async function* synthesize(ctx: Ctx, req: SynthesizeRequest, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  const reconnects = new Reconnects(ctx.deadlineMs);
  let client: Client | undefined;
  for (;;) {
    client = ctx.pool.pick(client);
    let heard = false;
    try {
      for await (const pcm of synthesizeOn(ctx, client, req, signal)) {
        heard = true;
        yield pcm;
      }
      return;
    } catch (err) {
      const lost = err instanceof SpeechError && isServiceError(err.cause) && lostConnection(err.cause);
      if (heard || !lost || signal?.aborted || !reconnects.allow()) throw err;
      ctx.stats.reopened++;
    }
  }
}

/** One Synthesize call on one channel. */
async function* synthesizeOn(ctx: Ctx, client: Client, req: SynthesizeRequest, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  if (signal?.aborted) return;
  const m = speechService().Synthesize;
  const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, {
    text: req.text,
    language: req.language,
    voice: req.voice ?? '',
    format: { encoding: 'LINEAR16', sampleRateHz: SAMPLE_RATE_HZ },
    callId: req.callId ?? '',
    ssml: isSsml(req.text),
    rate: req.rate ?? 0,
  });
  let cancelled = false;
  let finished = false;
  call.on('status', () => {
    finished = true;
  });
  // The only RST_STREAM zvonar sends on a healthy engine: barge-in and hang-up stop a prompt
  // being spoken. A few per call at most, spread over the pool's connections: at 300 calls of
  // 30 s, about 10 a second, a third of what one connection's rapid-reset limit refills.
  const stop = (): void => {
    if (cancelled || finished) return;
    cancelled = true;
    ctx.stats.resets++;
    call.cancel();
  };
  const queue = new EventQueue<Int16Array>(stop);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      queue.fail(silent(ctx, 'tts', 'Synthesize', 'sent no audio', req.callId));
      stop();
    }, ctx.deadlineMs);
  };
  pipe<SynthesizeResponseMsg>(
    call,
    queue,
    (res) => {
      if (queue.done) return;
      const audio = res.audio;
      if (!(audio instanceof Uint8Array) || audio.length % 2 !== 0) {
        queue.fail(broken(ctx, 'Synthesize', `a LINEAR16 chunk of ${audio?.length} bytes (must be even)`, req.callId));
        stop();
        return;
      }
      arm();
      if (audio.length > 0) queue.push(linear16ToPcm(audio));
    },
    (err) => (cancelled || timedOut ? null : fromStatus(ctx, 'tts', 'Synthesize', err, req.callId)),
  );
  signal?.addEventListener('abort', stop, { once: true });
  arm();
  try {
    for await (const pcm of queue) {
      if (signal?.aborted) return;
      yield pcm;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    if (!queue.done || signal?.aborted) stop();
  }
}
