/**
 * Tinkoff VoiceKit v1 as JavaScript objects: proto/vendor/tinkoff/cloud/{stt,tts}/v1 loaded by
 * @grpc/proto-loader with camelCase fields, enums as names, int64 as numbers, defaults filled in,
 * and each oneof's name holding which member is set.
 */
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { vendorProtoPath } from '../../proto-path.js';

/** google.protobuf.Duration */
export interface DurationMsg {
  seconds: number;
  nanos: number;
}

export interface RecognitionConfigMsg {
  encoding: 'LINEAR16' | string;
  sampleRateHertz: number;
  languageCode: string;
  maxAlternatives: number;
  profanityFilter: boolean;
  speechContexts: { phrases: { text: string; score: number }[] }[];
  enableAutomaticPunctuation: boolean;
  model: string;
  numChannels: number;
  vadConfig?: { silenceDurationThreshold: number } | null;
  vad?: 'vadConfig' | 'doNotPerformVad';
  enableDenormalization: boolean;
}

export interface StreamingRecognizeRequestMsg {
  streamingConfig?: {
    config: RecognitionConfigMsg;
    singleUtterance: boolean;
    interimResultsConfig: { enableInterimResults: boolean; interval: number };
  } | null;
  audioContent?: Uint8Array | null;
  streamingRequest?: 'streamingConfig' | 'audioContent';
}

export interface WordInfoMsg {
  startTime: DurationMsg | null;
  endTime: DurationMsg | null;
  word: string;
  confidence: number;
}

export interface SpeechRecognitionResultMsg {
  alternatives: { transcript: string; confidence: number; words: WordInfoMsg[] }[];
  channel: number;
  startTime: DurationMsg | null;
  endTime: DurationMsg | null;
}

export interface StreamingRecognizeResponseMsg {
  results: { recognitionResult: SpeechRecognitionResultMsg | null; isFinal: boolean; stability: number }[];
}

export interface SynthesizeSpeechRequestMsg {
  input: { text?: string; ssml?: string };
  voice: { name: string };
  audioConfig: { audioEncoding: 'LINEAR16'; sampleRateHertz: number; speakingRate: number };
}

export interface StreamingSynthesizeSpeechResponseMsg {
  audioChunk: Uint8Array;
}

export interface TinkoffMethods {
  StreamingRecognize: MethodDefinition<StreamingRecognizeRequestMsg, StreamingRecognizeResponseMsg>;
  StreamingSynthesize: MethodDefinition<SynthesizeSpeechRequestMsg, StreamingSynthesizeSpeechResponseMsg>;
}

export const STT_SERVICE = 'tinkoff.cloud.stt.v1.SpeechToText';
export const TTS_SERVICE = 'tinkoff.cloud.tts.v1.TextToSpeech';
const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true } as const;

let loaded: { stt: Record<string, MethodDefinition<unknown, unknown>>; tts: Record<string, MethodDefinition<unknown, unknown>> } | undefined;

/** Both services' definitions, loaded once (the fake in tests serves the same). */
export function tinkoffServices(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const stt = loadSync(vendorProtoPath('tinkoff/cloud/stt/v1/stt.proto'), LOADER_OPTIONS);
  const tts = loadSync(vendorProtoPath('tinkoff/cloud/tts/v1/tts.proto'), LOADER_OPTIONS);
  loaded = {
    stt: stt[STT_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>,
    tts: tts[TTS_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>,
  };
  return loaded;
}

export function tinkoffMethods(): TinkoffMethods {
  const s = tinkoffServices();
  return {
    StreamingRecognize: s.stt.StreamingRecognize as unknown as TinkoffMethods['StreamingRecognize'],
    StreamingSynthesize: s.tts.StreamingSynthesize as unknown as TinkoffMethods['StreamingSynthesize'],
  };
}

/** A Duration in whole milliseconds (null: 0). */
export function durationMs(d: DurationMsg | null | undefined): number {
  return d ? Math.round(Number(d.seconds) * 1000 + d.nanos / 1e6) : 0;
}
