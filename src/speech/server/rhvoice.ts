import { type ChildProcess, execFile, fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LINE_RATE_HZ, childSpeech } from './child-voice.js';
import type { SynthesisOptions, VoiceEngine, VoiceInfo } from './engines.js';
import { stressMarksFor } from '../pronunciation.js';
import { Backlog } from './backlog.js';
import { Resampler } from './resample.js';
import type { ToHost } from './rhvoice-host.js';
import type { FromWorker, RhvoiceWorkerData } from './rhvoice-worker.js';

/**
 * RHVoice, the default voice: natural-sounding statistical synthesis with Russian and English
 * voices (Debian non-free: rhvoice, rhvoice-russian, rhvoice-english).
 *
 * Two ways to drive it, the first that works is taken:
 *  - 'library': RHVoice's C API (libRHVoice.so.5, Debian librhvoice5) through koffi, one engine per
 *    child process (rhvoice-host.ts says why not per thread), loaded once. Measured on a 2-core machine, a 10.7 s Russian prompt: first
 *    chunk in about 5 ms once its voice is loaded (130-220 ms the first time), real-time factor
 *    about 0.03; some 80-100 MB per process with two voices loaded.
 *  - 'command': RHVoice-test per request, its WAV on stdout. Every request loads its voice again:
 *    first chunk 150-300 ms, real-time factor about 0.05-0.08, about 38 MB per running request.
 * bench/speech-voices.ts measures both.
 *
 * RHVoice makes 24 kHz (16 kHz at quality=min); it is resampled to 8 kHz here. An abort stops
 * the library at its next piece of speech (a few ms) and kills RHVoice-test.
 */

const exec = promisify(execFile);
export const RHVOICE_PACKAGES = 'rhvoice rhvoice-russian rhvoice-english';
const DATA_PATH = '/usr/share/RHVoice';
const CONFIG_PATH = '/etc/RHVoice';
const LIBRARY = 'libRHVoice.so.5';
const TIMEOUT_MS = 60_000;
const LANGUAGE_TAGS: Readonly<Record<string, string>> = { Russian: 'ru-RU', English: 'en-US' };

export interface RhvoiceOptions {
  /** 'library' or 'command'; unless told, the library when it loads, else RHVoice-test */
  driver?: 'library' | 'command';
  /** processes for the library driver: requests spoken at once; the cores unless told */
  workers?: number;
  /** where voices are installed; /usr/share/RHVoice unless told */
  dataPath?: string;
  /** voices each process loads at start, so that no request waits for a load; the first Russian voice unless told */
  preload?: readonly string[];
}

interface Voice extends VoiceInfo {
  /** RHVoice's own name, "Anna" */
  profile: string;
}

/** The voices installed: one folder each, with a voice.info naming it and its language. */
function installedVoices(dataPath: string): Voice[] {
  const dir = join(dataPath, 'voices');
  if (!existsSync(dir)) return [];
  const voices: Voice[] = [];
  for (const folder of readdirSync(dir).sort()) {
    const info = join(dir, folder, 'voice.info');
    if (!existsSync(info)) continue;
    const fields = Object.fromEntries(readFileSync(info, 'utf8').split('\n').map((l) => l.split('=').map((s) => s.trim())).filter((kv) => kv.length === 2));
    const language = LANGUAGE_TAGS[fields.language ?? ''];
    // the server writes out numbers for Russian and English only: other voices are not offered
    if (!language || !fields.name) continue;
    voices.push({ name: folder.toLowerCase(), language, profile: fields.name });
  }
  return voices;
}

/**
 * Finds RHVoice's voices and a way to drive it. Rejects with an Error naming the Debian packages
 * when RHVoice or its voices are not installed.
 */
export async function startRhvoice(opts: RhvoiceOptions = {}): Promise<VoiceEngine> {
  const dataPath = opts.dataPath ?? DATA_PATH;
  const voices = installedVoices(dataPath);
  if (!voices.length) {
    throw new Error(`RHVoice has no Russian or English voice under ${dataPath}/voices: install the Debian packages ${RHVOICE_PACKAGES} (non-free)`);
  }
  if (opts.driver !== 'command') {
    try {
      const defaultVoice = voices.find((v) => v.language === 'ru-RU') ?? voices[0]!;
      const preload = (opts.preload ?? [defaultVoice.name]).map((n) => voiceFor(voices, n));
      return await LibraryRhvoice.start(voices, dataPath, opts.workers ?? Math.max(1, availableParallelism()), preload);
    } catch (err) {
      if (opts.driver === 'library') throw err;
    }
  }
  try {
    await exec('RHVoice-test', ['--version'], { timeout: 10_000 });
  } catch (err) {
    throw new Error(`RHVoice-test cannot be run (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): install the Debian packages ${RHVOICE_PACKAGES} (non-free)`, { cause: err });
  }
  return new CommandRhvoice(voices);
}

function voiceFor(voices: readonly Voice[], name: string): Voice {
  const v = voices.find((x) => x.name === name.toLowerCase());
  if (!v) throw new Error(`RHVoice has no voice "${name.slice(0, 40)}"; its voices: ${voices.map((x) => x.name).join(', ')}`);
  return v;
}

/** RHVoice-test per request. */
class CommandRhvoice implements VoiceEngine {
  readonly name = 'rhvoice';
  readonly driver = 'command';
  readonly voices: readonly Voice[];
  #closed = false;

  constructor(voices: Voice[]) {
    this.voices = voices;
  }

  async *synthesize(text: string, opts: SynthesisOptions, signal: AbortSignal): AsyncGenerator<Int16Array> {
    if (this.#closed) throw new Error('RHVoice: the engine is closed');
    const v = voiceFor(this.voices, opts.voice);
    const percent = Math.round(Math.min(200, Math.max(50, 100 * opts.rate)));
    yield* childSpeech({
      engine: 'RHVoice-test',
      command: 'RHVoice-test',
      args: ['-p', v.profile, '-r', String(percent), '-o', '-'],
      input: stressMarksFor(text, 'acute'),
      timeoutMs: TIMEOUT_MS,
    }, signal);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function hostFile(): URL {
  // under vitest this module is TypeScript: the host runs from the build (npm test builds first)
  if (import.meta.url.endsWith('.ts')) return new URL('../../../dist/src/speech/server/rhvoice-host.js', import.meta.url);
  return new URL('./rhvoice-host.js', import.meta.url);
}

type JobEvent = { t: 'pcm'; pcm: Int16Array } | { t: 'rate'; hz: number } | { t: 'end'; error?: Error };

interface Job {
  id: number;
  msg: Extract<ToHost, { t: 'speak' }>;
  /** the process speaking it, once one is */
  holder?: EngineProcess;
  /** performance.now() when it was queued for a free process */
  queuedAt?: number;
  push(e: JobEvent): void;
}

/** A child process holding one RHVoice engine (rhvoice-host.ts), speaking one request at a time. */
class EngineProcess {
  readonly #child: ChildProcess;
  job: Job | null = null;
  /** performance.now() when it was handed its job */
  busySince = 0;
  dead = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(data: RhvoiceWorkerData, onFree: (w: EngineProcess) => void): Promise<EngineProcess> {
    const file = hostFile();
    if (!existsSync(file)) return Promise.reject(new Error(`RHVoice host ${file.pathname} is missing: run npm run build`));
    // no inspector or loader flags of the parent (vitest's among them): the host is plain JavaScript
    const child = fork(file, [JSON.stringify(data)], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const w = new EngineProcess(child);
    return new Promise((resolve, reject) => {
      child.on('message', (m: FromWorker) => {
        if (m.t === 'ready') resolve(w);
        else if (m.t === 'failed') reject(new Error(`RHVoice library: ${m.message}`));
        else if (w.job && m.id === w.job.id) {
          if (m.t === 'pcm') w.job.push({ t: 'pcm', pcm: m.pcm });
          else if (m.t === 'rate') w.job.push({ t: 'rate', hz: m.hz });
          else {
            w.job.push({ t: 'end', ...(m.ok ? {} : { error: new Error('RHVoice could not speak the text') }) });
            w.job = null;
            onFree(w);
          }
        }
      });
      const die = (err: Error) => {
        if (w.dead) return;
        w.dead = true;
        reject(err);
        w.job?.push({ t: 'end', error: new Error(`RHVoice process died: ${err.message}`) });
        w.job = null;
        onFree(w);
      };
      child.on('error', die);
      child.on('exit', (code, signal) => die(new Error(signal ? `killed by ${signal}` : `exit code ${code}`)));
    });
  }

  speak(job: Job): void {
    this.job = job;
    this.busySince = performance.now();
    job.holder = this;
    this.#child.send(job.msg);
  }

  /** Stops the request being spoken at RHVoice's next piece of speech (a few ms). */
  stop(job: Job): void {
    if (this.job === job && this.#child.connected) this.#child.send({ t: 'stop', id: job.id } satisfies ToHost);
  }

  /** Ends the process: it stops at once, even inside a native call. */
  async terminate(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.kill('SIGKILL');
    await exited;
  }
}

/** RHVoice's library in a pool of child processes. */
class LibraryRhvoice implements VoiceEngine {
  readonly name = 'rhvoice';
  readonly driver = 'library';
  readonly voices: readonly Voice[];
  readonly #data: RhvoiceWorkerData;
  readonly #engines: EngineProcess[] = [];
  readonly #queue: Job[] = [];
  readonly #backlog = new Backlog(() => this.#engines.filter((w) => !w.dead).length);
  #nextId = 1;
  #closed = false;

  private constructor(voices: Voice[], data: RhvoiceWorkerData) {
    this.voices = voices;
    this.#data = data;
  }

  static async start(voices: Voice[], dataPath: string, size: number, preload: readonly Voice[]): Promise<LibraryRhvoice> {
    const engine = new LibraryRhvoice(voices, { library: LIBRARY, dataPath, configPath: CONFIG_PATH });
    const first = await EngineProcess.start(engine.#data, (w) => engine.#free(w));
    engine.#engines.push(first);
    const rest = await Promise.all(Array.from({ length: size - 1 }, () => EngineProcess.start(engine.#data, (w) => engine.#free(w))));
    engine.#engines.push(...rest);
    // load the voices now: each process speaks a word in each, so no request pays for a load
    for (const w of engine.#engines) {
      for (const v of preload) {
        await new Promise<void>((resolve) => {
          w.speak({ id: 0, msg: { t: 'speak', id: 0, text: v.language.startsWith('ru') ? 'да' : 'yes', voice: v.profile, rate: 1 }, push: (e) => e.t === 'end' && resolve() });
        });
      }
    }
    return engine;
  }

  async *synthesize(text: string, opts: SynthesisOptions, signal: AbortSignal): AsyncGenerator<Int16Array> {
    if (this.#closed) throw new Error('RHVoice: the engine is closed');
    const v = voiceFor(this.voices, opts.voice);
    if (signal.aborted) return;
    const events: JobEvent[] = [];
    let wake: (() => void) | null = null;
    const id = this.#nextId++;
    const job: Job = {
      id,
      msg: { t: 'speak', id, text: stressMarksFor(text, 'acute'), voice: v.profile, rate: Math.min(2, Math.max(0.5, opts.rate)) },
      push: (e) => {
        events.push(e);
        wake?.();
      },
    };
    const abort = () => {
      this.#drop(job);
      wake?.();
    };
    signal.addEventListener('abort', abort, { once: true });
    this.#enqueue(job);
    let resampler: Resampler | undefined;
    try {
      for (;;) {
        if (signal.aborted) return;
        const e = events.shift();
        if (!e) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        if (e.t === 'rate') resampler = new Resampler(e.hz, LINE_RATE_HZ);
        else if (e.t === 'pcm') {
          const out = (resampler ??= new Resampler(24_000, LINE_RATE_HZ)).push(e.pcm);
          if (out.length) yield out;
        } else {
          if (e.error) throw e.error;
          const tail = resampler?.flush();
          if (tail?.length) yield tail;
          return;
        }
      }
    } finally {
      signal.removeEventListener('abort', abort);
      // a consumer that stops reading stops the synthesis too
      this.#drop(job);
    }
  }

  backlogMs(): number {
    return this.#backlog.ms(this.#queue);
  }

  requestMs(): number {
    return this.#backlog.requestMs();
  }

  /** Stops a request: out of the queue, or its process told to stop. */
  #drop(job: Job): void {
    job.holder?.stop(job);
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
  }

  #enqueue(job: Job): void {
    const idle = this.#engines.find((w) => !w.dead && !w.job);
    if (idle) idle.speak(job);
    else {
      job.queuedAt = performance.now();
      this.#queue.push(job);
    }
    void this.#replaceDead();
  }

  #free(w: EngineProcess): void {
    if (w.busySince > 0) this.#backlog.held(performance.now() - w.busySince);
    w.busySince = 0;
    if (w.dead) {
      void this.#replaceDead();
      return;
    }
    const next = this.#queue.shift();
    if (next) w.speak(next);
  }

  async #replaceDead(): Promise<void> {
    if (this.#closed) return;
    const dead = this.#engines.filter((w) => w.dead);
    for (const d of dead) {
      this.#engines.splice(this.#engines.indexOf(d), 1);
      try {
        const w = await EngineProcess.start(this.#data, (x) => this.#free(x));
        if (this.#closed) return void w.terminate();
        this.#engines.push(w);
        this.#free(w);
      } catch (err) {
        // the next request tries again; those queued are told now
        for (const job of this.#queue.splice(0)) job.push({ t: 'end', error: new Error(`RHVoice process cannot be restarted: ${(err as Error).message}`) });
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.push({ t: 'end', error: new Error('RHVoice: the engine closed') });
    await Promise.all(this.#engines.map((w) => w.terminate()));
  }
}
