/**
 * A streaming rational resampler for mono 16-bit PCM: a polyphase FIR whose prototype is a
 * Kaiser-windowed sinc low-pass at the lower rate's band edge. It takes the synthesisers' rates
 * (RHVoice 24 or 16 kHz, espeak-ng 22.05 kHz) to the phone line's 8 kHz: 60 dB of stop-band from
 * 4.1 kHz, flat to 3.5 kHz (the phone band ends at 3.4). Cost: about 150 multiply-adds per output
 * sample, some 1.2 M a second of speech, a fraction of a millisecond.
 */

const STOPBAND_DB = 60;
/** pass-band edge and stop-band start, as fractions of the lower rate's Nyquist frequency */
const PASS = 0.875;
const STOP = 1.025;

interface Filter {
  /** up-sampling factor: phases */
  L: number;
  /** down-sampling factor */
  M: number;
  /** taps per phase */
  K: number;
  /** phase-major: phase p's tap j is h[p * K + j], applied to x[i - j] */
  h: Float32Array;
}

const filters = new Map<string, Filter>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** zeroth-order modified Bessel function of the first kind, by its series */
function bessel0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

function design(fromHz: number, toHz: number): Filter {
  const g = gcd(fromHz, toHz);
  const L = toHz / g, M = fromHz / g;
  const fs = fromHz * L; // the up-sampled rate the prototype runs at
  const nyquist = Math.min(fromHz, toHz) / 2;
  const cutoff = ((PASS + STOP) / 2) * nyquist;
  const transition = (STOP - PASS) * nyquist;
  // Kaiser's formulas: length for the attenuation and transition width, beta for the attenuation
  const perInput = Math.ceil((STOPBAND_DB - 8) / (2.285 * 2 * Math.PI * (transition / fromHz)));
  // odd, so that without up-sampling (L = 1) the delay is a whole number of samples
  const K = perInput % 2 ? perInput : perInput + 1;
  const N = K * L;
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const proto = new Float64Array(N);
  const mid = (N - 1) / 2;
  const i0beta = bessel0(beta);
  for (let n = 0; n < N; n++) {
    const t = n - mid;
    const x = 2 * (cutoff / fs) * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = t / mid;
    proto[n] = sinc * (bessel0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0beta);
  }
  const h = new Float32Array(N);
  for (let p = 0; p < L; p++) {
    // each phase sums to one: a constant input comes out at the same level whatever the phase
    let sum = 0;
    for (let j = 0; j < K; j++) sum += proto[p + j * L]!;
    for (let j = 0; j < K; j++) h[p * K + j] = proto[p + j * L]! / sum;
  }
  return { L, M, K, h };
}

function filterFor(fromHz: number, toHz: number): Filter {
  const key = `${fromHz}/${toHz}`;
  let f = filters.get(key);
  if (!f) filters.set(key, (f = design(fromHz, toHz)));
  return f;
}

/**
 * One stream's resampler: push() chunks as they come, then flush() once for the filter's tail.
 * The output is aligned with the input (the filter's delay is taken out).
 */
export class Resampler {
  readonly fromHz: number;
  readonly toHz: number;
  readonly #f: Filter | null;
  /** pending input: K - 1 samples of history, then what has not been used yet */
  #x: Float32Array;
  #n: number;
  /** the next output's position in up-sampled units from #x[0] */
  #t: number;
  #flushed = false;

  constructor(fromHz: number, toHz: number) {
    if (!Number.isInteger(fromHz) || !Number.isInteger(toHz) || fromHz <= 0 || toHz <= 0) throw new RangeError(`cannot resample ${fromHz} Hz to ${toHz} Hz`);
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.#f = fromHz === toHz ? null : filterFor(fromHz, toHz);
    const K = this.#f?.K ?? 1;
    this.#x = new Float32Array(Math.max(4096, 2 * K));
    this.#n = K - 1;
    // start half the filter later: its delay, so output sample 0 lines up with input sample 0
    this.#t = this.#f ? (K - 1) * this.#f.L + Math.round((K * this.#f.L - 1) / 2) : 0;
  }

  push(pcm: Int16Array): Int16Array {
    if (this.#flushed) throw new Error('Resampler: push() after flush()');
    if (!this.#f) return pcm.slice();
    this.#append(pcm, pcm.length);
    return this.#run();
  }

  /** the tail still inside the filter: half its length in zeros pushes it out */
  flush(): Int16Array {
    if (this.#flushed || !this.#f) return new Int16Array(0);
    this.#flushed = true;
    const pad = Math.ceil(this.#f.K / 2) + 1;
    this.#append(new Int16Array(pad), pad);
    return this.#run();
  }

  #append(pcm: Int16Array, count: number): void {
    if (this.#n + count > this.#x.length) {
      const bigger = new Float32Array(Math.max(this.#x.length * 2, this.#n + count));
      bigger.set(this.#x.subarray(0, this.#n));
      this.#x = bigger;
    }
    for (let i = 0; i < count; i++) this.#x[this.#n + i] = pcm[i]!;
    this.#n += count;
  }

  #run(): Int16Array {
    const { L, M, K, h } = this.#f!;
    const x = this.#x;
    const n = this.#n;
    let t = this.#t;
    const out = new Int16Array(Math.max(0, Math.ceil((n * L - t) / M)));
    let o = 0;
    for (;;) {
      const i = Math.floor(t / L);
      if (i >= n) break;
      const p = t - i * L;
      const base = p * K;
      let acc = 0;
      for (let j = 0; j < K; j++) acc += h[base + j]! * x[i - j]!;
      out[o++] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
      t += M;
    }
    // keep K - 1 samples of history before the next output's input sample
    const keepFrom = Math.max(0, Math.min(n, Math.floor(t / L)) - (K - 1));
    x.copyWithin(0, keepFrom, n);
    this.#n = n - keepFrom;
    this.#t = t - keepFrom * L;
    return o === out.length ? out : out.slice(0, o);
  }
}

/** A whole buffer at once. */
export function resample(pcm: Int16Array, fromHz: number, toHz: number): Int16Array {
  const r = new Resampler(fromHz, toHz);
  const a = r.push(pcm), b = r.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
