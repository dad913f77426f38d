/**
 * One AsrStream on vosk-server: one WebSocket per listen (the server keeps one recogniser per
 * connection), or two when the first is lost.
 *
 *   write() -> FRAME_SAMPLES binary frames -> replay (audio since the last final) -> socket
 *   each frame's answer, in order -> #onPartial() | #onResult() -> EventQueue -> events()
 *   end() -> {"eof" : 1} -> the last result -> the server closes
 *   cancel() -> {"eof" : 1}, answers ignored -> the server closes (FINISH_GRACE_MS later: terminate)
 *
 * Vosk reports no speech start: the first non-empty partial stands for it, so speech-start
 * comes late by the decoder's lag (a word shows in a partial a few hundred ms into it) plus up to
 * a frame. A result brings speech-end and the final (or no-match), with the result's word times.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { SpeechError } from '../../../core/index.js';
import { SAMPLE_RATE_HZ, type AsrEvent, type AsrStream, type RecognizeOptions, type WordTiming } from '../../ports.js';
import { EventQueue } from '../../event-queue.js';
import { Grammar, UNK } from './grammar.js';
import { configMessage, EOF_MESSAGE, parseVoskMessage, secondsToSample, type VoskMessage, type VoskWord } from './messages.js';

/** What the engine gives each of its streams. */
export interface Ctx {
  url: string;
  deadlineMs: number;
  stats: VoskStats;
}

/** The engine's counters (VoskEngine.stats()). */
export interface VoskStats {
  /** streams whose events have not ended */
  streamsInUse: number;
  /** streams re-opened on a new connection after losing theirs */
  reopened: number;
}

const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
/**
 * Audio per WebSocket frame: 100 ms. vosk-server answers every frame with a JSON text frame and
 * hands every frame to a decoding thread, so 20 ms RTP frames would be five times the traffic and
 * thread hops; its own test client sends 200 ms. 100 ms keeps partials timely. There is no flush
 * of a short frame on a pause: Kaldi finds an endpoint only in audio it is given, so a phone that
 * stops sending gets no result either way; end() sends what is held.
 */
const FRAME_SAMPLES = 100 * SAMPLES_PER_MS;
/** Audio a re-opened connection may replay: the longest answer a listen waits for (15 s) and some. */
const REPLAY_MAX_SAMPLES = 20 * SAMPLE_RATE_HZ;
/** Audio kept before the server's first partial, so an answer cut by a lost connection is replayed whole. */
const REPLAY_LEAD_SAMPLES = 2 * SAMPLE_RATE_HZ;
/**
 * How long a cancelled or ended stream's server may take to answer what it was sent before the
 * socket is cut. A loaded server answers late, not never; cutting fast only adds work for it.
 */
const FINISH_GRACE_MS = 30_000;

const ms = (sample: number): number => Math.round(sample / SAMPLES_PER_MS);

/** One WebSocket of a stream. */
class Connection {
  readonly ws: WebSocket;
  readonly startedAt = performance.now();
  opened = false;
  /** The stream's sample index of the connection's first sample: its word times start there. */
  base = 0;
  /** Per frame (and eof) sent and not answered: the stream sample index its audio reaches, and when it went. */
  readonly awaiting: { upTo: number; at: number }[] = [];
  eofSent = false;
  /** the eof's answer came: the connection did its work */
  finished = false;
  error: Error | null = null;

  constructor(url: string, deadlineMs: number) {
    // perMessageDeflate off: PCM does not compress, and asr_server.py's websockets would spend CPU on it.
    this.ws = new WebSocket(url, { handshakeTimeout: deadlineMs, perMessageDeflate: false });
  }
}

/**
 * Wire states: open -> ended (eof sent or waiting to be: end() or cancel()) -> done (the eof's
 * answer, a failure, or the socket cut). A connection that closes before the eof's answer is
 * re-opened once, and the audio since the last final is sent again first; events the new
 * connection repeats are dropped. A second loss fails the stream with SPEECH_UNAVAILABLE.
 */
export class VoskAsrStream implements AsrStream {
  readonly #ctx: Ctx;
  readonly #opts: RecognizeOptions;
  readonly #grammar: Grammar | null;
  readonly #queue: EventQueue<AsrEvent>;
  #conn: Connection;
  #state: 'open' | 'ended' | 'done' = 'open';
  #cancelled = false;
  #reopened = false;
  /** frames since the last final, oldest first: what a new connection is sent first */
  #replay: { start: number; pcm: Int16Array }[] = [];
  #written = 0;
  /** the stream sample index the server has answered up to */
  #heard = 0;
  #pending = new Int16Array(FRAME_SAMPLES);
  #pendingSamples = 0;
  /** a speech-start was delivered and no result since */
  #inSpeech = false;
  #lastInterim = '';
  #lastFinalAtMs = -1;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(ctx: Ctx, opts: RecognizeOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#grammar = opts.grammar && opts.grammar.length > 0 ? new Grammar(opts.grammar) : null;
    this.#queue = new EventQueue<AsrEvent>(() => this.cancel());
    ctx.stats.streamsInUse++;
    this.#conn = this.#connect();
  }

  /** Sends 8 kHz PCM in FRAME_SAMPLES frames. Ignored after end(), cancel() or a failure. */
  write(pcm: Int16Array): void {
    if (this.#state !== 'open') return;
    let at = 0;
    while (at < pcm.length) {
      const n = Math.min(pcm.length - at, FRAME_SAMPLES - this.#pendingSamples);
      this.#pending.set(pcm.subarray(at, at + n), this.#pendingSamples);
      this.#pendingSamples += n;
      at += n;
      if (this.#pendingSamples === FRAME_SAMPLES) this.#flush();
    }
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#flush();
    this.#state = 'ended';
    if (this.#conn.opened) this.#sendEof(this.#conn);
  }

  /**
   * Ends events() at once. On the wire it is the eof, as at end(): asr_server.py closes the
   * connection after answering it, while a client that just closes makes its handler fail
   * (ConnectionClosed in recv()) and log an error per listen step.
   */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#queue.close(true);
    if (this.#state === 'done') return;
    this.#pendingSamples = 0;
    this.end();
    this.#watch();
  }

  /** speech-start, interim (when asked), speech-end, final | no-match, in order. Leaving the loop cancels. */
  events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  #connect(): Connection {
    const c = new Connection(this.#ctx.url, this.#ctx.deadlineMs);
    c.ws.binaryType = 'nodebuffer';
    c.ws.on('open', () => this.#onOpen(c));
    c.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      // binaryType 'nodebuffer': every message, text or binary, arrives as one Buffer
      if (c === this.#conn) this.#onMessage(c, data as Buffer, isBinary);
    });
    c.ws.on('error', (err: Error) => {
      c.error ??= err;
    });
    // ws emits 'close' after every 'error', a failed handshake's too.
    c.ws.on('close', (code: number, reason: Buffer) => {
      if (c === this.#conn) this.#onClose(c, code, reason.toString());
    });
    this.#conn = c;
    this.#watch();
    return c;
  }

  #onOpen(c: Connection): void {
    if (c !== this.#conn || this.#state === 'done') return;
    c.opened = true;
    c.base = this.#replay[0]?.start ?? this.#written;
    if (this.#cancelled) {
      // nothing to hear: the eof alone lets the server close cleanly
      this.#sendEof(c);
      return;
    }
    const config = { sample_rate: SAMPLE_RATE_HZ, words: 1 as const, max_alternatives: 0 as const };
    c.ws.send(configMessage(this.#grammar ? { ...config, phrase_list: this.#grammar.phraseList() } : config));
    for (const f of this.#replay) this.#send(c, f.pcm, f.start + f.pcm.length);
    if (this.#state === 'ended') this.#sendEof(c);
  }

  #flush(): void {
    if (this.#pendingSamples === 0) return;
    // a copy per frame: ws may hold it until the socket drains, and the replay keeps it
    const pcm = this.#pending.slice(0, this.#pendingSamples);
    this.#pendingSamples = 0;
    this.#replay.push({ start: this.#written, pcm });
    this.#written += pcm.length;
    // before speech, only the lead is worth replaying; never drop what the server has not heard
    if (!this.#inSpeech) this.#dropBefore(Math.min(this.#heard, this.#written) - REPLAY_LEAD_SAMPLES);
    const held = this.#written - (this.#replay[0]?.start ?? this.#written);
    if (held > REPLAY_MAX_SAMPLES) this.#replay.shift();
    if (this.#conn.opened) this.#send(this.#conn, pcm, this.#written);
  }

  #dropBefore(sample: number): void {
    let n = 0;
    while (n < this.#replay.length && this.#replay[n]!.start + this.#replay[n]!.pcm.length <= sample) n++;
    if (n > 0) this.#replay.splice(0, n);
  }

  #send(c: Connection, pcm: Int16Array, upTo: number): void {
    // 16-bit samples in the machine's byte order: little-endian on every platform Node runs
    // zvonar on, which is what vosk-api reads (it casts the bytes to short*).
    c.ws.send(pcm);
    c.awaiting.push({ upTo, at: performance.now() });
    this.#watch();
  }

  #sendEof(c: Connection): void {
    if (c.eofSent) return;
    c.eofSent = true;
    c.ws.send(EOF_MESSAGE);
    c.awaiting.push({ upTo: this.#written, at: performance.now() });
    this.#watch();
  }

  #onMessage(c: Connection, data: Buffer, isBinary: boolean): void {
    if (this.#state === 'done') return;
    const answered = c.awaiting.shift();
    if (isBinary) return this.#broken(`a binary frame of ${data.length} bytes`);
    if (!answered) return this.#broken('an answer to no frame');
    this.#heard = Math.max(this.#heard, answered.upTo);
    const msg = parseVoskMessage(data.toString('utf8'));
    if (typeof msg === 'string') return this.#broken(msg);
    if (!this.#queue.done) this.#onAnswer(c, msg, answered.upTo);
    if (c.eofSent && c.awaiting.length === 0) {
      // the eof's answer: the server closes now; closing too saves waiting for it
      c.finished = true;
      this.#settle();
      this.#queue.close();
      c.ws.close(1000);
    }
    this.#watch();
  }

  #onAnswer(c: Connection, msg: VoskMessage, upTo: number): void {
    if (msg.kind === 'partial') {
      const text = msg.text.trim();
      if (text === '') return;
      if (!this.#inSpeech) {
        this.#inSpeech = true;
        this.#queue.push({ type: 'speech-start', atMs: ms(upTo) });
      }
      if (this.#opts.interim === true && text !== this.#lastInterim) {
        this.#lastInterim = text;
        this.#queue.push({ type: 'interim', text, atMs: ms(upTo) });
      }
      return;
    }
    const words = msg.words;
    const startSample = words.length > 0 ? c.base + secondsToSample(words[0]!.start) : upTo;
    const endSample = words.length > 0 ? c.base + secondsToSample(words[words.length - 1]!.end) : upTo;
    const text = msg.text.trim();
    const wasInSpeech = this.#inSpeech;
    this.#inSpeech = false;
    this.#lastInterim = '';
    // an endpoint in silence (Kaldi's 5 s rule): nothing was said
    if (text === '' && !wasInSpeech) return;
    const atMs = ms(endSample);
    // a re-opened connection hearing again what was already answered
    if (atMs <= this.#lastFinalAtMs) return;
    this.#lastFinalAtMs = atMs;
    this.#dropBefore(endSample);
    if (!wasInSpeech) this.#queue.push({ type: 'speech-start', atMs: ms(startSample) });
    this.#queue.push({ type: 'speech-end', atMs });
    const confidence = meanConf(words);
    if (this.#grammar) {
      const phrase = this.#grammar.match(text);
      if (phrase === null) this.#queue.push({ type: 'no-match', atMs, confidence });
      else this.#queue.push(final(phrase, confidence, atMs, ms(startSample), words, c.base));
      return;
    }
    // no grammar: an [unk] is no word to act on; nothing else left means nothing was understood
    const said = text.split(' ').filter((w) => w !== UNK && w !== '').join(' ');
    if (said !== '') this.#queue.push(final(said, confidence, atMs, ms(startSample), words, c.base));
  }

  #onClose(c: Connection, code: number, reason: string): void {
    if (this.#state === 'done') return;
    if (c.finished || this.#cancelled) {
      this.#settle();
      this.#queue.close();
      return;
    }
    const ctx = this.#ctx;
    if (c.opened && !this.#reopened) {
      this.#reopened = true;
      ctx.stats.reopened++;
      this.#connect();
      return;
    }
    const why = c.opened
      ? `closed the connection mid-stream (${code}${reason ? ` ${reason}` : ''})${this.#reopened ? ', after a re-open' : ''}`
      : `${c.error?.message ?? `closed with ${code}`}`;
    this.#fail(unavailable(ctx, `ASR ${ctx.url} unreachable: ${why}`, this.#opts.callId, c.error));
  }

  /**
   * One timer per stream, for the oldest thing it waits for: the connection to open, or the
   * answer to the oldest frame (vosk-server answers every frame, so a silent server is a stalled one).
   */
  #watch(): void {
    if (this.#state === 'done' || this.#watchdog) return;
    const due = this.#due();
    if (due === null) return;
    this.#watchdog = setTimeout(() => this.#onWatchdog(), Math.max(0, due - performance.now()));
    this.#watchdog.unref();
  }

  #due(): number | null {
    const c = this.#conn;
    const limit = this.#cancelled ? Math.max(FINISH_GRACE_MS, this.#ctx.deadlineMs) : this.#ctx.deadlineMs;
    if (!c.opened) return c.startedAt + limit;
    const oldest = c.awaiting[0];
    return oldest ? oldest.at + limit : null;
  }

  #onWatchdog(): void {
    this.#watchdog = undefined;
    if (this.#state === 'done') return;
    const due = this.#due();
    if (due === null) return;
    if (due > performance.now()) return this.#watch();
    if (this.#cancelled) {
      this.#settle();
      this.#conn.ws.terminate();
      return;
    }
    const ctx = this.#ctx;
    const what = this.#conn.opened ? `no answer within ${ctx.deadlineMs} ms` : `could not connect within ${ctx.deadlineMs} ms`;
    this.#fail(unavailable(ctx, `ASR ${ctx.url} unreachable: ${what}`, this.#opts.callId, null));
  }

  #broken(why: string): void {
    const url = this.#ctx.url;
    this.#fail(
      new SpeechError('SPEECH_PROTOCOL', `Vosk server ${url} broke the protocol: ${why}`, { address: url, side: 'asr', callId: this.#opts.callId }, {
        permanent: true,
        hint: 'is it alphacep/vosk-server (websocket/asr_server.py) at that address?',
      }),
    );
  }

  #fail(err: SpeechError): void {
    this.#queue.fail(err);
    this.#settle();
    this.#conn.ws.terminate();
  }

  #settle(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#ctx.stats.streamsInUse--;
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#replay = [];
  }
}

function meanConf(words: readonly VoskWord[]): number {
  // no words (a server before vosk-server 0.3.30 ignores "words"): Vosk gives no confidence, the text stands
  if (words.length === 0) return 1;
  let sum = 0;
  for (const w of words) sum += w.conf;
  return sum / words.length;
}

function final(text: string, confidence: number, atMs: number, startMs: number, words: readonly VoskWord[], base: number): AsrEvent {
  const timings: WordTiming[] = words.map((w) => ({ word: w.word, startMs: ms(base + secondsToSample(w.start)), endMs: ms(base + secondsToSample(w.end)) }));
  return { type: 'final', text, confidence, atMs, startMs, ...(timings.length > 0 ? { words: timings } : {}) };
}

export function unavailable(ctx: Ctx, message: string, callId: string | undefined, cause: Error | null): SpeechError {
  return new SpeechError('SPEECH_UNAVAILABLE', message, { address: ctx.url, side: 'asr', callId }, {
    permanent: false,
    ...(cause ? { cause } : {}),
    hint: `is vosk-server running and listening at ${ctx.url}? (docker compose --profile vosk up -d vosk)`,
  });
}
