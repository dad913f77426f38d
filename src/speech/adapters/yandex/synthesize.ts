/**
 * Yandex UtteranceSynthesis requests for one prompt. v3 takes at most 250 characters a request
 * (API reference, "gRPC API v3") and no SSML, only its own TTS markup; so SSML from the dialog
 * becomes markup (<break time="300ms"/> -> sil<[300]>, other tags dropped, their text kept) and
 * the text is cut at sentence ends (then commas, then spaces) into requests spoken one after
 * another. The first piece is short anyway, so playback starts sooner.
 */
import { isSsml, SAMPLE_RATE_HZ, type SynthesizeRequest } from '../../ports.js';
import type { TtsWire } from '../../vendor-grpc.js';
import { yandexMethods, type UtteranceSynthesisRequestMsg, type UtteranceSynthesisResponseMsg } from './wire.js';

export const MAX_REQUEST_CHARS = 250;

export interface YandexTtsSettings {
  /** the voice for a language when the request names none */
  voice: (language: string) => string;
  role: string | null;
  loudness: 'LUFS' | 'MAX_PEAK';
}

export function yandexTtsWire(): TtsWire<UtteranceSynthesisRequestMsg, UtteranceSynthesisResponseMsg> {
  return {
    rpc: 'UtteranceSynthesis',
    method: yandexMethods().UtteranceSynthesis,
    audio: (res) => res.audioChunk?.data ?? new Uint8Array(0),
  };
}

export function yandexRequests(s: YandexTtsSettings, req: SynthesizeRequest): UtteranceSynthesisRequestMsg[] {
  const text = isSsml(req.text) ? ssmlToMarkup(req.text) : req.text;
  const hints: UtteranceSynthesisRequestMsg['hints'] = [{ voice: req.voice ?? s.voice(req.language) }];
  if (req.rate !== undefined && req.rate !== 1) hints.push({ speed: req.rate });
  if (s.role) hints.push({ role: s.role });
  return splitText(text, MAX_REQUEST_CHARS).map((piece) => ({
    model: '',
    text: piece,
    hints,
    outputAudioSpec: { rawAudio: { audioEncoding: 'LINEAR16_PCM', sampleRateHertz: SAMPLE_RATE_HZ } },
    loudnessNormalizationType: s.loudness,
    unsafeMode: false,
  }));
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The SSML subset of speech.proto as SpeechKit markup: breaks become sil<[ms]>, other tags go, their text stays. */
export function ssmlToMarkup(ssml: string): string {
  // Breaks go to a placeholder first: the markup itself has angle brackets the tag stripper would take.
  return ssml
    .replace(/<break\b[^>]*?\btime\s*=\s*["'](\d+(?:\.\d+)?)(ms|s)["'][^>]*\/?>/gi, (_m, n: string, unit: string) => ` \u0000${Math.round(Number(n) * (unit === 's' ? 1000 : 1))}\u0001 `)
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ENTITIES[e] ?? '')
    .replace(/\u0000(\d+)\u0001/g, 'sil<[$1]>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Pieces of at most max characters, cut after a sentence end, else after a comma, else at a space, else anywhere. */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const head = rest.slice(0, max + 1);
    const cut = lastBreak(head, /[.!?…]\s/g) ?? lastBreak(head, /[,;:]\s/g) ?? lastBreak(head, /\s/g) ?? max;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== '') out.push(rest);
  return out;
}

/** The index just after the last match's first character, if past a quarter of the text (a cut near the start makes tiny pieces). */
function lastBreak(head: string, re: RegExp): number | null {
  let at: number | null = null;
  for (const m of head.matchAll(re)) if (m.index + 1 <= head.length - 1) at = m.index + 1;
  return at !== null && at > head.length / 4 ? at : null;
}
