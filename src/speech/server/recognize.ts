/**
 * The server's Recognize: one stream of the callee's audio, heard two ways at once.
 *
 *   audio -> ModemListener  -> carrier / message: the modem voice, decoded exactly (confidence 1)
 *         -> Utterances     -> speech start / end by voice activity; each utterance's audio, whole,
 *                              to the grammar recogniser (pocketsphinx) -> result | no_match
 *
 * An utterance in which the modem voice was decoded is not given to the recogniser. Without a
 * grammar, or without a recogniser for the language, speech is answered no_match: the reference
 * server understands closed answers only (open-vocabulary Russian needs a vendor engine or Vosk).
 * Results go out in the order the utterances ended; half-close flushes the last one.
 */
import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Vad } from '../../media/index.js';
import { ModemListener } from '../modem/fsk-decoder.js';
import type { ModemEvent } from '../modem/fsk-decoder.js';
import { SAMPLE_RATE_HZ } from '../ports.js';
import type { RecognizeRequestMsg, RecognizeResponseMsg } from '../contract.js';
import { checkFormat, checkLanguage, CODECS, languageMatches, type Codec } from './formats.js';
import type { GrammarRecognizer, UtteranceResult } from './engines.js';

/** Most phrases, and longest phrase, a grammar may hold. */
export const MAX_GRAMMAR_PHRASES = 2000;
export const MAX_PHRASE_CHARS = 200;

export interface RecognitionHost {
  recognizer: GrammarRecognizer | null;
  /** silence that ends an utterance, ms */
  endSilenceMs: number;
  open(): string | null;
  close(): void;
}

const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
const FRAME = 160;
/** audio kept from before speech starts, so a soft first syllable is in the utterance */
const PRE_ROLL_SAMPLES = 300 * SAMPLES_PER_MS;
/** an utterance longer than this is cut and decoded as it is */
const MAX_UTTERANCE_SAMPLES = 15_000 * SAMPLES_PER_MS;

function ms(samples: number): number {
  return Math.round(samples / SAMPLES_PER_MS);
}

/** Cuts the stream into utterances by voice activity; each comes out whole, with its place in the stream. */
class Utterances {
  readonly #vad: Vad;
  readonly #frame = new Int16Array(FRAME);
  #fill = 0;
  /** samples pushed so far */
  #at = 0;
  /** the last PRE_ROLL_SAMPLES, a ring */
  readonly #pre = new Int16Array(PRE_ROLL_SAMPLES);
  #preAt = 0;
  #chunks: Int16Array[] | null = null;
  #size = 0;
  #startSample = 0;

  constructor(endSilenceMs: number) {
    this.#vad = new Vad({ onsetMs: 80, hangoverMs: endSilenceMs });
  }

  get speaking(): boolean {
    return this.#chunks !== null;
  }

  /** Returns the events it causes: a start (with its sample), an utterance that ended. */
  push(pcm: Int16Array, out: (e: { type: 'start'; atSample: number } | { type: 'end'; pcm: Int16Array; startSample: number; endSample: number }) => void): void {
    for (let i = 0; i < pcm.length; ) {
      const n = Math.min(FRAME - this.#fill, pcm.length - i);
      this.#frame.set(pcm.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill < FRAME) break;
      this.#fill = 0;
      this.#frameIn(this.#frame, out);
    }
  }

  #frameIn(frame: Int16Array, out: Parameters<Utterances['push']>[1]): void {
    const ev = this.#vad.push(frame);
    if (this.#chunks) {
      this.#chunks.push(frame.slice());
      this.#size += frame.length;
    } else {
      for (let i = 0; i < frame.length; i++) this.#pre[(this.#preAt + i) % PRE_ROLL_SAMPLES] = frame[i]!;
      this.#preAt = (this.#preAt + frame.length) % PRE_ROLL_SAMPLES;
    }
    this.#at += frame.length;
    if (ev?.type === 'start' && !this.#chunks) {
      const startSample = Math.round(ev.atMs * SAMPLES_PER_MS);
      const pre = Math.min(PRE_ROLL_SAMPLES, this.#at);
      const head = new Int16Array(pre);
      for (let i = 0; i < pre; i++) head[i] = this.#pre[(this.#preAt - pre + i + PRE_ROLL_SAMPLES) % PRE_ROLL_SAMPLES]!;
      this.#chunks = [head];
      this.#size = pre;
      this.#startSample = this.#at - pre;
      out({ type: 'start', atSample: startSample });
    } else if ((ev?.type === 'end' || this.#size >= MAX_UTTERANCE_SAMPLES) && this.#chunks) {
      this.#finish(out);
    }
  }

  /** The stream ended: an utterance still going is over. */
  flush(out: Parameters<Utterances['push']>[1]): void {
    if (this.#chunks) this.#finish(out);
  }

  #finish(out: Parameters<Utterances['push']>[1]): void {
    const pcm = new Int16Array(this.#size);
    let at = 0;
    for (const c of this.#chunks!) {
      pcm.set(c, at);
      at += c.length;
    }
    this.#chunks = null;
    this.#size = 0;
    out({ type: 'end', pcm, startSample: this.#startSample, endSample: this.#startSample + pcm.length });
  }
}

function fail(call: ServerDuplexStream<unknown, unknown>, code: status, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

export function recognize(host: RecognitionHost, call: ServerDuplexStream<RecognizeRequestMsg, RecognizeResponseMsg>): void {
  let listener: ModemListener | null = null;
  let utterances: Utterances | null = null;
  let codec: Codec | undefined;
  let language = '';
  let grammar: string[] = [];
  let failed = false;
  let opened = false;
  let speaking = false;
  /** a modem voice message was decoded in the utterance going on: the recogniser is not asked */
  let modemHeard = false;
  let samples = 0;
  /** results are sent in the order utterances ended */
  let chain: Promise<void> = Promise.resolve();
  const stop = new AbortController();
  const finish = (): void => {
    stop.abort();
    if (opened) host.close();
    opened = false;
  };
  call.on('cancelled', finish);
  call.on('close', finish);

  const bad = (code: status, details: string): void => {
    failed = true;
    finish();
    fail(call, code, details);
  };
  const write = (msg: RecognizeResponseMsg): void => {
    if (!failed && !call.cancelled && !call.writableEnded) call.write(msg);
  };
  const start = (atSample: number): void => {
    if (speaking) return;
    speaking = true;
    write({ event: { type: 'SPEECH_START', offsetMs: ms(atSample) } });
  };
  const end = (atSample: number): void => {
    if (!speaking) return;
    speaking = false;
    write({ event: { type: 'SPEECH_END', offsetMs: ms(atSample) } });
  };
  const onModem = (events: readonly ModemEvent[]): void => {
    for (const ev of events) {
      if (ev.type === 'carrier') {
        // a carrier alone claims nothing: some Russian speech ("хорошо") looks like one for a moment
        start(ev.atSample);
      } else if (ev.type === 'carrier-lost') {
        end(ev.atSample);
      } else {
        modemHeard = true;
        // a frame is only emitted when its CRC-16 holds: the modem voice is certain or silent
        write({
          result: {
            transcript: ev.text, confidence: 1, isFinal: true,
            startOffsetMs: ms(ev.startSample), endOffsetMs: ms(ev.endSample), words: [], language: '',
          },
        });
      }
    }
  };
  const onUtterance = (e: { type: 'start'; atSample: number } | { type: 'end'; pcm: Int16Array; startSample: number; endSample: number }): void => {
    // the modem voice accounts for its own bursts: its carrier starts and ends them
    if (e.type === 'start') {
      if (!modemHeard) start(e.atSample);
      return;
    }
    const wasModem = modemHeard;
    modemHeard = false;
    if (wasModem) return;
    end(e.endSample);
    const recognizer = host.recognizer;
    const able = recognizer && grammar.length > 0 && recognizer.languages.some((l) => languageMatches(l, language));
    const decoded: Promise<UtteranceResult | null> = able
      ? recognizer.recognize(e.pcm, { language, grammar }, stop.signal).catch((err: unknown) => {
        bad(status.UNAVAILABLE, `${recognizer.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      })
      : Promise.resolve({ transcript: null, confidence: 0, words: [] });
    chain = chain.then(async () => {
      const r = await decoded;
      if (!r) return;
      const startOffsetMs = ms(e.startSample);
      const endOffsetMs = ms(e.endSample);
      if (r.transcript === null) {
        write({ noMatch: { startOffsetMs, endOffsetMs, confidence: r.confidence } });
      } else {
        write({
          result: {
            transcript: r.transcript, confidence: r.confidence, isFinal: true, startOffsetMs, endOffsetMs, language,
            words: r.words.map((w) => ({ word: w.word, startOffsetMs: startOffsetMs + w.startMs, endOffsetMs: startOffsetMs + w.endMs })),
          },
        });
      }
    });
  };

  call.on('data', (req: RecognizeRequestMsg) => {
    if (failed || call.cancelled) return;
    if (req.request === 'config' && req.config) {
      if (listener) return bad(status.INVALID_ARGUMENT, 'config arrived twice: only the first RecognizeRequest carries config');
      const cfg = req.config;
      const problem = checkLanguage('config.language', cfg.language) ?? checkFormat('config.format', cfg.format) ?? checkGrammar(cfg.grammar?.phrases ?? []);
      if (problem) return bad(status.INVALID_ARGUMENT, problem);
      const full = host.open();
      if (full) return bad(status.RESOURCE_EXHAUSTED, full);
      opened = true;
      codec = CODECS.get(cfg.format!.encoding);
      language = cfg.language;
      grammar = (cfg.grammar?.phrases ?? []).map((p) => p.trim()).filter((p) => p !== '');
      listener = new ModemListener();
      utterances = new Utterances(host.endSilenceMs);
      return;
    }
    if (req.request === 'audio') {
      if (!listener || !codec || !utterances) return bad(status.INVALID_ARGUMENT, 'audio arrived before config: the first RecognizeRequest must carry config');
      const pcm = codec.decode(req.audio ?? new Uint8Array());
      if (typeof pcm === 'string') return bad(status.INVALID_ARGUMENT, pcm);
      samples += pcm.length;
      onModem(listener.push(pcm));
      utterances.push(pcm, onUtterance);
      return;
    }
    bad(status.INVALID_ARGUMENT, 'a RecognizeRequest carries neither config nor audio');
  });
  call.on('end', () => {
    if (failed || call.cancelled) return;
    if (!listener || !utterances) return bad(status.INVALID_ARGUMENT, 'the request stream ended before config: the first RecognizeRequest must carry config');
    onModem(listener.end());
    utterances.flush(onUtterance);
    void chain.then(() => {
      finish();
      if (failed || call.cancelled) return;
      end(samples);
      call.end();
    });
  });
}

function checkGrammar(phrases: readonly string[]): string | null {
  if (phrases.length > MAX_GRAMMAR_PHRASES) return `config.grammar.phrases has ${phrases.length} phrases; at most ${MAX_GRAMMAR_PHRASES}`;
  const long = phrases.findIndex((p) => p.length > MAX_PHRASE_CHARS);
  if (long >= 0) return `config.grammar.phrases[${long}] is ${phrases[long]!.length} characters; at most ${MAX_PHRASE_CHARS}`;
  return null;
}
