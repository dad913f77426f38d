import { z } from 'zod';
import { closest, ConfigError, isIanaTimeZone, timeZoneProblem, YamlFile } from '../core/index.js';

// Persona names are checked against the simulated network's own list where the configuration is
// read for the engine (src/app/read-config.ts): configuration does not depend on an adapter.
const PersonaName = z.string().regex(/^[a-z][a-z-]*$/, 'a persona name such as agree or busy');

const Port = z.number().int().min(0).max(65_535);
const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const Host = z.string().min(1).max(253);
const E164 = /^\+[1-9]\d{6,14}$/;

/** An IANA zone, checked when the configuration loads rather than when the first contact is. */
const HostPort = z.string().regex(/^[\w.-]+:\d+$/, 'host:port');

/** One speech engine (docs/speech-engines.md). */
const SpeechEngineConfig = z.discriminatedUnion('kind', [
  /** zvonar's own speech server, in this process (what `zvonar speech serve` runs apart) */
  z.strictObject({
    kind: z.literal('embedded'),
    /** synthesisers in order of preference: RHVoice (natural), espeak-ng, the modem voice (exact, for tests) */
    voices: z.array(z.enum(['rhvoice', 'espeak-ng', 'modem'])).min(1).default(['rhvoice', 'espeak-ng', 'modem']),
    /** the voice for a language when the script names none */
    defaultVoices: z.record(z.string(), z.string()).default({ 'ru-RU': 'anna', 'en-US': 'slt' }),
    /** the closed-grammar recogniser for human speech (the modem voice is always decoded) */
    recognizer: z.enum(['pocketsphinx', 'none']).default('pocketsphinx'),
    /** pronunciation dictionaries (YAML) applied to every request in their language */
    pronunciation: z.array(z.string()).default([]),
    /** streams served at once; the dialer starts no calls beyond what this leaves */
    maxStreams: z.number().int().min(2).max(100_000).default(1000),
  }),
  /** any engine that implements proto/zvonar/speech/v1 (e.g. `zvonar speech serve` on another host) */
  z.strictObject({ kind: z.literal('grpc'), address: HostPort }),
  /**
   * Yandex SpeechKit v3 (recognition and synthesis). Credentials come from the environment
   * (YANDEX_API_KEY or YANDEX_IAM_TOKEN, YANDEX_FOLDER_ID) or `credentialsFile`, never from here.
   */
  z.strictObject({
    kind: z.literal('yandex'),
    credentialsFile: z.string().optional(),
    voice: z.string().default('alena'),
    recognition: z.boolean().default(true),
    synthesis: z.boolean().default(true),
    maxStreams: z.number().int().min(1).optional(),
  }),
  /** Tinkoff VoiceKit (recognition and synthesis). Credentials: TINKOFF_API_KEY and TINKOFF_SECRET_KEY, or `credentialsFile`. */
  z.strictObject({
    kind: z.literal('tinkoff'),
    credentialsFile: z.string().optional(),
    voice: z.string().default('alyona'),
    recognition: z.boolean().default(true),
    synthesis: z.boolean().default(true),
    maxStreams: z.number().int().min(1).optional(),
  }),
  /** a self-hosted Vosk server (recognition only): ws://host:2700 */
  z.strictObject({
    kind: z.literal('vosk'),
    url: z.string().regex(/^wss?:\/\/\S+$/, 'ws://host:port'),
    languages: z.array(z.string()).default(['ru-RU']),
    maxStreams: z.number().int().min(1).optional(),
  }),
]);

const TimeZone = z.string().superRefine((tz, ctx) => {
  if (!isIanaTimeZone(tz)) ctx.addIssue({ code: 'custom', message: timeZoneProblem(tz) });
});

export const Trunk = z.strictObject({
  /**
   * the trunk's name in the registry: dialer processes and campaigns that name the same trunk
   * share its CPS and channels (src/registry/trunks.ts)
   */
  name: z.string().regex(/^[\w.-]{1,40}$/, 'letters, digits, dot, dash, underscore').default('default'),
  /** calls per second the trunk accepts, across every process on the registry */
  cps: z.number().positive().default(5),
  /** concurrent calls the trunk carries, across every process on the registry */
  maxChannels: z.number().int().positive().default(30),
  /**
   * channels cold campaigns leave free for warm ones (reminders, confirmations), so that when
   * channels are short the warm calls go first
   */
  warmReserve: z.number().int().min(0).default(0),
  /** DOMAIN.md: 21-26 s, never under 15 s */
  ringTimeoutMs: z.number().int().min(15_000).max(120_000).default(23_000),
  /** caller id we present, E.164 */
  from: z.string().regex(E164, 'must be E.164, e.g. +78632000000'),
});

/** How a number goes into the Request-URI: +79001234567, 79001234567, or 89001234567 (Russian trunks vary). */
const DialFormat = z.enum(['e164', 'digits', 'national8']);

/** A SIP trunk reached through drachtio-server: where INVITEs go, and who we say we are. */
export const SipTrunk = z.strictObject({
  /** the name `zvonar call --trunk` picks it by */
  name: z.string().regex(/^[\w.-]{1,40}$/, 'letters, digits, dot, dash, underscore'),
  /** the provider's SIP server, host[:port] */
  address: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[\w.-]+)(:\d{1,5})?$/, 'host[:port], e.g. sip.provider.ru:5060'),
  transport: z.enum(['udp', 'tcp']).default('udp'),
  /** digest authentication, when the trunk challenges (401/407); the password may come from ZVONAR_TRUNK_PASSWORD_<NAME> */
  username: z.string().min(1).max(200).optional(),
  password: z.string().min(1).max(200).optional(),
  /** the caller id presented in From (and P-Asserted-Identity), E.164; default: trunk.from */
  from: z.string().regex(E164, 'must be E.164, e.g. +78632000000').optional(),
  /** the host part of From and P-Asserted-Identity; default: the trunk's host */
  domain: z.string().regex(/^[\w.-]+$/, 'a host name').optional(),
  /** send P-Asserted-Identity (RFC 3325) with the caller id: most Russian trunks want it */
  assertIdentity: z.boolean().default(true),
  dial: DialFormat.default('e164'),
});
export type SipTrunk = z.infer<typeof SipTrunk>;

export const Config = z.strictObject({
  clinic: z.strictObject({
    /** said to patients ({clinic.name}) */
    name: z.string().min(1).max(200),
    phone: z.string().min(1).max(40).optional(),
    /** where appointment times are said, IANA */
    timeZone: TimeZone.default('Europe/Moscow'),
  }),
  database: z
    .strictObject({
      /** a real PostgreSQL; DATABASE_URL overrides. Without one, the embedded PGlite is used. */
      url: z.string().startsWith('postgres').max(2_000).nullable().default(null),
      /** where the embedded PGlite keeps its files */
      dataDir: z.string().min(1, 'must name a folder').max(4_096).default('./data/registry'),
    })
    .default({ url: null, dataDir: './data/registry' }),
  log: z.strictObject({ level: LogLevel.default('info') }).default({ level: 'info' }),
  metrics: z.strictObject({ host: Host.default('127.0.0.1'), port: Port.default(9464) }).default({ host: '127.0.0.1', port: 9464 }),
  /** the operator console, the supervisor pages and the API (served with /metrics, on metrics.host:port) */
  operators: z.strictObject({
    /** how long one operator is offered a call (their phone rings with the whisper) before it moves to the next */
    offerMs: z.number().int().min(3_000).max(120_000).default(15_000),
    /** a signed-in browser stays signed in this long */
    sessionHours: z.number().min(0.25).max(24 * 30).default(12),
    /** the mean wait for an operator the dialer keeps campaigns that hand off under (Erlang C; DOMAIN.md: ~20 s) */
    targetWaitMs: z.number().int().min(1_000).max(600_000).default(20_000),
    /**
     * Machine clients (a MIS, a dashboard): each sends `Authorization: Bearer <token>`. Only the
     * token's SHA-256 is kept here (`printf %s "$TOKEN" | sha256sum`), so this file may be in git.
     */
    tokens: z.array(z.strictObject({
      name: z.string().regex(/^[a-z0-9._-]{2,40}$/, '2-40 of a-z 0-9 . _ -'),
      role: z.enum(['operator', 'supervisor']),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the token\'s SHA-256, 64 hex digits'),
    })).default([]),
  }).default({ offerMs: 15_000, sessionHours: 12, targetWaitMs: 20_000, tokens: [] }),
  telephony: z.discriminatedUnion('kind', [
    /** the simulated network of src/sim: personas instead of phones */
    z.strictObject({
      kind: z.literal('sim'),
      answerDelayMs: z.number().int().min(0).max(10_000).default(300),
      /** E.164 number -> persona (see src/sim/personas.ts) */
      personas: z.record(z.string().regex(E164, 'numbers are E.164, e.g. +79001234567'), PersonaName).default({}),
      /** who answers a number not in the table; none: 404 */
      defaultPersona: PersonaName.optional(),
    }),
    /** real calls: drachtio-srf to a drachtio-server, which speaks SIP to the trunks */
    z.strictObject({
      kind: z.literal('drachtio'),
      /** drachtio-server's admin (control) address */
      host: Host.default('127.0.0.1'),
      port: Port.default(9022),
      /** the admin secret; ZVONAR_DRACHTIO_SECRET overrides */
      secret: z.string().max(200).default(''),
      /** an answered call's in-dialog OPTIONS keep-alive: a call whose far end stops answering is ended */
      keepAliveMs: z.number().int().min(1_000).max(600_000).default(30_000),
      /** the first is used unless `zvonar call --trunk` names another */
      trunks: z.array(SipTrunk).min(1, 'name at least one trunk').max(50)
        .refine((t) => new Set(t.map((x) => x.name)).size === t.length, { message: 'trunk names must differ' }),
    }),
  ]),
  trunk: Trunk,
  media: z
    .strictObject({
      host: Host.default('127.0.0.1'),
      portMin: Port.default(20_000),
      portMax: Port.default(29_999),
      /** whose RTP is the call's: 'sdp' (from the address the answer names) or 'latch' (the first source heard, behind NAT) */
      sourceLock: z.enum(['sdp', 'latch']).default('sdp'),
      /** an answered call whose callee sends no RTP for this long is ended as a network fault; 0: never */
      timeoutMs: z.number().int().min(0).max(600_000).refine((n) => n === 0 || n >= 2_000, 'at least 2000 ms, or 0 for never').default(60_000),
      /**
       * RTP in a worker thread (src/media/worker-media.ts): packets leave on time however busy the
       * dialogs, speech and registry keep the main thread, and a second core carries them
       */
      worker: z.boolean().default(false),
    })
    .refine((m) => m.portMin <= m.portMax, { message: 'portMin must not exceed portMax', path: ['portMin'] })
    .default({ host: '127.0.0.1', portMin: 20_000, portMax: 29_999, sourceLock: 'sdp', timeoutMs: 60_000, worker: false }),
  /**
   * The speech engines, in order: a request goes to the first that serves its language and voice
   * (and its grammar, for recognition), and to the next when that one is down (src/speech/router.ts).
   * The old one-engine form (`speech: {kind: embedded}`) still reads as a list of one.
   */
  speech: z.preprocess(
    (v) => (v && typeof v === 'object' && 'kind' in v ? { engines: [v] } : v),
    z.strictObject({
      engines: z.array(SpeechEngineConfig).min(1, 'at least one speech engine'),
      /** how long an engine may keep a call waiting: to connect, for the next audio chunk */
      deadlineMs: z.number().int().min(200).max(60_000).default(5_000),
      /** an engine unavailable this many times in a row is left alone for openMs (doubling up to a minute) */
      breaker: z.strictObject({
        failures: z.number().int().min(1).max(100).default(3),
        openMs: z.number().int().min(100).max(600_000).default(5_000),
      }).default({ failures: 3, openMs: 5_000 }),
      /**
       * calls start only while the wait they make for an engine's workers stays within this
       * (RHVoice and pocketsphinx work on this machine's cores; a burst of calls outruns them)
       */
      maxBacklogMs: z.number().int().min(100).max(60_000).default(1_000),
    }),
  ),
  /** answering-machine detection on the first seconds after the answer (src/media/amd.ts) */
  amd: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** nothing heard this long: not sure (the script goes on) */
      initialSilenceMs: z.number().int().min(500).max(10_000).default(2_500),
      /** a first utterance longer than this is a machine's greeting */
      greetingMs: z.number().int().min(500).max(10_000).default(1_500),
      /** silence this long after a short first utterance: a person waiting */
      afterGreetingSilenceMs: z.number().int().min(200).max(5_000).default(800),
      /** decided by this much audio at the latest */
      totalMs: z.number().int().min(1_000).max(10_000).default(3_000),
      /** a mailbox quiet this long after its greeting, with no beep heard, is left the script's message anyway */
      beepWaitMs: z.number().int().min(300).max(10_000).default(2_000),
    })
    .default({ enabled: true, initialSilenceMs: 2_500, greetingMs: 1_500, afterGreetingSilenceMs: 800, totalMs: 3_000, beepWaitMs: 2_000 }),
  dialer: z
    .strictObject({
      /** the robot hangs up an answered call that runs longer than this */
      maxCallMs: z.number().int().min(30_000).default(300_000),
      /**
       * A dialer renews its contacts' leases with every heartbeat; one silent for leaseMs is dead,
       * and the next dialer closes its open attempts and dials their contacts again.
       */
      leaseMs: z.number().int().min(1_000).max(600_000).default(30_000),
      /** how often a dialer stores its heartbeat; at most a third of leaseMs */
      heartbeatMs: z.number().int().min(100).default(5_000),
      /** how often an idle dialer looks for due contacts */
      pollMs: z.number().int().min(100).default(1_000),
      /** how long a call's last write waits for a registry that is down (and `run --until-idle` for its return) */
      registryRetryMs: z.number().int().min(1_000).default(60_000),
      /**
       * How often one person (a patient, or a number a family shares) may be called, across every
       * campaign and dialer on the registry (src/dialer/rules/caps.ts); null: no such cap.
       * Defaults from DOMAIN.md (230-FZ as a ceiling). Rolling windows of 24 h, 7 and 30 days.
       */
      caps: z
        .strictObject({
          answeredPerDay: z.number().int().min(1).nullable().default(1),
          answeredPerWeek: z.number().int().min(1).nullable().default(2),
          answeredPerMonth: z.number().int().min(1).nullable().default(8),
          attemptsPerWeek: z.number().int().min(1).nullable().default(null),
          /** between the starts of any two calls to one person or number */
          minGapMinutes: z.number().int().min(0).max(10_080).default(15),
        })
        .default({ answeredPerDay: 1, answeredPerWeek: 2, answeredPerMonth: 8, attemptsPerWeek: null, minGapMinutes: 15 }),
    })
    .refine((d) => d.heartbeatMs * 3 <= d.leaseMs, {
      message: 'must be at most a third of dialer.leaseMs, or a live dialer could be taken for dead',
      path: ['heartbeatMs'],
    })
    .default({
      maxCallMs: 300_000, leaseMs: 30_000, heartbeatMs: 5_000, pollMs: 1_000, registryRetryMs: 60_000,
      caps: { answeredPerDay: 1, answeredPerWeek: 2, answeredPerMonth: 8, attemptsPerWeek: null, minGapMinutes: 15 },
    }),
});
export type Config = z.infer<typeof Config>;

/** Anchors and aliases are allowed in configurations (a host said once), but only a few. */
const MAX_CONFIG_ALIASES = 20;

/**
 * Reads the configuration file and applies the environment: DATABASE_URL, ZVONAR_LOG_LEVEL,
 * ZVONAR_METRICS_HOST, ZVONAR_METRICS_PORT. Rejects with ConfigError naming the file, line and field.
 */
export function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  text?: string | Uint8Array,
  known: { personas?: readonly string[] } = {},
): Config {
  const yaml = new YamlFile(file, text, { maxAliases: MAX_CONFIG_ALIASES });
  const cfg = yaml.parse(Config, 'CONFIG_INVALID');
  if (known.personas && cfg.telephony.kind === 'sim') {
    const { personas, defaultPersona } = cfg.telephony;
    const named: [string, (string | number)[]][] = [
      ...Object.entries(personas).map(([phone, name]): [string, (string | number)[]] => [name, ['telephony', 'personas', phone]]),
      ...(defaultPersona ? [[defaultPersona, ['telephony', 'defaultPersona']] as [string, (string | number)[]]] : []),
    ];
    for (const [name, path] of named) {
      if (known.personas.includes(name)) continue;
      const near = closest(name, known.personas);
      yaml.fail('CONFIG_INVALID', `${path.join('.')}: no persona "${name}"${near ? `. Did you mean "${near}"?` : ''}`, path, `personas: ${known.personas.join(', ')}`);
    }
  }
  if (env.DATABASE_URL) cfg.database.url = env.DATABASE_URL;
  if (cfg.telephony.kind === 'drachtio') {
    // secrets need not live in the file
    if (env.ZVONAR_DRACHTIO_SECRET) cfg.telephony.secret = env.ZVONAR_DRACHTIO_SECRET;
    if (!cfg.telephony.secret) yaml.fail('CONFIG_INVALID', 'telephony.secret: drachtio-server\'s admin secret is not set', ['telephony'], 'set telephony.secret, or ZVONAR_DRACHTIO_SECRET');
    for (const t of cfg.telephony.trunks) {
      const password = env[`ZVONAR_TRUNK_PASSWORD_${t.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
      if (password) t.password = password;
      if (t.username && !t.password) {
        const i = cfg.telephony.trunks.indexOf(t);
        yaml.fail('CONFIG_INVALID', `telephony.trunks.${i}.username: "${t.name}" has a user name but no password`, ['telephony', 'trunks', i, 'username'],
          `set its password, or ZVONAR_TRUNK_PASSWORD_${t.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`);
      }
    }
  }
  if (env.ZVONAR_LOG_LEVEL) {
    const level = LogLevel.safeParse(env.ZVONAR_LOG_LEVEL);
    if (!level.success) {
      throw new ConfigError('CONFIG_INVALID', `ZVONAR_LOG_LEVEL: "${env.ZVONAR_LOG_LEVEL}" is not one of ${LogLevel.options.join(', ')}`, { path: 'ZVONAR_LOG_LEVEL' });
    }
    cfg.log.level = level.data;
  }
  if (env.ZVONAR_METRICS_HOST) cfg.metrics.host = env.ZVONAR_METRICS_HOST;
  if (env.ZVONAR_METRICS_PORT) {
    const port = Number(env.ZVONAR_METRICS_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new ConfigError('CONFIG_INVALID', `ZVONAR_METRICS_PORT: "${env.ZVONAR_METRICS_PORT}" is not a port`, { path: 'ZVONAR_METRICS_PORT' });
    }
    cfg.metrics.port = port;
  }
  return cfg;
}
