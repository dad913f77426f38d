/**
 * What vosk-server's WebSocket protocol carries (websocket/asr_server.py in alphacep/vosk-server,
 * the JSON from vosk-api's src/recognizer.cc), and the checks on what comes back.
 *
 *   zvonar -> server   text   {"config": {"sample_rate": 8000, "words": 1, "max_alternatives": 0, "phrase_list"?: [...]}}
 *                      binary 16-bit little-endian PCM; one answer per frame
 *                      text   {"eof" : 1}   (compared as a string: the spelling is the protocol)
 *   server -> zvonar   {"partial": "..."}                                    while an utterance goes on
 *                      {"result": [{conf, end, start, word}...], "text": "..."}  at an endpoint or eof
 *                      {"text": ""}                                          an endpoint with nothing heard
 *
 * The server answers every audio frame and the eof with exactly one text frame, in order, and
 * closes the connection after the eof's answer. Word times are seconds from the connection's
 * first sample; conf is Kaldi's MBR word posterior, 0..1.
 */
import { SAMPLE_RATE_HZ } from '../../ports.js';

/**
 * asr_server.py matches this exact string (`message == '{"eof" : 1}'`); `{"eof":1}` is not it
 * and would be fed to the recogniser as audio.
 */
export const EOF_MESSAGE = '{"eof" : 1}';

export interface VoskConfig {
  sample_rate: number;
  /** per-word times and confidences in results (vosk-server 0.3.30 and later honour it) */
  words: 1;
  /** 0: the plain {result, text} answer, not {alternatives: [...]} */
  max_alternatives: 0;
  /**
   * A runtime grammar: vosk-api builds a bigram language model from these phrases (only words in
   * the model's vocabulary; others are dropped with a warning). Only models that ship HCLr.fst
   * and Gr.fst (the small ones, e.g. vosk-model-small-ru-0.22) apply it; big models (e.g.
   * vosk-model-ru-0.42, HCLG.fst) log "Runtime graphs are not supported by this model" and
   * recognise open vocabulary.
   */
  phrase_list?: string[];
}

export function configMessage(config: VoskConfig): string {
  return JSON.stringify({ config });
}

export interface VoskWord {
  word: string;
  /** seconds from the connection's first sample */
  start: number;
  end: number;
  conf: number;
}

export type VoskMessage = { kind: 'partial'; text: string } | { kind: 'result'; text: string; words: VoskWord[] };

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A server text frame as a message, or why it breaks the protocol. */
export function parseVoskMessage(raw: string): VoskMessage | string {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch {
    return `a frame that is not JSON: ${JSON.stringify(raw.slice(0, 60))}`;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return `a frame that is not a JSON object: ${raw.slice(0, 60)}`;
  const o = obj as Record<string, unknown>;
  if ('partial' in o) {
    return typeof o.partial === 'string' ? { kind: 'partial', text: o.partial } : '"partial" is not a string';
  }
  if ('alternatives' in o) return 'an {"alternatives": ...} answer, though zvonar asks for max_alternatives 0';
  if (!('text' in o)) return `a frame with neither "partial" nor "text": ${raw.slice(0, 60)}`;
  if (typeof o.text !== 'string') return '"text" is not a string';
  const words: VoskWord[] = [];
  if ('result' in o) {
    if (!Array.isArray(o.result)) return '"result" is not an array';
    for (const w of o.result as unknown[]) {
      const x = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
      if (typeof x.word !== 'string' || !isNumber(x.start) || !isNumber(x.end) || !isNumber(x.conf)) {
        return `a result word without word, start, end and conf: ${JSON.stringify(w)}`;
      }
      if (x.start < 0 || x.end < x.start) return `word "${x.word}" ends (${x.end} s) before it starts (${x.start} s)`;
      if (x.conf < 0 || x.conf > 1) return `word "${x.word}" has conf ${x.conf} outside 0..1`;
      words.push({ word: x.word, start: x.start, end: x.end, conf: x.conf });
    }
  }
  return { kind: 'result', text: o.text, words };
}

/** Seconds as vosk-api counts them to the stream's sample index. */
export function secondsToSample(s: number): number {
  return Math.round(s * SAMPLE_RATE_HZ);
}
