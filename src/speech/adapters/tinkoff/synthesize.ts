/**
 * A Tinkoff StreamingSynthesize request for one prompt. SSML goes as input.ssml (VoiceKit takes
 * SSML), plain text as input.text; the audio comes as LINEAR16 at ttsSampleRateHz and is brought
 * to 8 kHz (decimate.ts) unless it already is.
 */
import { isSsml, SAMPLE_RATE_HZ, type SynthesizeRequest } from '../../ports.js';
import type { TtsWire } from '../../vendor-grpc.js';
import { decimator48to8 } from './decimate.js';
import { tinkoffMethods, type StreamingSynthesizeSpeechResponseMsg, type SynthesizeSpeechRequestMsg } from './wire.js';

export interface TinkoffTtsSettings {
  voice: string;
  sampleRateHz: 8000 | 48000;
}

export function tinkoffTtsWire(s: TinkoffTtsSettings): TtsWire<SynthesizeSpeechRequestMsg, StreamingSynthesizeSpeechResponseMsg> {
  return {
    rpc: 'StreamingSynthesize',
    method: tinkoffMethods().StreamingSynthesize,
    audio: (res) => res.audioChunk ?? new Uint8Array(0),
    ...(s.sampleRateHz === SAMPLE_RATE_HZ ? {} : { resampler: decimator48to8 }),
  };
}

export function tinkoffRequest(s: TinkoffTtsSettings, req: SynthesizeRequest): SynthesizeSpeechRequestMsg {
  return {
    input: isSsml(req.text) ? { ssml: req.text } : { text: req.text },
    voice: { name: req.voice ?? s.voice },
    // 0 is "unset" on the wire; VoiceKit's range is 0.33..3.
    audioConfig: { audioEncoding: 'LINEAR16', sampleRateHertz: s.sampleRateHz, speakingRate: req.rate ?? 0 },
  };
}
