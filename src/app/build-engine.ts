import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, systemClock, type Clock, type Logger } from '../core/index.js';
import type { Config } from '../config/index.js';
import { createDialerMetrics, type CallDeps } from '../dialer/index.js';
import { RtpPortAllocator } from '../media/port-allocator.js';
import type { MediaFactory } from '../media/index.js';
import { createRtpMediaFactory } from '../media/rtp-session.js';
import { startWorkerMedia } from '../media/worker-media.js';
import { createOperatorMetrics, maxCallsForOperators, OperatorHub } from '../operator/index.js';
import { connectPostgres } from '../registry/pg-db.js';
import { openPglite } from '../registry/pglite-db.js';
import { migrate, persist, type Db } from '../registry/index.js';
import { isPersonaName, PERSONAS, type PersonaName } from '../sim/index.js';
import { SimNetwork } from '../sim/sim-network.js';
import type { CallControl } from '../telephony/index.js';
import { DrachtioCalls } from '../telephony/drachtio/drachtio-calls.js';
import { prepareDataDir } from './data-dir.js';
import { createLogger } from './logger.js';
import { startSpeech, type Speech } from './speech.js';

export interface Engine {
  config: Config;
  db: Db;
  log: Logger;
  metrics: Registry;
  deps: CallDeps;
  /** the simulated network, when config picks it */
  sim: SimNetwork | null;
  /** the speech engines: the router the calls use, and the embedded server if one runs */
  speech: Speech;
  /** the operators signed in to this process's console, and the calls handed to them */
  operators: OperatorHub;
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  /** an open, migrated registry to use instead of the configured one (tests); the caller closes it */
  db?: Db;
  log?: Logger;
  /** who answers which number on the simulated network (the demo reads it from its contact list) */
  personaOf?: (phone: string) => PersonaName | undefined;
  /** the SIP trunk calls go out through (telephony kind drachtio); default: the first configured */
  trunk?: string;
}

/** Calls at once above which the embedded registry is warned about (see buildEngine). */
const PGLITE_MAX_CHANNELS = 50;

/**
 * Builds the engine from configuration: the only place that picks adapters.
 * Closes what it opened if a later part fails to start.
 */
export async function buildEngine(cfg: Config, opts: BuildOptions = {}): Promise<Engine> {
  const log = opts.log ?? createLogger(cfg.log.level);
  const clock = opts.clock ?? systemClock;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    // a dialer waits for a registry that is restarting, as it does once running
    const db = opts.db ?? (await openRegistry(cfg, {
      waitMs: cfg.dialer.registryRetryMs,
      onWait: (err) => log.warn({ err: (err as Error).message, waitMs: cfg.dialer.registryRetryMs }, 'registry unreachable; waiting for it'),
    }));
    if (!opts.db) closers.push(() => db.close());
    const applied = await persist(() => migrate(db), { clock, log, what: 'the schema check', budgetMs: cfg.dialer.registryRetryMs });
    log.info({ registry: db.kind, applied }, 'registry ready');
    if (db.kind === 'pglite' && cfg.trunk.maxChannels > PGLITE_MAX_CHANNELS) {
      // PGlite runs in this process: bench/capacity.ts saw it hold the event loop 80-120 ms at a
      // time with 200 calls, and the media's pacing with it
      log.warn({ maxChannels: cfg.trunk.maxChannels }, `PGlite runs inside the dialer and stalls its media beyond about ${PGLITE_MAX_CHANNELS} calls at once; set DATABASE_URL to a PostgreSQL`);
    }

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: 'zvonar_process_' });
    const speech = await startSpeech(cfg.speech, log, metrics);
    closers.push(() => speech.close());
    for (const line of speech.describe) log.info({}, line);

    // one allocator for the process: the simulated callees' ports come from the same range
    const rtpPorts = new RtpPortAllocator({ portMin: cfg.media.portMin, portMax: cfg.media.portMax });
    const { host, sourceLock, timeoutMs } = cfg.media;
    let media: MediaFactory;
    if (cfg.media.worker) {
      // its own ports from the range: the allocator below then only serves the simulated callees,
      // and a port both pick is refused by the second bind, which moves on to the next
      const worker = startWorkerMedia({
        host, portMin: cfg.media.portMin, portMax: cfg.media.portMax, sourceLock, timeoutMs,
        onDeath: (err, sessions) => log.error({ err: err.message, sessions }, 'the media worker died; the calls it carried end as lost lines, and a new worker takes the next calls'),
      });
      closers.push(() => worker.close());
      media = worker;
    } else {
      media = createRtpMediaFactory({ host, allocator: rtpPorts, sourceLock, timeoutMs });
    }
    let sim: SimNetwork | null = null;
    let calls: CallControl;
    const telephony = cfg.telephony;
    if (telephony.kind === 'drachtio') {
      const trunk = opts.trunk === undefined ? telephony.trunks[0]! : telephony.trunks.find((t) => t.name === opts.trunk);
      if (!trunk) {
        throw new ConfigError('CONFIG_INVALID', `no trunk "${opts.trunk}" in telephony.trunks`, { path: 'telephony.trunks' }, { hint: `trunks: ${telephony.trunks.map((t) => t.name).join(', ')}` });
      }
      const drachtio = new DrachtioCalls({
        host: telephony.host, port: telephony.port, secret: telephony.secret, keepAliveMs: telephony.keepAliveMs,
        trunk, log,
      });
      closers.push(() => drachtio.close());
      await drachtio.connect();
      calls = drachtio;
    } else {
      const table = new Map(Object.entries(telephony.personas).map(([phone, name]) => [phone, knownPersona(name, `telephony.personas.${phone}`)]));
      const fallback = telephony.defaultPersona === undefined ? undefined : knownPersona(telephony.defaultPersona, 'telephony.defaultPersona');
      sim = new SimNetwork({
        personaOf: (phone) => opts.personaOf?.(phone) ?? table.get(phone) ?? fallback,
        media: createRtpMediaFactory({ host: cfg.media.host, allocator: rtpPorts, echoSuppression: false }),
        answerDelayMs: telephony.answerDelayMs,
      });
      closers.push(() => sim!.close());
      calls = sim;
    }

    // calls handed off here go to operators signed in to this process's console; with none signed
    // in, a handoff is 'unavailable' at once and the script offers a call-back
    const operators = new OperatorHub({
      db, calls, media, tts: speech.tts, clock, log: log.child({ part: 'operators' }),
      offerMs: cfg.operators.offerMs, from: cfg.trunk.from,
    });
    createOperatorMetrics(metrics, operators);
    const deps: CallDeps = {
      db,
      calls,
      media,
      tts: speech.tts,
      asr: speech.router.asr!,
      operators,
      operatorPacing: {
        maxCalls: (p) => maxCallsForOperators({ operatorsOnDuty: operators.onDuty(p.language), ahtMs: operators.ahtMs(), targetWaitMs: cfg.operators.targetWaitMs, ...p }),
      },
      clock,
      log,
      metrics: createDialerMetrics(metrics),
      // no patient answers a robot that cannot speak, or a line that cannot carry a call
      speech: speech.capacity,
      ready: async () => {
        await calls.ready();
        await speech.router.capabilities();
      },
    };
    return { config: cfg, db, log, metrics, deps, sim, speech, operators, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The configured registry: PostgreSQL at database.url (or DATABASE_URL), else PGlite in
 * database.dataDir. Throws ConfigError when dataDir cannot hold one, RegistryError when unreachable.
 */
export async function openRegistry(cfg: Config, opts: { waitMs?: number; onWait?: (err: unknown) => void } = {}): Promise<Db> {
  if (cfg.database.url) return connectPostgres(cfg.database.url, opts);
  return openPglite(prepareDataDir(cfg.database.dataDir));
}

/** A persona the simulated network has (configs read by readConfig() were checked with their line already). */
function knownPersona(name: string, path: string): PersonaName {
  if (isPersonaName(name)) return name;
  throw new ConfigError('CONFIG_INVALID', `${path}: no persona "${name}"`, { path }, { hint: `personas: ${Object.keys(PERSONAS).join(', ')}` });
}
