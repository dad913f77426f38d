/**
 * Yandex SpeechKit API v3 behind the speech ports: RecognizeStreaming for Asr,
 * UtteranceSynthesis for Tts, spoken over the public gRPC protocol (the subset in
 * proto/vendor/yandex). This is an adapter: only src/app imports it.
 *
 *   recognize.ts    StreamingResponse -> AsrEvents (partials, finals and their normalised text, EOU)
 *   synthesize.ts   a prompt -> requests of at most 250 characters, SSML -> SpeechKit markup
 *   wire.ts         the messages and the loaded services
 *   ../../vendor-grpc.ts   the calls themselves, shared with adapters/tinkoff
 *
 * Credentials come from the environment or a file (never from dialog YAML) and never appear in
 * an error message.
 */
import { Metadata } from '@grpc/grpc-js';
import { ConfigError } from '../../../core/index.js';
import type { RecognizeOptions, SpeechCapabilities, SpeechEngine, SpeechHealth, SynthesizeRequest } from '../../ports.js';
import { CredentialsFile } from '../../vendor-credentials.js';
import { channelUp, vendorClient, VendorAsrStream, vendorSynthesize, type VendorEndpoint } from '../../vendor-grpc.js';
import { yandexAsrWire } from './recognize.js';
import { yandexRequests, yandexTtsWire } from './synthesize.js';

export const YANDEX_STT_ENDPOINT = 'stt.api.cloud.yandex.net:443';
export const YANDEX_TTS_ENDPOINT = 'tts.api.cloud.yandex.net:443';

/** Voices zvonar offers by name, with their language (SpeechKit's list of v3 voices has more; any name is passed on). */
export const YANDEX_VOICES: ReadonlyMap<string, string> = new Map([
  ['alena', 'ru-RU'],
  ['filipp', 'ru-RU'],
  ['ermil', 'ru-RU'],
  ['jane', 'ru-RU'],
  ['madirus', 'ru-RU'],
  ['omazh', 'ru-RU'],
  ['zahar', 'ru-RU'],
  ['john', 'en-US'],
]);

export interface YandexOptions {
  /** host:port of recognition (default stt.api.cloud.yandex.net:443) */
  sttEndpoint?: string;
  /** host:port of synthesis (default tts.api.cloud.yandex.net:443) */
  ttsEndpoint?: string;
  /** plain-text HTTP/2 instead of TLS: only for a local fake in tests */
  insecure?: boolean;
  /**
   * A JSON or YAML file with apiKey (or iamToken) and folderId, read instead of the environment,
   * and read again when it changes (an IAM token lives 12 hours).
   */
  credentialsFile?: string;
  /** where YANDEX_API_KEY / YANDEX_IAM_TOKEN / YANDEX_FOLDER_ID are read (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** how long Yandex may keep zvonar waiting: to connect, between synthesis chunks, to finish a stream after its audio (default 5000 ms) */
  deadlineMs?: number;
  /** default voice (default "alena"); SynthesizeRequest.voice overrides it */
  voice?: string;
  /** a voice's role hint ("neutral", "good", ...), when the voice has roles */
  role?: string;
  /** recognition model (default "general") */
  model?: string;
  /** numbers, dates and times as digits in finals (default true) */
  normalize?: boolean;
  /** end-of-utterance detector: "DEFAULT" (conservative) or "HIGH" (faster, more false ends) */
  eouSensitivity?: 'DEFAULT' | 'HIGH';
  /** a hint for the longest pause inside an answer, e.g. a patient dictating digits (0: Yandex's default) */
  maxPauseBetweenWordsHintMs?: number;
  /** the account's stream quota, as capabilities() reports it (default null: unknown) */
  maxStreams?: number | null;
  /** use recognition (default true) */
  recognition?: boolean;
  /** use synthesis (default true) */
  synthesis?: boolean;
}

const DEFAULT_DEADLINE_MS = 5000;
const CREDENTIALS_HINT =
  'check YANDEX_API_KEY (a service account API key) or YANDEX_IAM_TOKEN (it expires after 12 hours) and YANDEX_FOLDER_ID, ' +
  'or the credentialsFile; the account needs the ai.speechkit-stt.user / ai.speechkit-tts.user role';

interface YandexAuth {
  /** "Api-Key ..." or "Bearer ..." */
  authorization: string;
  folderId: string | null;
  secrets: string[];
}

/** The authorization in force: from the file when one is given, else from the environment. Throws ConfigError without one. */
function authSource(opts: YandexOptions): () => YandexAuth {
  const file = opts.credentialsFile ? new CredentialsFile(opts.credentialsFile, 'yandex') : null;
  const env = opts.env ?? process.env;
  const read = (): YandexAuth | null => {
    const f = file?.fields();
    const apiKey = f ? (f.apiKey ?? f.api_key) : env.YANDEX_API_KEY?.trim();
    const iamToken = f ? (f.iamToken ?? f.iam_token) : env.YANDEX_IAM_TOKEN?.trim();
    const folderId = (f ? (f.folderId ?? f.folder_id) : env.YANDEX_FOLDER_ID?.trim()) || null;
    if (apiKey) return { authorization: `Api-Key ${apiKey}`, folderId, secrets: [apiKey] };
    if (iamToken) return { authorization: `Bearer ${iamToken}`, folderId, secrets: [iamToken] };
    return null;
  };
  let last = read();
  if (!last) {
    const from = file ? `credentials file ${file.path} has neither apiKey nor iamToken` : 'neither YANDEX_API_KEY nor YANDEX_IAM_TOKEN is set';
    throw new ConfigError('CONFIG_INVALID', `yandex speech: ${from}`, file ? { path: file.path } : {}, { hint: CREDENTIALS_HINT });
  }
  return () => {
    last = read() ?? last;
    return last!;
  };
}

/**
 * Connects lazily to Yandex SpeechKit: nothing is sent until the first call, and a dead or
 * refusing service shows up as SpeechError on that call, within deadlineMs. Throws
 * ConfigError('CONFIG_INVALID' | 'CONFIG_NOT_FOUND') at once when there are no credentials.
 */
export function connectYandex(opts: YandexOptions = {}): SpeechEngine {
  const auth = authSource(opts);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const streams = { open: 0 };
  const insecure = opts.insecure === true;
  const metadata = (): Metadata => {
    const a = auth();
    const md = new Metadata();
    md.set('authorization', a.authorization);
    if (a.folderId) md.set('x-folder-id', a.folderId);
    return md;
  };
  const side = (s: 'asr' | 'tts', address: string): VendorEndpoint => ({
    engine: 'yandex',
    side: s,
    address,
    client: vendorClient(address, insecure),
    deadlineMs,
    metadata,
    secrets: () => auth().secrets,
    credentialsHint: CREDENTIALS_HINT,
    streams,
  });
  const asrSide = opts.recognition === false ? null : side('asr', opts.sttEndpoint ?? YANDEX_STT_ENDPOINT);
  const ttsSide = opts.synthesis === false ? null : side('tts', opts.ttsEndpoint ?? YANDEX_TTS_ENDPOINT);
  const asrSettings = {
    model: opts.model ?? 'general',
    normalize: opts.normalize ?? true,
    eouSensitivity: opts.eouSensitivity ?? 'DEFAULT',
    maxPauseBetweenWordsHintMs: opts.maxPauseBetweenWordsHintMs ?? 0,
  } as const;
  const defaultVoice = opts.voice ?? 'alena';
  // The default voice speaks its own language; a prompt in another takes the first voice of that one.
  const voiceFor = (language: string): string => {
    const own = YANDEX_VOICES.get(defaultVoice);
    if (own === undefined || own === language) return defaultVoice;
    for (const [voice, lang] of YANDEX_VOICES) if (lang === language) return voice;
    return defaultVoice;
  };
  const ttsSettings = { voice: voiceFor, role: opts.role ?? null, loudness: 'LUFS' } as const;
  const maxStreams = opts.maxStreams ?? null;
  let closed = false;

  const capabilities: SpeechCapabilities = {
    engine: 'yandex',
    languages: [...new Set(YANDEX_VOICES.values())],
    voices: ttsSide ? [...YANDEX_VOICES.keys()] : [],
    streamingRecognize: asrSide !== null,
    streamingSynthesize: ttsSide !== null,
    // v3 streaming takes no phrase hints or grammars: RecognizeOptions.hints and grammar are not sent.
    grammar: false,
    interim: asrSide !== null,
    maxStreams,
  };

  return {
    name: 'yandex',
    ...(asrSide ? { asr: { recognize: (o: RecognizeOptions) => new VendorAsrStream(asrSide, yandexAsrWire(asrSettings, o), o.callId) } } : {}),
    ...(ttsSide
      ? {
          tts: {
            synthesize: (req: SynthesizeRequest, signal?: AbortSignal) =>
              vendorSynthesize(ttsSide, yandexTtsWire(), yandexRequests(ttsSettings, req), signal, req.callId),
          },
        }
      : {}),
    capabilities: () => Promise.resolve({ ...capabilities, languages: [...capabilities.languages], voices: [...capabilities.voices] }),
    health: (): Promise<SpeechHealth> =>
      Promise.resolve({
        serving: !closed && [asrSide, ttsSide].every((s) => !s || channelUp(s.client)),
        streamsInUse: streams.open,
        maxStreams,
      }),
    close: () => {
      if (closed) return;
      closed = true;
      asrSide?.client.close();
      ttsSide?.client.close();
    },
  };
}
