/**
 * The reference speech server's closed-grammar recogniser on Debian's pocketsphinx (en-us model),
 * for Russian and English: a pool of Python workers (worker.py on python3-pocketsphinx), one
 * decode at a time each, so N workers decode N utterances in parallel. Russian words are spoken
 * in the en-us phone set through espeak-ng's IPA (lexicon.py); English words come from cmudict.
 *
 * Each utterance is decoded once, against the grammar; confidence.ts turns the path's per-frame
 * acoustic score (relative to each frame's best senone) and the N-best margin into a confidence,
 * and an utterance that fits its best phrase badly is heard as outside the grammar (transcript
 * null).
 *
 * Debian packages: python3-pocketsphinx, pocketsphinx-en-us, espeak-ng (and python3).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SpeechError } from '../../../core/index.js';
import { Backlog } from '../backlog.js';
import type { GrammarRecognizer, RecognizedWord, UtteranceResult } from '../engines.js';
import { decide, type DecodeFeatures } from './confidence.js';
import { upsample8to16 } from './upsample.js';

export { CONFIDENCE, RULE, decide, type DecodeFeatures } from './confidence.js';

export interface PocketsphinxOptions {
  /** parallel decoders; default: the number of CPU cores */
  workers?: number;
  /** the Python with python3-pocketsphinx; default /usr/bin/python3 (Debian's, not a pyenv's) */
  python?: string;
  /** the model directory (holding en-us/ and cmudict-en-us.dict); default Debian's */
  model?: string;
  /** a decode taking longer fails (the worker is restarted); default 10 s */
  timeoutMs?: number;
  /** called with each decode's raw scores and the worker's decode time (for tuning confidence.ts) */
  onDecode?: (f: DecodeFeatures & { ms: number }) => void;
}

const WORKER = fileURLToPath(new URL('./worker.py', import.meta.url));
const LANGUAGES = { 'ru-RU': 'ru', 'en-US': 'en' } as const;
const FRAME_MS = 10;
const HINT = 'apt-get install -y python3-pocketsphinx pocketsphinx-en-us espeak-ng';

interface Reply {
  id: number; ok: boolean; error?: string; hyp: string | null; frames: number; score: number | null;
  words: [string, number, number][]; nbest: [string, number][]; ms: number;
}
interface Job { id: number; line: string; resolve: (r: Reply) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout; queuedAt: number }

/** One worker process; started again (by the pool) when it dies. */
class Worker {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  job: Job | null = null;
  loaded = false;
  dead = false;

  constructor(python: string, model: string | undefined, private readonly onExit: (w: Worker, why: string) => void) {
    this.proc = spawn(python, [WORKER, JSON.stringify({ model })], { stdio: 'pipe' });
    let stderr = '';
    this.proc.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const lines = createInterface({ input: this.proc.stdout });
    this.ready = new Promise<void>((resolve, reject) => {
      lines.once('line', (first) => {
        let msg: { ready?: boolean; fatal?: string; missing?: string };
        try { msg = JSON.parse(first); } catch { msg = { fatal: `unexpected output: ${first.slice(0, 200)}` }; }
        if (msg.ready) { this.loaded = true; resolve(); lines.on('line', (l) => this.reply(l)); return; }
        reject(new SpeechError('SPEECH_UNAVAILABLE', `pocketsphinx: ${msg.fatal}`, {}, { permanent: true, hint: `install the Debian package ${msg.missing ?? 'python3-pocketsphinx'} (${HINT})` }));
      });
      this.proc.on('error', (err) => reject(new SpeechError('SPEECH_UNAVAILABLE', `pocketsphinx: cannot run ${python}: ${err.message}`, {}, { permanent: true, hint: `install python3 and python3-pocketsphinx (${HINT})`, cause: err })));
      this.proc.on('exit', (code, sig) => {
        this.dead = true;
        const why = `pocketsphinx worker ${this.proc.pid} exited (${sig ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
        reject(new SpeechError('SPEECH_UNAVAILABLE', why, {}, { permanent: true, hint: HINT }));
        const job = this.job;
        this.job = null;
        if (job) { clearTimeout(job.timer); job.reject(new SpeechError('SPEECH_UNAVAILABLE', `${why}; the utterance was not recognised`, {}, { permanent: false })); }
        this.onExit(this, why);
      });
    });
    this.ready.catch(() => {});
  }

  private reply(line: string): void {
    const job = this.job;
    let r: Reply;
    try { r = JSON.parse(line); } catch { return; }
    if (!job || r.id !== job.id) return; // a reply to a request that was given up
    this.job = null;
    clearTimeout(job.timer);
    if (r.ok) job.resolve(r); else job.reject(new SpeechError('SPEECH_PROTOCOL', `pocketsphinx: ${r.error}`, {}, { permanent: true }));
  }

  run(job: Job, timeoutMs: number): void {
    this.job = job;
    job.timer = setTimeout(() => {
      if (this.job !== job) return;
      this.job = null;
      job.reject(new SpeechError('SPEECH_UNAVAILABLE', `pocketsphinx: no result in ${timeoutMs} ms; the worker is restarted`, {}, { permanent: false }));
      this.proc.kill('SIGKILL');
    }, timeoutMs);
    this.proc.stdin.write(job.line + '\n');
  }
}

/** "Да, конечно!" -> "да конечно" (what the worker's grammar holds) */
function normalise(phrase: string): string {
  return phrase.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

function wordsOf(r: Reply): RecognizedWord[] {
  return r.words
    .filter(([w]) => !/^(<.*>|\[.*\]|\(NULL\))$/.test(w))
    .map(([w, s, e]) => ({ word: w.replace(/\(\d+\)$/, ''), startMs: s * FRAME_MS, endMs: (e + 1) * FRAME_MS }));
}

/**
 * Starts the workers; resolves once all have loaded the model. Rejects with a SpeechError
 * (SPEECH_UNAVAILABLE) naming the Debian package to install when python3-pocketsphinx, the model or
 * Python itself is missing.
 */
export async function startPocketsphinx(opts: PocketsphinxOptions = {}): Promise<GrammarRecognizer> {
  const { availableParallelism } = await import('node:os');
  const n = Math.max(1, opts.workers ?? availableParallelism());
  const python = opts.python ?? '/usr/bin/python3';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const queue: Job[] = [];
  const backlog = new Backlog(() => pool.filter((w) => !w.dead).length);
  let closed = false;
  let nextId = 1;

  const pool: Worker[] = [];
  const onExit = (w: Worker) => {
    const i = pool.indexOf(w);
    if (closed || i < 0) return;
    pool[i] = spawnWorker(); // restarted; the next request waits for it to load
    pool[i].ready.then(pump, (err: Error) => {
      // it cannot start again (the package went away): fail what waits rather than hang it
      if (pool.some((o) => o.loaded && !o.dead)) return;
      for (const j of queue.splice(0)) j.reject(err);
    });
  };
  const spawnWorker = () => new Worker(python, opts.model, onExit);
  for (let i = 0; i < n; i++) pool.push(spawnWorker());
  try {
    await Promise.all(pool.map((w) => w.ready));
  } catch (err) {
    closed = true;
    for (const w of pool) w.proc.kill();
    throw err;
  }

  function pump(): void {
    for (const w of pool) {
      if (!queue.length) return;
      if (w.loaded && !w.dead && !w.job) w.run(queue.shift()!, timeoutMs);
    }
  }

  return {
    name: 'pocketsphinx',
    languages: Object.keys(LANGUAGES),
    async recognize(pcm, { language, grammar }, signal): Promise<UtteranceResult> {
      if (closed) throw new SpeechError('SPEECH_UNAVAILABLE', 'pocketsphinx: the recogniser is closed', {}, { permanent: true });
      const lang = LANGUAGES[language as keyof typeof LANGUAGES];
      if (!lang) throw new SpeechError('SPEECH_PROTOCOL', `pocketsphinx: no language "${language}" (have ${Object.keys(LANGUAGES).join(', ')})`, {}, { permanent: true });
      const byNorm = new Map<string, string>();
      for (const p of grammar) { const k = normalise(p); if (k && !byNorm.has(k)) byNorm.set(k, p); }
      if (!byNorm.size) throw new SpeechError('SPEECH_PROTOCOL', 'pocketsphinx: the grammar has no phrases', {}, { permanent: true });
      signal?.throwIfAborted();
      const pcm16 = upsample8to16(pcm);
      const id = nextId++;
      const line = JSON.stringify({ id, lang, grammar: [...byNorm.keys()], pcm: Buffer.from(pcm16.buffer, pcm16.byteOffset, pcm16.byteLength).toString('base64') });
      const reply = await new Promise<Reply>((resolve, reject) => {
        const job: Job = { id, line, resolve, reject, queuedAt: performance.now() };
        const abort = () => {
          const i = queue.indexOf(job);
          if (i >= 0) queue.splice(i, 1);
          reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
        };
        signal?.addEventListener('abort', abort, { once: true });
        const done = <T>(f: (v: T) => void) => (v: T) => { signal?.removeEventListener('abort', abort); f(v); };
        job.resolve = done(resolve);
        job.reject = done(reject);
        queue.push(job);
        pump();
      }).finally(() => setImmediate(pump));
      backlog.held(reply.ms);
      const features: DecodeFeatures = { hyp: reply.hyp, frames: reply.frames, score: reply.score, nbest: reply.nbest };
      opts.onDecode?.({ ...features, ms: reply.ms });
      const d = decide(features);
      return { transcript: d.accepted && reply.hyp ? byNorm.get(reply.hyp) ?? reply.hyp : null, confidence: d.confidence, words: d.accepted ? wordsOf(reply) : [] };
    },
    backlogMs() {
      return backlog.ms(queue);
    },
    requestMs() {
      return backlog.requestMs();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const j of queue.splice(0)) j.reject(new SpeechError('SPEECH_UNAVAILABLE', 'pocketsphinx: the recogniser closed', {}, { permanent: true }));
      await Promise.all(pool.map((w) => new Promise<void>((resolve) => {
        if (w.dead) return resolve();
        w.proc.once('exit', () => resolve());
        w.proc.stdin.end();
        setTimeout(() => w.proc.kill('SIGKILL'), 2000).unref();
      })));
    },
  };
}
