import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { endianness } from 'node:os';
import { speechProtoPath } from './proto-path.js';

/*
 * proto/zvonar/speech/v1/speech.proto as JavaScript objects, the shape @grpc/proto-loader gives
 * with the options below: camelCase fields, enums as their names (an unknown value arrives as its
 * number), defaults filled in, and the oneof's name holding which member is set.
 */

export type Encoding = 'ENCODING_UNSPECIFIED' | 'LINEAR16' | 'PCMU' | 'PCMA';

export interface AudioFormatMsg {
  encoding: Encoding | number;
  sampleRateHz: number;
}

export interface RecognitionConfigMsg {
  language: string;
  format: AudioFormatMsg | null;
  hints: string[];
  callId: string;
  interimResults: boolean;
  grammar: { phrases: string[] } | null;
}

export interface RecognizeRequestMsg {
  config?: RecognitionConfigMsg | null;
  audio?: Uint8Array | null;
  request?: 'config' | 'audio';
}

export interface SpeechEventMsg {
  type: 'TYPE_UNSPECIFIED' | 'SPEECH_START' | 'SPEECH_END' | number;
  offsetMs: number;
}

export interface RecognitionResultMsg {
  transcript: string;
  confidence: number;
  isFinal: boolean;
  startOffsetMs: number;
  endOffsetMs: number;
  words: { word: string; startOffsetMs: number; endOffsetMs: number }[];
  language: string;
}

export interface NoMatchMsg {
  startOffsetMs: number;
  endOffsetMs: number;
  confidence: number;
}

export interface RecognizeResponseMsg {
  event?: SpeechEventMsg | null;
  result?: RecognitionResultMsg | null;
  noMatch?: NoMatchMsg | null;
  response?: 'event' | 'result' | 'noMatch';
}

export interface SynthesizeRequestMsg {
  text: string;
  language: string;
  voice: string;
  format: AudioFormatMsg | null;
  callId: string;
  ssml: boolean;
  rate: number;
}

export interface SynthesizeResponseMsg {
  audio: Uint8Array;
}

export type GetCapabilitiesRequestMsg = Record<string, never>;

export interface CapabilitiesMsg {
  engine: string;
  languages: string[];
  voices: string[];
  encodings: (Encoding | number)[];
  sampleRatesHz: number[];
  streamingRecognize: boolean;
  streamingSynthesize: boolean;
  interimResults: boolean;
  grammar: boolean;
  maxConcurrentStreams: number;
  voiceInfo: { name: string; language: string }[];
  ssml: boolean;
}

export type HealthRequestMsg = Record<string, never>;

export interface HealthStatusMsg {
  serving: boolean;
  streamsInUse: number;
  maxConcurrentStreams: number;
  backlogMs: number;
  requestMs: number;
}

export interface SpeechMethods {
  Recognize: MethodDefinition<RecognizeRequestMsg, RecognizeResponseMsg>;
  Synthesize: MethodDefinition<SynthesizeRequestMsg, SynthesizeResponseMsg>;
  GetCapabilities: MethodDefinition<GetCapabilitiesRequestMsg, CapabilitiesMsg>;
  Health: MethodDefinition<HealthRequestMsg, HealthStatusMsg>;
}

const SERVICE = 'zvonar.speech.v1.Speech';
let loaded: (SpeechMethods & ServiceDefinition) | undefined;

/** The Speech service's methods, loaded once from speech.proto. */
export function speechService(): SpeechMethods & ServiceDefinition {
  if (loaded) return loaded;
  const pkg = loadSync(speechProtoPath(), { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  loaded = pkg[SERVICE] as unknown as SpeechMethods & ServiceDefinition;
  return loaded;
}

/** Every platform Node supports in practice is little-endian; the loops cover the others. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** 16-bit little-endian bytes to samples, copied; the caller checks the length is even. */
export function linear16ToPcm(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length >> 1);
  if (LITTLE_ENDIAN) {
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2));
    return pcm;
  }
  for (let i = 0, j = 0; i < pcm.length; i++, j += 2) {
    pcm[i] = (((bytes[j] as number) | ((bytes[j + 1] as number) << 8)) << 16) >> 16;
  }
  return pcm;
}

/** Samples to 16-bit little-endian bytes, copied (the caller may reuse its buffer at once). */
export function pcmToLinear16(pcm: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  const bytes = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) bytes.writeInt16LE(pcm[i] as number, i * 2);
  return bytes;
}
