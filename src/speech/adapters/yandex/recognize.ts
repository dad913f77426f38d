/**
 * Yandex RecognizeStreaming as zvonar's AsrEvents, for one stream.
 *
 *   partial (text)        -> speech-start (the first of an utterance), interim (when asked)
 *   final                 -> held until its final_refinement when normalisation is on; else final
 *   eou_update            -> speech-end
 *   final_refinement      -> final, with the normalised text ("в 9:40" for "в девять сорок")
 *   status_code, others   -> nothing (keep-alives, warnings, kinds newer than this subset)
 *
 * v3 has no voice-activity event: the first partial with text is the speech start (Yandex sends
 * partials as soon as it hears words), so it comes with the first word, not the first sound.
 */
import type { AsrEvent, RecognizeOptions, WordTiming } from '../../ports.js';
import { SAMPLE_RATE_HZ } from '../../ports.js';
import type { AsrWire } from '../../vendor-grpc.js';
import { yandexMethods, type AlternativeMsg, type StreamingRequestMsg, type StreamingResponseMsg } from './wire.js';

export interface YandexAsrSettings {
  model: string;
  normalize: boolean;
  eouSensitivity: 'DEFAULT' | 'HIGH';
  maxPauseBetweenWordsHintMs: number;
}

type Final = Extract<AsrEvent, { type: 'final' }>;

export function yandexAsrWire(s: YandexAsrSettings, o: RecognizeOptions): AsrWire<StreamingRequestMsg, StreamingResponseMsg> {
  let inSpeech = false;
  let lastInterim = '';
  /** a final waiting for its normalised text, by final_index */
  let held: { index: number; final: Final } | null = null;
  let finals = 0;

  const release = (): AsrEvent[] => {
    if (!held) return [];
    const ev = held.final;
    held = null;
    return [ev];
  };

  return {
    rpc: 'RecognizeStreaming',
    method: yandexMethods().RecognizeStreaming,
    config: () => ({
      sessionOptions: {
        recognitionModel: {
          model: s.model,
          audioFormat: { rawAudio: { audioEncoding: 'LINEAR16_PCM', sampleRateHertz: SAMPLE_RATE_HZ, audioChannelCount: 1 } },
          textNormalization: {
            textNormalization: s.normalize ? 'TEXT_NORMALIZATION_ENABLED' : 'TEXT_NORMALIZATION_DISABLED',
            profanityFilter: false,
            literatureText: false,
          },
          languageRestriction: { restrictionType: 'WHITELIST', languageCode: [o.language] },
          audioProcessingType: 'REAL_TIME',
        },
        eouClassifier: { defaultClassifier: { type: s.eouSensitivity, maxPauseBetweenWordsHintMs: s.maxPauseBetweenWordsHintMs } },
      },
    }),
    audio: (data) => ({ chunk: { data } }),
    read(res) {
      switch (res.Event) {
        case 'partial': {
          const alt = res.partial?.alternatives[0];
          if (!alt || alt.text.trim() === '') return [];
          const bad = badTimes(alt);
          if (bad) return `partial: ${bad}`;
          const out: AsrEvent[] = release();
          if (!inSpeech) {
            inSpeech = true;
            out.push({ type: 'speech-start', atMs: alt.words[0]?.startTimeMs ?? alt.startTimeMs });
          }
          if (o.interim === true && alt.text !== lastInterim) out.push({ type: 'interim', text: alt.text, atMs: alt.endTimeMs });
          lastInterim = alt.text;
          return out;
        }
        case 'final': {
          const out = release();
          const index = res.audioCursors?.finalIndex ?? finals;
          finals++;
          const alt = res.final?.alternatives[0];
          // A final without words closes a stretch of noise or silence: nothing was said.
          if (!alt || alt.text.trim() === '') return out;
          const bad = badTimes(alt);
          if (bad) return `final: ${bad}`;
          lastInterim = '';
          const final = toFinal(alt);
          if (s.normalize) held = { index, final };
          else out.push(final);
          return out;
        }
        case 'finalRefinement': {
          const r = res.finalRefinement;
          if (!held || !r || r.finalIndex !== held.index) return [];
          const alt = r.normalizedText?.alternatives[0];
          if (!alt || alt.text.trim() === '') return release();
          const bad = badTimes(alt);
          if (bad) return `final_refinement: ${bad}`;
          const raw = held.final;
          held = null;
          // The normalised text may come without times or words; the raw final has them.
          const final = toFinal(alt);
          if (alt.endTimeMs === 0) Object.assign(final, { atMs: raw.atMs, startMs: raw.startMs });
          if (!final.words && raw.words) final.words = raw.words;
          return [final];
        }
        case 'eouUpdate': {
          if (!inSpeech) return [];
          inSpeech = false;
          return [{ type: 'speech-end', atMs: res.eouUpdate?.timeMs ?? 0 }];
        }
        default:
          return [];
      }
    },
    flush: () => release(),
  };
}

function toFinal(alt: AlternativeMsg): Final {
  const words: WordTiming[] = alt.words.map((w) => ({ word: w.text, startMs: w.startTimeMs, endMs: w.endTimeMs }));
  return {
    type: 'final',
    text: alt.text,
    // Alternative.confidence is documented "currently not used" (0): a final is what Yandex is sure of.
    confidence: alt.confidence > 0 && alt.confidence <= 1 ? alt.confidence : 1,
    atMs: alt.endTimeMs,
    startMs: alt.startTimeMs,
    ...(words.length > 0 ? { words } : {}),
  };
}

/** Why an alternative's times cannot be right, or null. */
function badTimes(alt: AlternativeMsg): string | null {
  if (!(alt.endTimeMs >= alt.startTimeMs && alt.startTimeMs >= 0)) return `end_time_ms ${alt.endTimeMs} before start_time_ms ${alt.startTimeMs}`;
  for (const w of alt.words) {
    if (!(w.endTimeMs >= w.startTimeMs && w.startTimeMs >= 0)) return `word "${w.text}" ends at ${w.endTimeMs} ms before it starts at ${w.startTimeMs} ms`;
  }
  return null;
}
