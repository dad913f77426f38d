/**
 * Tinkoff VoiceKit behind the speech ports: SpeechToText/StreamingRecognize for Asr,
 * TextToSpeech/StreamingSynthesize for Tts, spoken over the public gRPC protocol (the subset in
 * proto/vendor/tinkoff). This is an adapter: only src/app imports it.
 *
 *   recognize.ts    StreamingRecognizeResponse -> AsrEvents (interims, finals with words, phrase ends)
 *   synthesize.ts   a prompt -> one request; decimate.ts brings 48 kHz LINEAR16 to 8 kHz
 *   jwt.ts          the per-call JWT signed with the secret key
 *   wire.ts         the messages and the loaded services
 *   ../../vendor-grpc.ts   the calls themselves, shared with adapters/yandex
 *
 * Credentials come from the environment or a file (never from dialog YAML) and never appear in
 * an error message.
 */
import { Metadata } from '@grpc/grpc-js';
import { ConfigError } from '../../../core/index.js';
import type { RecognizeOptions, SpeechCapabilities, SpeechEngine, SpeechHealth, SynthesizeRequest } from '../../ports.js';
import { CredentialsFile } from '../../vendor-credentials.js';
import { channelUp, vendorClient, VendorAsrStream, vendorSynthesize, type VendorEndpoint } from '../../vendor-grpc.js';
import { VoiceKitJwt } from './jwt.js';
import { tinkoffAsrWire } from './recognize.js';
import { tinkoffRequest, tinkoffTtsWire } from './synthesize.js';

export const TINKOFF_ENDPOINT = 'api.tinkoff.ai:443';

/** Voices zvonar offers by name (VoiceKit's styles such as "alyona:sad" pass too: any name is sent as given). */
export const TINKOFF_VOICES: readonly string[] = ['alyona', 'dorofeev', 'maxim', 'flirt'];

export interface TinkoffOptions {
  /** host:port of both services (default api.tinkoff.ai:443) */
  endpoint?: string;
  /** plain-text HTTP/2 instead of TLS: only for a local fake in tests */
  insecure?: boolean;
  /** a JSON or YAML file with apiKey and secretKey, read instead of the environment, and again when it changes */
  credentialsFile?: string;
  /** where TINKOFF_API_KEY / TINKOFF_SECRET_KEY (or VOICEKIT_API_KEY / VOICEKIT_SECRET_KEY) are read (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** the JWT's iss and sub claims (default "test_issuer" / "test_user", as VoiceKit's examples send) */
  issuer?: string;
  subject?: string;
  /** how long VoiceKit may keep zvonar waiting: to connect, between synthesis chunks, to finish a stream after its audio (default 5000 ms) */
  deadlineMs?: number;
  /** default voice (default "alyona"); SynthesizeRequest.voice overrides it */
  voice?: string;
  /** the rate synthesis is asked for: 48000 (default; the only one VoiceKit's examples say LINEAR16 has), decimated to 8 kHz here, or 8000 */
  ttsSampleRateHz?: 8000 | 48000;
  /** numerals as digits in finals (enable_denormalization; default true) */
  normalize?: boolean;
  /** seconds of silence that end a phrase (vad_config.silence_duration_threshold; default the service's) */
  silenceS?: number;
  /** weight of RecognizeOptions.hints and grammar phrases (VoiceKit recommends 1..10; default 3) */
  hintScore?: number;
  /** the account's stream quota, as capabilities() reports it (default null: unknown) */
  maxStreams?: number | null;
  /** use recognition (default true) */
  recognition?: boolean;
  /** use synthesis (default true) */
  synthesis?: boolean;
}

const DEFAULT_DEADLINE_MS = 5000;
const CREDENTIALS_HINT =
  'check TINKOFF_API_KEY and TINKOFF_SECRET_KEY (the secret is the base64 key VoiceKit issued with the API key), or the credentialsFile';

interface TinkoffKeys {
  apiKey: string;
  secretKey: string;
}

/** The keys in force: from the file when one is given, else from the environment. Throws ConfigError without them. */
function keySource(opts: TinkoffOptions): () => TinkoffKeys {
  const file = opts.credentialsFile ? new CredentialsFile(opts.credentialsFile, 'tinkoff') : null;
  const env = opts.env ?? process.env;
  const read = (): TinkoffKeys | null => {
    const f = file?.fields();
    const apiKey = f ? (f.apiKey ?? f.api_key) : (env.TINKOFF_API_KEY ?? env.VOICEKIT_API_KEY)?.trim();
    const secretKey = f ? (f.secretKey ?? f.secret_key) : (env.TINKOFF_SECRET_KEY ?? env.VOICEKIT_SECRET_KEY)?.trim();
    return apiKey && secretKey ? { apiKey, secretKey } : null;
  };
  let last = read();
  if (!last) {
    const from = file ? `credentials file ${file.path} lacks apiKey or secretKey` : 'TINKOFF_API_KEY or TINKOFF_SECRET_KEY is not set';
    throw new ConfigError('CONFIG_INVALID', `tinkoff speech: ${from}`, file ? { path: file.path } : {}, { hint: CREDENTIALS_HINT });
  }
  return () => {
    last = read() ?? last;
    return last!;
  };
}

/**
 * Connects lazily to VoiceKit: nothing is sent until the first call, and a dead or refusing
 * service shows up as SpeechError on that call, within deadlineMs. Throws
 * ConfigError('CONFIG_INVALID' | 'CONFIG_NOT_FOUND') at once when there are no credentials.
 */
export function connectTinkoff(opts: TinkoffOptions = {}): SpeechEngine {
  const keys = keySource(opts);
  const jwt = new VoiceKitJwt();
  const claims = { iss: opts.issuer ?? 'test_issuer', sub: opts.subject ?? 'test_user' };
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const address = opts.endpoint ?? TINKOFF_ENDPOINT;
  const insecure = opts.insecure === true;
  const streams = { open: 0 };
  const side = (s: 'asr' | 'tts', aud: string): VendorEndpoint => ({
    engine: 'tinkoff',
    side: s,
    address,
    client: vendorClient(address, insecure),
    deadlineMs,
    metadata: () => {
      const k = keys();
      const md = new Metadata();
      md.set('authorization', `Bearer ${jwt.token(k.apiKey, k.secretKey, claims, aud)}`);
      return md;
    },
    secrets: () => {
      const k = keys();
      return [k.apiKey, k.secretKey];
    },
    credentialsHint: CREDENTIALS_HINT,
    streams,
  });
  const asrSide = opts.recognition === false ? null : side('asr', 'tinkoff.cloud.stt');
  const ttsSide = opts.synthesis === false ? null : side('tts', 'tinkoff.cloud.tts');
  const asrSettings = { normalize: opts.normalize ?? true, silenceS: opts.silenceS ?? null, hintScore: opts.hintScore ?? 3 };
  const ttsSettings = { voice: opts.voice ?? 'alyona', sampleRateHz: opts.ttsSampleRateHz ?? 48000 } as const;
  const ttsWire = tinkoffTtsWire(ttsSettings);
  const maxStreams = opts.maxStreams ?? null;
  let closed = false;

  const capabilities: SpeechCapabilities = {
    engine: 'tinkoff',
    // VoiceKit recognises and speaks Russian; language_code is "currently ignored" (stt.proto).
    languages: ['ru-RU'],
    voices: ttsSide ? [...TINKOFF_VOICES] : [],
    streamingRecognize: asrSide !== null,
    streamingSynthesize: ttsSide !== null,
    // speech_contexts bias recognition toward phrases; they do not close it to them.
    grammar: false,
    interim: asrSide !== null,
    maxStreams,
  };

  return {
    name: 'tinkoff',
    ...(asrSide ? { asr: { recognize: (o: RecognizeOptions) => new VendorAsrStream(asrSide, tinkoffAsrWire(asrSettings, o), o.callId) } } : {}),
    ...(ttsSide
      ? {
          tts: {
            synthesize: (req: SynthesizeRequest, signal?: AbortSignal) => vendorSynthesize(ttsSide, ttsWire, [tinkoffRequest(ttsSettings, req)], signal, req.callId),
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
