/**
 * Yandex SpeechKit v3 as JavaScript objects: proto/vendor/yandex/speechkit/{stt,tts}/v3 loaded
 * by @grpc/proto-loader with camelCase fields, enums as names, int64 as numbers (milliseconds
 * and sample rates fit), defaults filled in, and each oneof's name holding which member is set.
 */
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { vendorProtoPath } from '../../proto-path.js';

export interface RawAudioMsg {
  audioEncoding: 'LINEAR16_PCM' | string;
  sampleRateHertz: number;
  audioChannelCount?: number;
}

export interface StreamingOptionsMsg {
  recognitionModel: {
    model: string;
    audioFormat: { rawAudio: RawAudioMsg };
    textNormalization: { textNormalization: 'TEXT_NORMALIZATION_ENABLED' | 'TEXT_NORMALIZATION_DISABLED'; profanityFilter: boolean; literatureText: boolean };
    languageRestriction: { restrictionType: 'WHITELIST'; languageCode: string[] };
    audioProcessingType: 'REAL_TIME';
  };
  eouClassifier: { defaultClassifier: { type: 'DEFAULT' | 'HIGH'; maxPauseBetweenWordsHintMs: number } };
}

export interface StreamingRequestMsg {
  sessionOptions?: StreamingOptionsMsg | null;
  chunk?: { data: Uint8Array } | null;
  Event?: 'sessionOptions' | 'chunk';
}

export interface WordMsg {
  text: string;
  startTimeMs: number;
  endTimeMs: number;
}

export interface AlternativeMsg {
  words: WordMsg[];
  text: string;
  startTimeMs: number;
  endTimeMs: number;
  confidence: number;
}

export interface AlternativeUpdateMsg {
  alternatives: AlternativeMsg[];
}

export interface StreamingResponseMsg {
  sessionUuid?: { uuid: string; userRequestId: string } | null;
  audioCursors?: { receivedDataMs: number; resetTimeMs: number; partialTimeMs: number; finalTimeMs: number; finalIndex: number; eouTimeMs: number } | null;
  responseWallTimeMs?: number;
  partial?: AlternativeUpdateMsg | null;
  final?: AlternativeUpdateMsg | null;
  eouUpdate?: { timeMs: number } | null;
  finalRefinement?: { finalIndex: number; normalizedText?: AlternativeUpdateMsg | null; Type?: 'normalizedText' } | null;
  statusCode?: { codeType: string; message: string } | null;
  Event?: 'partial' | 'final' | 'eouUpdate' | 'finalRefinement' | 'statusCode';
  channelTag?: string;
}

export type HintMsg = { voice: string } | { speed: number } | { volume: number } | { role: string };

export interface UtteranceSynthesisRequestMsg {
  model: string;
  text: string;
  hints: HintMsg[];
  outputAudioSpec: { rawAudio: RawAudioMsg };
  loudnessNormalizationType: 'LUFS' | 'MAX_PEAK';
  unsafeMode: boolean;
}

export interface UtteranceSynthesisResponseMsg {
  audioChunk?: { data: Uint8Array } | null;
  startMs?: number;
  lengthMs?: number;
}

export interface YandexMethods {
  RecognizeStreaming: MethodDefinition<StreamingRequestMsg, StreamingResponseMsg>;
  UtteranceSynthesis: MethodDefinition<UtteranceSynthesisRequestMsg, UtteranceSynthesisResponseMsg>;
}

export const STT_SERVICE = 'speechkit.stt.v3.Recognizer';
export const TTS_SERVICE = 'speechkit.tts.v3.Synthesizer';
export const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true } as const;

let loaded: { stt: Record<string, MethodDefinition<unknown, unknown>>; tts: Record<string, MethodDefinition<unknown, unknown>> } | undefined;

/** Both services' definitions, loaded once (the fake in tests serves the same). */
export function yandexServices(): typeof loaded & object {
  if (loaded) return loaded;
  const stt = loadSync(vendorProtoPath('yandex/speechkit/stt/v3/stt.proto'), LOADER_OPTIONS);
  const tts = loadSync(vendorProtoPath('yandex/speechkit/tts/v3/tts.proto'), LOADER_OPTIONS);
  loaded = {
    stt: stt[STT_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>,
    tts: tts[TTS_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>,
  };
  return loaded;
}

export function yandexMethods(): YandexMethods {
  const s = yandexServices();
  return {
    RecognizeStreaming: s.stt.RecognizeStreaming as unknown as YandexMethods['RecognizeStreaming'],
    UtteranceSynthesis: s.tts.UtteranceSynthesis as unknown as YandexMethods['UtteranceSynthesis'],
  };
}
