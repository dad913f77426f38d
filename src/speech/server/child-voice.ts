import { spawn } from 'node:child_process';
import { Resampler } from './resample.js';

/** the phone line's rate, which every VoiceEngine speaks at */
export const LINE_RATE_HZ = 8000;

/**
 * A streamed WAV (what `espeak-ng --stdout` and `RHVoice-test -o -` write): a RIFF header whose
 * sizes are unknown (0 or 0x7fffffff), then 16-bit mono PCM up to the end of the stream. push()
 * returns the samples found so far; the header's rate is known once it returns any.
 */
export class WavStream {
  sampleRate = 0;
  #head: Buffer = Buffer.alloc(0);
  #inData = false;
  /** an odd byte left from the last chunk */
  #odd: number | null = null;
  readonly #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  push(chunk: Buffer): Int16Array {
    let data: Buffer;
    if (!this.#inData) {
      this.#head = Buffer.concat([this.#head, chunk]);
      const start = this.#parseHeader();
      if (start < 0) return new Int16Array(0);
      this.#inData = true;
      data = this.#head.subarray(start);
      this.#head = Buffer.alloc(0);
    } else {
      data = chunk;
    }
    if (this.#odd !== null) {
      data = Buffer.concat([Buffer.from([this.#odd]), data]);
      this.#odd = null;
    }
    if (data.length % 2) {
      this.#odd = data[data.length - 1]!;
      data = data.subarray(0, data.length - 1);
    }
    const out = new Int16Array(data.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = data.readInt16LE(2 * i);
    return out;
  }

  /** the offset of the PCM data, or -1 while the header is incomplete */
  #parseHeader(): number {
    const b = this.#head;
    if (b.length < 12) return -1;
    if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${this.#what} wrote something other than a WAV stream`);
    let at = 12;
    while (at + 8 <= b.length) {
      const id = b.toString('latin1', at, at + 4);
      const size = b.readUInt32LE(at + 4);
      if (id === 'data') {
        if (!this.sampleRate) throw new Error(`${this.#what}: WAV data before its format`);
        return at + 8;
      }
      if (at + 8 + size > b.length) return -1;
      if (id === 'fmt ') {
        const format = b.readUInt16LE(at + 8), channels = b.readUInt16LE(at + 10), bits = b.readUInt16LE(at + 22);
        if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`${this.#what}: WAV is format ${format}, ${channels} channels, ${bits} bits; 16-bit mono PCM expected`);
        this.sampleRate = b.readUInt32LE(at + 12);
      }
      at += 8 + size + (size % 2);
    }
    return -1;
  }
}

export interface ChildSpeech {
  /** the engine's name, for errors: "espeak-ng" */
  engine: string;
  command: string;
  args: readonly string[];
  /** written to the child's standard input, which is then closed */
  input: string;
  /** how long the child may take over the whole text before it is killed */
  timeoutMs?: number;
}

/**
 * Runs a synthesiser that writes a WAV stream to its standard output, and yields its speech at
 * 8 kHz as it comes. An abort kills the child at once and ends the iteration without an error;
 * a child that fails (non-zero exit, nothing spoken, a signal) is an Error naming the engine and
 * the last lines it printed to stderr.
 */
export async function* childSpeech(c: ChildSpeech, signal: AbortSignal): AsyncGenerator<Int16Array> {
  if (signal.aborted) return;
  const child = spawn(c.command, c.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null; err?: Error }>((resolve) => {
    child.once('error', (err) => resolve({ code: null, sig: null, err }));
    child.once('close', (code, sig) => resolve({ code, sig }));
  });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  if (c.timeoutMs) {
    timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, c.timeoutMs);
  }
  // a child that dies before reading its input makes the write fail with EPIPE: the exit says why
  child.stdin.on('error', () => {});
  child.stdin.end(c.input);
  const wav = new WavStream(c.engine);
  let resampler: Resampler | undefined;
  let samples = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      if (signal.aborted) return;
      const pcm = wav.push(chunk);
      if (!pcm.length) continue;
      resampler ??= new Resampler(wav.sampleRate, LINE_RATE_HZ);
      const out = resampler.push(pcm);
      samples += pcm.length;
      if (out.length) yield out;
    }
    const end = await exited;
    if (signal.aborted) return;
    const why = end.err ? `cannot be started: ${end.err.message}` : timedOut ? `took longer than ${c.timeoutMs} ms` : end.code !== 0 ? `exited with ${end.sig ?? `code ${end.code}`}` : !samples && /\p{L}/u.test(c.input) ? 'spoke nothing' : '';
    if (why) throw new Error(`${c.engine} ${why}${stderr.trim() ? `: ${lastLines(stderr)}` : ''}`);
    const tail = resampler?.flush();
    if (tail?.length) yield tail;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' / ').slice(0, 300);
}
