// The speech folder's surface: the ports and the modem voice, a pure codec the simulated callees
// use directly. The adapters (adapters/<engine>/: one client per engine behind the ports) and the
// reference server (server/) are not re-exported; only src/app imports them.
export type {
  Asr,
  AsrEvent,
  AsrStream,
  RecognizeOptions,
  SpeechCapabilities,
  SpeechEngine,
  SpeechHealth,
  SynthesizeRequest,
  Tts,
  WordTiming,
} from './ports.js';
export { isSsml, SAMPLE_RATE_HZ } from './ports.js';
export { callPrompts } from './tts-cache.js';
export { modemSpeak } from './modem/fsk-encoder.js';
export { ModemListener } from './modem/fsk-decoder.js';
export type { ModemEvent } from './modem/fsk-decoder.js';
export { speechProtoPath } from './proto-path.js';
export { loadPronunciation, pronouncing, pronunciationFrom, stressMarksFor, type Pronunciation } from './pronunciation.js';
