/**
 * The Vosk adapter: recognition on a self-hosted vosk-server (alphacep/vosk-server,
 * websocket/asr_server.py; the alphacep/kaldi-ru image runs it with vosk-model-ru-0.42), for a
 * clinic whose patients' voices may not leave its own machines. Vosk only recognises: the
 * engine has no tts. This is an adapter: only src/app imports it.
 *
 *   messages.ts     the WebSocket protocol: config, eof, the answers and their checks
 *   grammar.ts      a closed grammar over Vosk's phrase list: a phrase or no-match
 *   recognize.ts    one WebSocket per listen; re-opened once, its audio replayed, if lost
 *   event-queue.ts  callbacks -> async iterator
 *
 * vosk-server has no call that reports what it can do or how loaded it is, so capabilities()
 * and health() open a connection, send the eof and check the answer, and the rest is what this
 * file knows of Vosk and what the operator declares (maxStreams, languages).
 */
import WebSocket from 'ws';
import { ConfigError, SpeechError } from '../../../core/index.js';
import type { AsrStream, SpeechCapabilities, SpeechEngine, SpeechHealth } from '../../ports.js';
import { EventQueue } from '../../event-queue.js';
import { EOF_MESSAGE, parseVoskMessage } from './messages.js';
import { unavailable, VoskAsrStream, type Ctx, type VoskStats } from './recognize.js';

export type { VoskStats } from './recognize.js';

export interface ConnectVoskOptions {
  /** the server's WebSocket address, e.g. ws://127.0.0.1:2700 (asr_server.py's default port) */
  url: string;
  /**
   * How long the server may keep zvonar waiting (default 5000 ms): to connect, and to answer a
   * frame (it answers every one). A listen has no overall deadline, since a callee may stay silent.
   */
  deadlineMs?: number;
  /**
   * Streams the server serves at once, as the operator sizes it (asr_server.py sets no limit
   * and does not say; it decodes on one thread per CPU). Declared in capabilities() and health(), not enforced here.
   */
  maxStreams?: number;
  /** the language of the server's model, BCP 47 (default ['ru-RU']); the server cannot say */
  languages?: string[];
}

/** A Vosk server as a speech engine, with counts for benches and health checks. */
export interface VoskEngine extends SpeechEngine {
  stats(): VoskStats;
}

const DEFAULT_DEADLINE_MS = 5000;

/**
 * Nothing is sent until the first recognize(), capabilities() or health(); a dead server shows
 * up as SpeechError('SPEECH_UNAVAILABLE') from that stream's events() within deadlineMs, never
 * as a hang. Throws ConfigError('CONFIG_INVALID') for a url that is not ws:// or wss://.
 */
export function connectVosk(opts: ConnectVoskOptions): VoskEngine {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigError('CONFIG_INVALID', `Vosk server url ${JSON.stringify(opts.url)} is not a ws:// or wss:// address`, { path: 'url' }, {
      hint: 'e.g. ws://127.0.0.1:2700',
    });
  }
  const ctx: Ctx = { url: opts.url, deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS, stats: { streamsInUse: 0, reopened: 0 } };
  const maxStreams = opts.maxStreams ?? null;
  let closed = false;

  return {
    name: 'vosk',
    asr: {
      recognize: (o) => (closed ? closedStream(unavailable(ctx, `ASR ${ctx.url}: the Vosk engine was closed`, o.callId, null)) : new VoskAsrStream(ctx, o)),
    },
    capabilities: async (): Promise<SpeechCapabilities> => {
      await probe(ctx);
      return {
        engine: 'vosk',
        languages: [...(opts.languages ?? ['ru-RU'])],
        voices: [],
        streamingRecognize: true,
        streamingSynthesize: false,
        // a phrase or no-match on every model; only small models also narrow decoding to the phrases (grammar.ts)
        grammar: true,
        interim: true,
        maxStreams,
      };
    },
    health: async (): Promise<SpeechHealth> => {
      const serving = await probe(ctx).then(
        () => true,
        () => false,
      );
      return { serving, streamsInUse: ctx.stats.streamsInUse, maxStreams };
    },
    close: () => {
      closed = true;
    },
    stats: () => ({ ...ctx.stats }),
  };
}

/**
 * Opens a connection and sends the eof alone: asr_server.py answers {"text": ""} and closes.
 * Resolves then; rejects with SPEECH_UNAVAILABLE (no answer within deadlineMs, refused) or
 * SPEECH_PROTOCOL (an answer that is not Vosk's).
 */
function probe(ctx: Ctx): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(ctx.url, { handshakeTimeout: ctx.deadlineMs, perMessageDeflate: false });
    let settled = false;
    let error: Error | null = null;
    const done = (err: SpeechError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        ws.terminate();
        reject(err);
      } else {
        ws.close(1000);
        resolve();
      }
    };
    const timer = setTimeout(() => done(unavailable(ctx, `ASR ${ctx.url} unreachable: no answer to the eof within ${ctx.deadlineMs} ms`, undefined, null)), ctx.deadlineMs);
    timer.unref();
    ws.on('open', () => ws.send(EOF_MESSAGE));
    ws.on('error', (err) => {
      error ??= err;
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const msg = isBinary ? 'a binary frame' : parseVoskMessage(String(data));
      if (typeof msg !== 'string' && msg.kind === 'result') return done(null);
      const why = typeof msg === 'string' ? msg : 'a partial as the answer to the eof';
      done(new SpeechError('SPEECH_PROTOCOL', `Vosk server ${ctx.url} broke the protocol: ${why}`, { address: ctx.url, side: 'asr' }, { permanent: true }));
    });
    ws.on('close', (code) => done(unavailable(ctx, `ASR ${ctx.url} unreachable: ${error?.message ?? `closed with ${code} before answering`}`, undefined, error)));
  });
}

/** A stream of an engine already closed: its events() throws at once. */
function closedStream(err: SpeechError): AsrStream {
  const queue = new EventQueue<never>(() => {});
  queue.fail(err);
  return { write: () => {}, end: () => {}, cancel: () => queue.close(true), events: () => queue };
}
