/**
 * Many calls' speech at once over real gRPC on 127.0.0.1, against the reference engine: the
 * load of issue 7 (calls ended ROBOT_SILENCE / SPEECH_PROTOCOL in waves from 80-100 calls).
 * Each call alternates a prompt (Synthesize, read to its end) and a listen step (Recognize fed
 * the callee's modem answer in real-time-paced chunks, ended after its final result, the way
 * DialogRun's listen step ends it). `speechLoad()` is the driver; tests/integration/
 * speech-capacity.test.ts runs it with its expectations, `benchSpeechCapacity()` prints figures.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { SpeechError } from '../src/core/index.js';
import { connectSpeech } from '../src/speech/adapters/grpc/index.js';
import type { ConnectSpeechOptions, SpeechStats } from '../src/speech/adapters/grpc/index.js';
import { startReferenceSpeechServer } from '../src/speech/server/index.js';
import { ModemListener, modemSpeak } from '../src/speech/index.js';
import type { Asr, AsrStream, Tts } from '../src/speech/index.js';

const SAMPLES_PER_MS = 8;
const PROMPT = 'Вам удобно завтра в 9:40?';
/** Silence before the callee answers, and how long a listen waits for a final result. */
const LEAD_MS = 300;
const SILENCE_TIMEOUT_MS = 5000;

export interface SpeechLoadOptions {
  /** The engine, "host:port". */
  address: string;
  calls: number;
  /** listen steps per call, spread evenly over callMs */
  listens: number;
  callMs: number;
  /** audio per Recognize write, paced in real time (RTP sends 20 ms; 100 ms costs a fifth of the messages) */
  chunkMs: number;
  connect?: ConnectSpeechOptions;
}

export interface SpeechLoadResult {
  listens: number;
  /** steps that failed: prompts that ended with an error, listens that did or heard nothing or the wrong text */
  failed: number;
  /** failures by what ended them: an error code ('say <code>' for a prompt), 'silence' or 'wrong-text' */
  failures: Record<string, number>;
  /** ms from writing the chunk that holds the end of the answer (the final's atMs) to the final, sorted */
  latenciesMs: number[];
  /** the client's RST_STREAMs and re-opened streams */
  stats: SpeechStats;
  cpuSeconds: number;
  wallMs: number;
  /** event-loop delay p99 over the run: how late the pacer's chunks and the results ran */
  loopDelayP99Ms: number;
}

/** One listen's audio on its way to the engine, a chunk per pacer tick, then silence. */
interface Feed {
  stream: AsrStream;
  pcm: Int16Array;
  at: number;
  /** when each chunk went out, by its index in the stream */
  sentAt: number[];
}

/** Writes every open listen's next chunk on one timer, as a media loop would. */
class Pacer {
  readonly #feeds = new Set<Feed>();
  /** samples per chunk */
  readonly chunk: number;
  readonly #silence: Int16Array;
  readonly #timer: NodeJS.Timeout;

  constructor(chunkMs: number) {
    this.chunk = chunkMs * SAMPLES_PER_MS;
    this.#silence = new Int16Array(this.chunk);
    this.#timer = setInterval(() => this.#tick(), chunkMs);
  }

  add(feed: Feed): () => void {
    this.#feeds.add(feed);
    return () => this.#feeds.delete(feed);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = performance.now();
    for (const f of this.#feeds) {
      f.stream.write(f.at < f.pcm.length ? f.pcm.subarray(f.at, f.at + this.chunk) : this.#silence);
      f.at += this.chunk;
      f.sentAt.push(now);
    }
  }
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

type ListenResult = { text: string; latencyMs: number } | { failure: string };

/** Mirrors DialogRun's listen step: read events until a final, then leave the loop; cancel on silence. */
async function listen(asr: Asr, pacer: Pacer, callId: string, answer: string): Promise<ListenResult> {
  const stream = asr.recognize({ language: 'ru-RU', hints: [answer], callId });
  const spoken = modemSpeak(answer);
  const pcm = new Int16Array(LEAD_MS * SAMPLES_PER_MS + spoken.length);
  pcm.set(spoken, LEAD_MS * SAMPLES_PER_MS);
  const feed: Feed = { stream, pcm, at: 0, sentAt: [] };
  const off = pacer.add(feed);
  const timer = setTimeout(() => stream.cancel(), SILENCE_TIMEOUT_MS);
  try {
    for await (const ev of stream.events()) {
      if (ev.type !== 'final') continue;
      // The chunk holding the utterance's last sample (atMs is where it ended) was sent already.
      const last = Math.max(0, Math.ceil((ev.atMs * SAMPLES_PER_MS) / pacer.chunk) - 1);
      return { text: ev.text, latencyMs: performance.now() - (feed.sentAt[last] ?? feed.sentAt.at(-1)!) };
    }
    return { failure: 'silence' };
  } catch (err) {
    return { failure: err instanceof SpeechError ? err.code : 'other' };
  } finally {
    off();
    clearTimeout(timer);
    stream.cancel();
  }
}

async function say(tts: Tts, callId: string): Promise<string | null> {
  try {
    for await (const _ of tts.synthesize({ text: PROMPT, language: 'ru-RU', callId }));
    return null;
  } catch (err) {
    return err instanceof SpeechError ? err.code : 'other';
  }
}

/**
 * Brings the modem voice to V8's optimising tier first, as a long-running engine is. Cold, it
 * decodes far slower than its 4500x real time (bench/speech-modem.ts), and on a loaded 2-core
 * machine (load average 8) the background compiler is starved too: a cold 10 s run of this load
 * had finals 1.4 s late at p50 (CPU 6.9 s); after this warm-up, 22 ms (CPU 5.2 s).
 */
function warmUp(): void {
  const burst = modemSpeak(PROMPT);
  const line = new Int16Array(burst.length * 2);
  line.set(burst);
  for (let i = 0; i < 300; i++) {
    const listener = new ModemListener();
    for (let at = 0; at < line.length; at += 160) listener.push(line.subarray(at, at + 160));
    listener.end();
    modemSpeak(`да ${i}`);
  }
}

/** Runs the calls, starts staggered over one listen cycle so the load is steady. */
export async function speechLoad(o: SpeechLoadOptions): Promise<SpeechLoadResult> {
  warmUp();
  const speech = connectSpeech(o.address, o.connect);
  const pacer = new Pacer(o.chunkMs);
  const cycleMs = o.callMs / o.listens;
  const failures: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let failed = 0;
  const fail = (why: string): void => {
    failed++;
    failures[why] = (failures[why] ?? 0) + 1;
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const call = async (i: number): Promise<void> => {
    await sleep((i * cycleMs) / o.calls);
    const start = performance.now();
    const callId = `load-${i}`;
    for (let k = 0; k < o.listens; k++) {
      const sayFailure = await say(speech.tts, callId);
      if (sayFailure) fail(`say ${sayFailure}`);
      const answer = `да ${i}-${k}`;
      const res = await listen(speech.asr, pacer, callId, answer);
      if ('failure' in res) fail(res.failure);
      else if (res.text !== answer) fail('wrong-text');
      else latenciesMs.push(res.latencyMs);
      await sleep(start + (k + 1) * cycleMs - performance.now());
    }
  };
  let stats: SpeechStats;
  try {
    await Promise.all(Array.from({ length: o.calls }, (_, i) => call(i)));
  } finally {
    pacer.stop();
    loop.disable();
    stats = speech.stats();
    speech.close();
  }
  latenciesMs.sort((a, b) => a - b);
  return { listens: o.calls * o.listens, failed, failures, latenciesMs, stats, cpuSeconds: cpuSeconds() - cpu0, wallMs: performance.now() - t0, loopDelayP99Ms: loop.percentile(99) / 1e6 };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `speech capacity:` 300 calls of 30 s with 12 listens each, 100 ms chunks. Runs about 35 s. */
export async function benchSpeechCapacity(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const server = await startReferenceSpeechServer();
  const calls = 300;
  const callMs = 30_000;
  try {
    const r = await speechLoad({ address: server.address, calls, listens: 12, callMs, chunkMs: 100 });
    const f = (ms: number): number => Number(ms.toFixed(1));
    return {
      name: `speech capacity: ${calls} calls x ${r.listens / calls} listens over gRPC, ${r.failed} failed, p50 ${f(percentile(r.latenciesMs, 50))} ms, p99 ${f(percentile(r.latenciesMs, 99))} ms, ${f((100 * r.cpuSeconds) / (r.wallMs / 1000))}% CPU`,
      figures: {
        'concurrent calls': calls,
        'listens (12 per 30 s call)': r.listens,
        'failed steps (listens and prompts)': r.failed,
        'failures by cause': JSON.stringify(r.failures),
        'RST_STREAMs sent by the client': r.stats.resets,
        'streams re-opened after a lost connection': r.stats.reopened,
        'end of answer audio -> final, p50 (ms)': f(percentile(r.latenciesMs, 50)),
        'end of answer audio -> final, p99 (ms)': f(percentile(r.latenciesMs, 99)),
        'CPU, client + engine in one process (% of one core)': f((100 * r.cpuSeconds) / (r.wallMs / 1000)),
        'CPU per call-second (ms)': f((r.cpuSeconds * 1000) / ((calls * callMs) / 1000)),
        'event-loop delay p99 (ms)': f(r.loopDelayP99Ms),
        'wall (s)': f(r.wallMs / 1000),
      },
    };
  } finally {
    await server.close();
  }
}
