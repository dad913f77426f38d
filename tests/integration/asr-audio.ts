/**
 * Synthetic telephone-line speech for the recogniser tests: RHVoice at 24 kHz, decimated to 8 kHz,
 * 300 ms of silence either side, optional white noise at a given SNR (measured over speech
 * samples), through G.711 μ-law. The clean 8 kHz speech is cached on disk (os.tmpdir(), keyed by
 * voice and text), so a run after the first synthesises nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeUlaw, encodeUlaw } from '../../src/media/index.js';

export const HAVE_RHVOICE = spawnSync('RHVoice-test', ['--version']).status !== null;

const CACHE = join(tmpdir(), `zvonar-rhvoice-${process.getuid?.() ?? 0}`);
const PAD = 2400; // 300 ms at 8 kHz

/** low-pass FIR (cut-off 3.6 kHz at 24 kHz), then every third sample */
const DECIMATE = (() => {
  const n = 63; const h: number[] = []; const fc = 3600 / 24000;
  for (let i = 0; i < n; i++) {
    const x = i - (n - 1) / 2;
    const s = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    h.push(s * (0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (n - 1))));
  }
  return h;
})();

function readWav(buf: Buffer): { rate: number; pcm: Int16Array } {
  let off = 12; let rate = 0;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4); const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const len = Math.min(size, buf.length - off - 8) >> 1;
      const pcm = new Int16Array(len);
      for (let i = 0; i < len; i++) pcm[i] = buf.readInt16LE(off + 8 + 2 * i);
      return { rate, pcm };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** a deterministic noise source, so a run is repeatable */
function gauss(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** clean 8 kHz speech with the silence either side (cached on disk) */
export function clean8k(text: string, voice: string): Int16Array {
  const key = createHash('sha1').update(`v1\n${voice}\n${text}`).digest('hex').slice(0, 20);
  const file = join(CACHE, `${voice}-${key}.pcm`);
  try {
    const b = readFileSync(file);
    return new Int16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
  } catch { /* not cached yet */ }
  mkdirSync(CACHE, { recursive: true });
  const wav = `${file}.${process.pid}.wav`;
  execFileSync('RHVoice-test', ['-p', voice, '-o', wav], { input: text });
  const { rate, pcm } = readWav(readFileSync(wav));
  rmSync(wav, { force: true });
  if (rate !== 24000) throw new Error(`RHVoice wrote ${rate} Hz; the test decimates 24 kHz`);
  const out = new Int16Array(Math.floor(pcm.length / 3) + 2 * PAD);
  for (let i = 0; 3 * i < pcm.length; i++) {
    let acc = 0;
    for (let k = 0; k < DECIMATE.length; k++) { const j = 3 * i - k + 31; if (j >= 0 && j < pcm.length) acc += DECIMATE[k]! * pcm[j]!; }
    out[PAD + i] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  renameSync(tmp, file);
  return out;
}

/** RHVoice speech as heard on a G.711 line, with white noise at snrDb if given */
export function lineSpeech(text: string, voice: string, snrDb?: number): Int16Array {
  const pcm = clean8k(text, voice);
  const out = Float64Array.from(pcm);
  if (snrDb !== undefined) {
    let e = 0; let n = 0;
    for (const v of out) if (Math.abs(v) > 300) { e += v * v; n++; } // speech samples only
    const sigma = Math.sqrt(e / Math.max(1, n)) / 10 ** (snrDb / 20);
    let seed = 0;
    for (const ch of `${voice}|${text}|${snrDb}`) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
    const g = gauss(seed);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + sigma * g();
  }
  return decodeUlaw(encodeUlaw(Int16Array.from(out, (v) => Math.max(-32768, Math.min(32767, Math.round(v))))));
}

/** the intents in play in a yes/no step (its grammar) */
export const YESNO_STEP = ['yes', 'no', 'operator', 'callback', 'repeat', 'already_done', 'wrong_person', 'stop_calling'] as const;

/** sentences outside any grammar, as callees say them */
export const OFF_GRAMMAR = {
  ru: ['а кто это звонит', 'я сейчас в магазине у кассы', 'скажите адрес поликлиники', 'сколько это стоит', 'а вы кто', 'подождите минутку',
    'я не знаю', 'мне надо подумать', 'а какой врач принимает', 'у меня болит спина', 'как вас зовут', 'это платно', 'откуда у вас мой номер',
    'позовите маму', 'что за поликлиника', 'я в поликлинике уже лечусь', 'какие анализы нужно сдать', 'а где это находится', 'у меня собака лает',
    'сейчас посмотрю в календаре'],
  en: ['who is this', 'i am at the store right now', 'what is the clinic address', 'how much does it cost', 'who are you', 'wait a minute',
    'i do not know', 'let me think about it', 'which doctor is it', 'my back hurts', 'what is your name', 'is it free',
    'where did you get my number', 'let me get my mother', 'what clinic is this', 'what tests do i need', 'where is it located',
    'my dog is barking', 'let me check my calendar', 'the weather is nice today'],
} as const;
