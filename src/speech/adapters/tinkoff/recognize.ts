/**
 * Tinkoff StreamingRecognize as zvonar's AsrEvents, for one stream.
 *
 *   interim result (text)  -> speech-start (the first of a phrase), interim (when asked)
 *   final result           -> speech-end at the phrase's end, then final (its words and times)
 *   final, empty transcript -> speech-end only: a sound, no words
 *
 * VoiceKit v1 has no voice-activity event, so interim results are always asked for: the first one
 * is the speech start barge-in listens for. RecognizeOptions.hints and grammar go as a speech
 * context (phrases of 5 characters or more: the service's documentation discourages shorter ones).
 */
import type { AsrEvent, RecognizeOptions } from '../../ports.js';
import { SAMPLE_RATE_HZ } from '../../ports.js';
import type { AsrWire } from '../../vendor-grpc.js';
import { durationMs, tinkoffMethods, type StreamingRecognizeRequestMsg, type StreamingRecognizeResponseMsg } from './wire.js';

export interface TinkoffAsrSettings {
  normalize: boolean;
  /** seconds of silence that end a phrase; null: the service's default */
  silenceS: number | null;
  hintScore: number;
}

/** VoiceKit's advice: phrases shorter than this degrade recognition. */
const MIN_HINT_CHARS = 5;
/** seconds between interim results, a wish the service may round */
const INTERIM_INTERVAL_S = 0.3;

export function tinkoffAsrWire(s: TinkoffAsrSettings, o: RecognizeOptions): AsrWire<StreamingRecognizeRequestMsg, StreamingRecognizeResponseMsg> {
  let inSpeech = false;
  let lastInterim = '';
  const phrases = [...new Set([...(o.grammar ?? []), ...(o.hints ?? [])])].filter((p) => p.trim().length >= MIN_HINT_CHARS);

  return {
    rpc: 'StreamingRecognize',
    method: tinkoffMethods().StreamingRecognize,
    config: () => ({
      streamingConfig: {
        config: {
          encoding: 'LINEAR16',
          sampleRateHertz: SAMPLE_RATE_HZ,
          languageCode: o.language,
          maxAlternatives: 1,
          profanityFilter: false,
          speechContexts: phrases.length > 0 ? [{ phrases: phrases.map((text) => ({ text, score: s.hintScore })) }] : [],
          enableAutomaticPunctuation: false,
          model: '',
          numChannels: 1,
          ...(s.silenceS !== null ? { vadConfig: { silenceDurationThreshold: s.silenceS } } : {}),
          enableDenormalization: s.normalize,
        },
        singleUtterance: false,
        interimResultsConfig: { enableInterimResults: true, interval: INTERIM_INTERVAL_S },
      },
    }),
    audio: (audioContent) => ({ audioContent }),
    read(res) {
      const out: AsrEvent[] = [];
      for (const r of res.results ?? []) {
        const rr = r.recognitionResult;
        if (!rr) return 'a result without recognition_result';
        const startMs = durationMs(rr.startTime);
        const endMs = durationMs(rr.endTime);
        if (endMs < startMs) return `a result ending at ${endMs} ms before it starts at ${startMs} ms`;
        const alt = rr.alternatives[0];
        if (!r.isFinal) {
          if (!alt || alt.transcript.trim() === '') continue;
          if (!inSpeech) {
            inSpeech = true;
            out.push({ type: 'speech-start', atMs: startMs });
          }
          if (o.interim === true && alt.transcript !== lastInterim) out.push({ type: 'interim', text: alt.transcript, atMs: endMs });
          lastInterim = alt.transcript;
          continue;
        }
        if (!alt) return 'a final result with no alternatives';
        lastInterim = '';
        const text = alt.transcript.trim();
        if (text === '') {
          if (inSpeech) out.push({ type: 'speech-end', atMs: endMs });
          inSpeech = false;
          continue;
        }
        if (!Number.isFinite(alt.confidence)) return `confidence ${alt.confidence}`;
        const words = [];
        for (const w of alt.words) {
          const ws = durationMs(w.startTime);
          const we = durationMs(w.endTime);
          if (we < ws) return `word "${w.word}" ends at ${we} ms before it starts at ${ws} ms`;
          words.push({ word: w.word, startMs: ws, endMs: we });
        }
        if (!inSpeech) out.push({ type: 'speech-start', atMs: startMs });
        inSpeech = false;
        out.push({ type: 'speech-end', atMs: endMs });
        out.push({
          type: 'final',
          text,
          // "a relative confidence factor": its scale is not documented; the port wants 0..1.
          confidence: Math.min(1, Math.max(0, alt.confidence)),
          atMs: endMs,
          startMs,
          ...(words.length > 0 ? { words } : {}),
        });
      }
      return out;
    },
    flush: () => [],
  };
}
