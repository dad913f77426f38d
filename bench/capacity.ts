/**
 * How many live calls one core of zvonar carries (issue 9). Answered calls, G.711 both ways, a
 * dialog running (bench/capacity-survey.yaml: a greeting and twelve questions, about 30 s) with
 * answering-machine detection as configured by default (its own recognition stream for 4.7 s), the
 * modem voice through the reference speech server over gRPC, the registry on PGlite. The callees
 * and the speech server run in their own processes (bench/capacity-child.ts), so the CPU measured
 * here (process.cpuUsage() of this process) is zvonar's own: the dialer, the call sessions, the
 * media, the speech client and the registry.
 *
 *   1. calls: N channels, contacts dialled at `cps` per second (N/10 unless given). The window
 *      opens once the first calls have ended and their channels carry new ones (a steady state:
 *      calls start, are answered, talk, book their answer and end, in the registry too) and
 *      lasts WINDOW_MS; it measures CPU, packets and RSS. Then no new call starts and the live
 *      ones talk to their end: every call must end CONFIRMED.
 *   2. floor: N UDP sockets in this process echo what the child sends them at the same packet
 *      rate (50 per second each): the CPU a packet costs Node's dgram alone, here, side by side.
 *
 * Figures: live calls per fully used core (N over the cores' worth of CPU used), p99 send jitter
 * (RFC 3550 style, at the sender: the spread of a stream's packet spacing against its
 * timestamps), first audio after answer (p50, p99), RSS per live call, and CPU per packet over
 * the raw echo's (the floor ratio). Bounded: about two minutes at the default N = 250 (RUN_MS at most).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { CallFailedError, silentLogger } from '../src/core/index.js';
import { buildEngine } from '../src/app/index.js';
import { amdOptions } from '../src/app/run.js';
import { Config } from '../src/config/index.js';
import { loadVersion } from '../src/dialog/index.js';
import { ANY_HOUR, defaultRules, newDialerId, runCampaign } from '../src/dialer/index.js';
import { threadTraffic } from '../src/media/native-io.js';
import type { NativeTraffic } from '../src/media/rtp-traffic.js';
import type { WorkerMedia } from '../src/media/worker-media.js';
import { createCampaign, enrolPatients, migrate, upsertPatients } from '../src/registry/index.js';
import { connectPostgres } from '../src/registry/pg-db.js';
import { openPglite } from '../src/registry/pglite-db.js';
import { LegStateMachine, type CallControl, type CallLeg, type LegEvents, type OriginateRequest } from '../src/telephony/index.js';
import type { FromCallees, ToCallees } from './capacity-child.js';

/** How long the measured window lasts. */
const WINDOW_MS = 15_000;
/** From the first call's end to the window: replacements are being placed by then. */
const SETTLE_MS = 2_000;
/** The whole run's bound: calls still open then are a failure. */
const RUN_MS = 150_000;

function child(role: string): Promise<{ proc: ChildProcess; hello: Record<string, unknown> }> {
  const profile = process.env.ZVONAR_BENCH_PROFILE_CHILDREN; // a folder for the children's CPU profiles
  const proc = fork(new URL('./capacity-child.js', import.meta.url), [role], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [],
  });
  // the callees stand in for phones on other machines: on this one they must not take the cores
  // from zvonar when these are short (their CPU is reported, not counted; the packets zvonar
  // receives show whether they kept up). The speech server is not starved: a call it cannot
  // answer in time fails, which would not be zvonar's doing.
  if (role === 'callees') setPriority(proc.pid!, 10);
  return new Promise((resolve, reject) => {
    proc.once('message', (hello: Record<string, unknown>) => resolve({ proc, hello }));
    proc.once('exit', (code) => reject(new Error(`capacity-child ${role} exited with ${code}`)));
  });
}

/** The CallControl port over the IPC channel to the callees' process. */
class ChildCallControl implements CallControl {
  live = 0;
  peakLive = 0;
  placed = 0;
  readonly #proc: ChildProcess;
  readonly #pending = new Map<string, { on: LegEvents; leg: LegStateMachine; resolve: (leg: CallLeg) => void; reject: (err: Error) => void }>();
  readonly #answered = new Map<string, { on: LegEvents; leg: LegStateMachine }>();
  #cpuWaiter: ((ms: number) => void) | null = null;

  constructor(proc: ChildProcess) {
    this.#proc = proc;
    proc.on('message', (msg: FromCallees) => this.#onMessage(msg));
  }

  originate(req: OriginateRequest, on: LegEvents, signal: AbortSignal): Promise<CallLeg> {
    const leg = new LegStateMachine(req.callId);
    return new Promise<CallLeg>((resolve, reject) => {
      this.#pending.set(req.callId, { on, leg, resolve, reject });
      this.placed++;
      signal.addEventListener('abort', () => this.#send({ t: 'cancel', id: req.callId }), { once: true });
      this.#send({ t: 'call', id: req.callId, to: req.to, from: req.from, sdp: req.sdpOffer, persona: 'agree' });
    });
  }

  cpuMs(): Promise<number> {
    return new Promise((resolve) => {
      this.#cpuWaiter = resolve;
      this.#send({ t: 'cpu' });
    });
  }

  async ready(): Promise<void> {}
  async close(): Promise<void> {}

  #send(msg: ToCallees): void {
    this.#proc.send(msg);
  }

  #ended(id: string): void {
    if (this.#answered.delete(id)) this.live--;
  }

  #onMessage(msg: FromCallees): void {
    if (msg.t === 'cpu') {
      this.#cpuWaiter?.(msg.cpuMs);
      return;
    }
    if (msg.t === 'bye') {
      const call = this.#answered.get(msg.id);
      this.#ended(msg.id);
      if (call?.leg.tryTo('ended')) call.on.hangup({ by: 'callee' });
      return;
    }
    const p = this.#pending.get(msg.id);
    if (!p) return;
    if (msg.t === 'ringing') {
      p.leg.tryTo('ringing');
      p.on.ringing?.();
      return;
    }
    this.#pending.delete(msg.id);
    if (msg.t === 'fail') {
      p.leg.tryTo('ended');
      p.reject(new CallFailedError(msg.status, msg.reason, { callId: msg.id }));
      return;
    }
    p.leg.to('answered');
    this.#answered.set(msg.id, { on: p.on, leg: p.leg });
    this.live++;
    this.peakLive = Math.max(this.peakLive, this.live);
    const { leg } = p;
    p.resolve({
      callId: msg.id,
      sdpAnswer: msg.sdp,
      get state() {
        return leg.state;
      },
      hangup: async () => {
        if (!leg.tryTo('ending')) return;
        this.#ended(msg.id);
        this.#send({ t: 'bye', id: msg.id });
        leg.to('ended');
      },
    });
  }
}

/** With ZVONAR_BENCH_PROFILE=<file.cpuprofile>: a CPU profile of the measured window only, for where the CPU goes. */
const profiler = (() => {
  const file = process.env.ZVONAR_BENCH_PROFILE;
  const session = file ? new Session() : null;
  return {
    async start() {
      if (!session) return;
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop() {
      if (!session) return;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file!, JSON.stringify(profile));
      session.disconnect();
    },
  };
})();

/** RTP counters, and the media worker's busy time (0 without it) */
interface Traffic { sent: number; received: number; sendJitterP99Ms: number; busyMs: number; native?: NativeTraffic }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface CapacityResult {
  registry: string;
  /** RTP in the media worker thread (media.worker) */
  worker: boolean;
  /** the media worker's event loop busy in the window, ms */
  workerBusyMs: number;
  /** the native I/O thread's figures in the window, when it carries the RTP (native-io.ts) */
  native: NativeTraffic | undefined;
  calls: number;
  peakLive: number;
  meanLive: number;
  windowMs: number;
  cpuMs: number;
  packets: number;
  /** RTP packets received in the window: the callees send 50 a second each unless starved of CPU */
  received: number;
  failed: Record<string, number>;
  sendJitterP99Ms: number;
  firstAudioMs: number[];
  rssPerCallKb: number;
  calleesCpuMs: number;
  /** mean answered-to-ended time of the calls, s: a conversation that stalls makes less work a second */
  talkSec: number;
}

async function capacityRun(n: number, cps: number): Promise<CapacityResult> {
  const dialog = loadVersion('bench/capacity-survey.yaml');
  const { script } = dialog;
  const speech = await child('speech');
  const callees = await child('callees');
  // PGlite runs in this process and holds the event loop for 80-120 ms at a time under this
  // load (profiled: a fifth of the main thread at 200 calls); a dialer this size runs on PostgreSQL
  const db = process.env.ZVONAR_BENCH_DATABASE_URL ? await connectPostgres(process.env.ZVONAR_BENCH_DATABASE_URL) : await openPglite();
  const id = `capacity-${Date.now()}`;
  try {
    await migrate(db);
    const campaign = await createCampaign(db, { id, name: id, kind: 'cold', dialogId: script.id, dialogVersion: script.version, rules: { ...defaultRules('cold'), callingHours: ANY_HOUR } });
    // the first N, and those that take their channels during the window, with room to spare
    const contacts = n + Math.ceil((cps * (WINDOW_MS + SETTLE_MS)) / 1000) + n;
    const phones = Array.from({ length: contacts }, (_, i) => `+7900${String(3_000_000 + i).padStart(7, '0')}`);
    const ids = await upsertPatients(db, phones.map((phone) => ({ lastName: 'Иванова', firstName: 'Анна', middleName: 'Петровна', birthYear: 1961, phone, timeZone: 'Europe/Moscow', tags: [] })));
    await enrolPatients(db, { campaignId: campaign.id, patientIds: ids, at: new Date() });
    const cfg = Config.parse({
      clinic: { name: 'поликлиника номер семь' },
      telephony: { kind: 'sim' },
      trunk: { from: '+78632000000', cps, maxChannels: n },
      speech: { kind: 'grpc', address: speech.hello.address as string },
      log: { level: 'silent' },
      media: { worker: process.env.ZVONAR_BENCH_WORKER === '1' },
    });
    const engine = await buildEngine(cfg, { db, log: silentLogger });
    const calls = new ChildCallControl(callees.proc);
    const firstAudioMs: number[] = [];
    const metrics = engine.deps.metrics;
    const firstAudio = metrics.firstAudio;
    const deps = {
      ...engine.deps, calls,
      metrics: { ...metrics, firstAudio: { observe: (s: number) => { firstAudioMs.push(s * 1000); firstAudio.observe(s); } } as typeof firstAudio },
    };
    const failed: Record<string, number> = {};
    const stop = new AbortController();
    const bound = setTimeout(() => stop.abort(), RUN_MS);
    const rss0 = process.memoryUsage().rss;
    // the RTP counters are the media worker's when it runs (media.worker), else this thread's
    const worker = engine.deps.media as Partial<WorkerMedia>;
    const traffic = (reset: boolean): Promise<Traffic> => {
      if (worker.traffic) return worker.traffic(reset);
      return Promise.resolve({ ...threadTraffic(reset), busyMs: 0 });
    };
    let window: { t0: number; cpu0: number; traffic0: Promise<Traffic>; calleesCpu0: Promise<number>; liveSum: number; samples: number } | null = null;
    type Measured = Omit<CapacityResult, 'failed' | 'firstAudioMs' | 'registry' | 'worker' | 'calls' | 'peakLive' | 'calleesCpuMs' | 'talkSec' | 'packets' | 'received' | 'sendJitterP99Ms' | 'workerBusyMs' | 'native'> & {
      calleesCpu1: Promise<number>; calleesCpu0: Promise<number>; traffic0: Promise<Traffic>; traffic1: Promise<Traffic>;
    };
    const measured: { result: Measured | null } = { result: null };
    let ended = 0;
    let firstEndAt = Number.NaN;
    const close = () => {
      if (!window || measured.result) return;
      stop.abort(); // no new calls; the live ones talk to their end
      void profiler.stop();
      const w = window;
      const windowMs = performance.now() - w.t0;
      measured.result = {
        meanLive: w.liveSum / Math.max(1, w.samples), windowMs, cpuMs: cpuMsNow() - w.cpu0,
        traffic0: w.traffic0, traffic1: traffic(false),
        rssPerCallKb: Math.round((process.memoryUsage().rss - rss0) / 1024 / calls.live),
        calleesCpu0: w.calleesCpu0, calleesCpu1: calls.cpuMs(),
      };
    };
    const sampler = setInterval(() => {
      if (!window && performance.now() - firstEndAt >= SETTLE_MS) {
        void profiler.start();
        window = { t0: performance.now(), cpu0: cpuMsNow(), traffic0: traffic(true), calleesCpu0: calls.cpuMs(), liveSum: 0, samples: 0 };
      }
      if (!window || measured.result) return;
      window.liveSum += calls.live;
      window.samples++;
      if (performance.now() - window.t0 >= WINDOW_MS) close();
    }, 100);
    try {
      await runCampaign(deps, {
        campaign, dialog: () => dialog, trunk: { ...cfg.trunk }, clinic: { name: cfg.clinic.name, timeZone: cfg.clinic.timeZone },
        ...engine.config.dialer, amd: amdOptions(cfg), dialerId: newDialerId(), untilIdle: true,
        onCallEnded: (s) => {
          ended++;
          if (ended === 1) firstEndAt = performance.now();
          if (s.disposition !== 'CONFIRMED') failed[s.disposition] = (failed[s.disposition] ?? 0) + 1;
        },
      }, stop.signal);
    } finally {
      clearTimeout(bound);
      clearInterval(sampler);
      await engine.close();
    }
    const r = measured.result;
    if (!r) throw new Error(`capacity: no call ended within ${RUN_MS / 1000} s`);
    const calleesCpuMs = (await r.calleesCpu1) - (await r.calleesCpu0);
    const placed = calls.placed;
    if (ended < placed) failed['not ended'] = placed - ended;
    const { rows } = await db.query<{ talk: number }>(`select avg(extract(epoch from ended_at - answered_at))::float8 as talk from attempt where campaign_id = $1`, [id]);
    const { calleesCpu0: _a, calleesCpu1: _b, traffic0: _c, traffic1: _d, ...rest } = r;
    const t0 = await r.traffic0;
    const t1 = await r.traffic1;
    return {
      ...rest, packets: t1.sent + t1.received - t0.sent - t0.received, received: t1.received - t0.received, sendJitterP99Ms: t1.sendJitterP99Ms, workerBusyMs: t1.busyMs - t0.busyMs, native: t1.native && t0.native ? { ...t1.native, sent: t1.native.sent - t0.native.sent } : undefined,
      registry: db.kind, worker: cfg.media.worker, calls: placed, peakLive: calls.peakLive, failed, firstAudioMs: firstAudioMs.sort((a, b) => a - b), calleesCpuMs, talkSec: rows[0]!.talk,
    };
  } finally {
    speech.proc.disconnect();
    callees.proc.disconnect();
    await db.close();
  }
}

/** CPU per datagram of a bare echo in this process: `sockets` sockets, each fed 50 packets a second by the child. */
async function floorRun(sockets: number, durationMs: number): Promise<{ cpuMsPerPacket: number; packets: number }> {
  const echo = await child('echo');
  const socks: Socket[] = [];
  try {
    for (let i = 0; i < sockets; i++) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      let peer = false;
      s.on('message', (msg, rinfo) => {
        if (!peer) {
          s.connect(rinfo.port, rinfo.address);
          peer = true;
          return;
        }
        s.send(msg);
      });
      socks.push(s);
    }
    let packets = 0;
    for (const s of socks) s.on('message', () => packets++);
    const done = new Promise<{ sent: number }>((resolve) => echo.proc.once('message', resolve));
    // measure the middle of the run, not its start and end
    echo.proc.send({ t: 'start', ports: socks.map((s) => s.address().port), durationMs });
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = cpuMsNow();
    const p0 = packets;
    await new Promise((r) => setTimeout(r, durationMs - 2000));
    const cpuMs = cpuMsNow() - cpu0;
    // every packet received is sent back: two datagrams each
    const moved = (packets - p0) * 2;
    await done;
    return { cpuMsPerPacket: cpuMs / moved, packets: moved };
  } finally {
    for (const s of socks) s.close();
    echo.proc.disconnect();
  }
}

export async function benchCapacity(): Promise<{ name: string; figures: Record<string, number | string> }> {
  // 250: on a 2-core machine the callees, in their own process on the same cores, keep up to about
  // there (at 300-400 they fall behind and the run says so); zvonar alone could take more
  const n = Number(process.env.ZVONAR_BENCH_CALLS ?? 250);
  const cps = Number(process.env.ZVONAR_BENCH_CPS ?? Math.max(20, Math.ceil(n / 10)));
  const r = await capacityRun(n, cps);
  const floor = await floorRun(n, 8_000);
  const cores = r.cpuMs / r.windowMs;
  const perCore = Math.floor(r.meanLive / cores);
  const ratio = r.cpuMs / r.packets / floor.cpuMsPerPacket;
  const fa = r.firstAudioMs;
  // the load offered: a callee that keeps up sends 50 packets a second; fewer means the far
  // side's process was starved of CPU, and the figure above flatters zvonar
  const rxPerCall = r.received / r.meanLive / (r.windowMs / 1000);
  const failures = Object.entries(r.failed).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return {
    // the three lines, as it names them, then how they were measured
    name: [
      `capacity: ${perCore} concurrent calls per core (p99 send jitter ${r.sendJitterP99Ms.toFixed(1)} ms, first audio p99 ${Math.round(percentile(fa, 99))} ms, RSS ${r.rssPerCallKb} KB/call)`,
      `floor ratio: ${ratio.toFixed(2)}`,
      `first audio after answer: p50 ${Math.round(percentile(fa, 50))} ms, p99 ${Math.round(percentile(fa, 99))} ms`,
    ].join('\n'),
    figures: {
      setup: `${n} channels of answered calls through zvonar (${r.calls} calls, registry ${r.registry}, RTP ${r.worker ? 'in the media worker' : 'on the main thread'}), callees and speech server in their own processes`,
      'live calls in the window (mean, peak)': `${Math.round(r.meanLive)}, ${r.peakLive}`,
      'mean call, answer to end, s': Number(r.talkSec.toFixed(1)),
      'window, s': Number((r.windowMs / 1000).toFixed(1)),
      'zvonar CPU in the window, cores': Number(cores.toFixed(2)),
      'of which the media worker\'s thread, cores': Number((r.workerBusyMs / r.windowMs).toFixed(2)),
      'callees process CPU in the window, cores': Number((r.calleesCpuMs / r.windowMs).toFixed(2)),
      'packets received per live call per second (50 offered)': rxPerCall >= 47 ? Number(rxPerCall.toFixed(1)) : `${rxPerCall.toFixed(1)}: the callees' process fell behind, so zvonar had less to do; this run's figures are not valid`,
      'zvonar CPU per RTP packet, µs': Number(((r.cpuMs / r.packets) * 1000).toFixed(1)),
      'raw dgram echo CPU per packet, µs': Number((floor.cpuMsPerPacket * 1000).toFixed(1)),
      'RTP sockets': r.native ? `native I/O thread, ${r.native.priority} priority; ${r.native.lateSends} of ${r.native.sent} packets left over 1 ms after their due time (the latest ${r.native.maxLateMs.toFixed(1)} ms), ${r.native.handedLate} handed over late since the start; ${r.native.rxDropped} datagrams dropped undrained` : 'node:dgram',
      'calls not CONFIRMED': failures,
    },
  };
}
