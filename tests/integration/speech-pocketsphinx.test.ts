/**
 * The pocketsphinx grammar recogniser on real synthetic speech: RHVoice answers, 8 kHz, through
 * G.711 μ-law, with silence either side (tests/integration/asr-audio.ts; the synthesised speech is
 * cached in os.tmpdir() across runs). Prints per voice the share of in-grammar answers heard as
 * the right intent, the share of off-grammar sentences rejected, and the split of decisions at
 * CONFIDENCE (acted right / confirmed / rejected / acted WRONG). Voices anna, aleksandr (ru) and
 * slt (en) tuned confidence.ts (clean and with line noise at 15-30 dB); elena, irina and yuriy
 * are held out, with line noise (22 dB SNR). A fixed sample per voice (about 20 answers of the
 * yes/no step's grammar and 10 off-grammar sentences) keeps the run short; tune/ holds the
 * full-corpus tuning tools. Skipped when RHVoice or python3-pocketsphinx is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechError } from '../../src/core/index.js';
import { GRAMMAR_PHRASES } from '../../src/dialog/intents/grammar.js';
import type { GrammarRecognizer } from '../../src/speech/server/engines.js';
import { CONFIDENCE, startPocketsphinx } from '../../src/speech/server/pocketsphinx/index.js';
import { HAVE_RHVOICE, lineSpeech, OFF_GRAMMAR, YESNO_STEP } from './asr-audio.js';

const HAVE_PS = spawnSync('/usr/bin/python3', ['-c', 'import pocketsphinx']).status === 0;
const HAVE = HAVE_RHVOICE && HAVE_PS;

type Lang = 'ru' | 'en';
const TAG: Record<Lang, string> = { ru: 'ru-RU', en: 'en-US' };

function intentOf(lang: Lang, phrase: string | null): string | null {
  if (phrase === null) return null;
  for (const [intent, ps] of Object.entries(GRAMMAR_PHRASES[lang])) if (ps.includes(phrase)) return intent;
  return null;
}

/** the yes/no step's grammar, a fixed sample of its phrases (every `step`-th from `offset`) and half the off-grammar sentences */
function sample(lang: Lang, step: number, offset: number, half: 0 | 1) {
  const all = YESNO_STEP.flatMap((i) => GRAMMAR_PHRASES[lang][i].map((p) => [p, i] as [string, string]));
  return {
    grammar: all.map(([p]) => p),
    answers: all.filter((_, k) => k % step === offset % step),
    off: OFF_GRAMMAR[lang].filter((_, k) => k % 2 === half),
  };
}

let asr: GrammarRecognizer;
const decodeMs: number[] = [];

interface Heard { text: string; transcript: string | null; confidence: number }

async function hear(lang: Lang, grammar: readonly string[], texts: readonly string[], voice: string, snrDb?: number): Promise<Heard[]> {
  // two at a time: the pool's two workers decode in parallel, as on a 2-core server
  const out: Heard[] = [];
  for (let i = 0; i < texts.length; i += 2) {
    out.push(...await Promise.all(texts.slice(i, i + 2).map(async (text) => {
      const r = await asr.recognize(lineSpeech(text, voice, snrDb), { language: TAG[lang], grammar });
      return { text, transcript: r.transcript, confidence: r.confidence };
    })));
  }
  return out;
}

const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(0)}%`;

interface Split { right: number; confirmedRight: number; confirmedWrong: number; rejected: number; wrong: number; n: number }
function split(lang: Lang, rows: readonly Heard[], expected: (t: string) => string | null): Split {
  const s: Split = { right: 0, confirmedRight: 0, confirmedWrong: 0, rejected: 0, wrong: 0, n: rows.length };
  for (const r of rows) {
    const got = intentOf(lang, r.transcript);
    const want = expected(r.text);
    if (got === null || r.confidence < CONFIDENCE.confirm) s.rejected++;
    else if (r.confidence >= CONFIDENCE.act) { if (got === want) s.right++; else s.wrong++; }
    else if (got === want) s.confirmedRight++; else s.confirmedWrong++;
  }
  return s;
}
const show = (s: Split) => `acted right ${pct(s.right, s.n)}, confirmed ${pct(s.confirmedRight + s.confirmedWrong, s.n)} (${s.confirmedRight} right, ${s.confirmedWrong} wrong), rejected ${pct(s.rejected, s.n)}, acted WRONG ${pct(s.wrong, s.n)} (${s.wrong}/${s.n})`;

describe.skipIf(!HAVE)('pocketsphinx grammar recogniser on RHVoice speech through G.711', () => {
  beforeAll(async () => {
    asr = await startPocketsphinx({ workers: 2, onDecode: (f) => { decodeMs.push(f.ms); } });
  }, 30_000);
  afterAll(async () => {
    await asr?.close();
    const ms = [...decodeMs].sort((a, b) => a - b);
    if (ms.length) console.log(`decode ms per utterance (worker): p50 ${ms[Math.floor(ms.length / 2)]}, p95 ${ms[Math.floor(ms.length * 0.95)]}, n ${ms.length}`);
  });

  for (const [lang, voice, step, offset, half, snr] of [
    ['ru', 'anna', 8, 0, 0, undefined], ['ru', 'aleksandr', 8, 4, 1, undefined], ['en', 'slt', 5, 0, 0, undefined], ['ru', 'anna', 8, 2, 1, 20],
  ] as const) {
    it(`${voice} (${lang}, tuning voice${snr ? `, ${snr} dB SNR` : ''}): in-grammar answers and off-grammar sentences`, async () => {
      const { grammar, answers, off } = sample(lang, step, offset, half);
      const want = new Map(answers);
      const inG = await hear(lang, grammar, answers.map(([p]) => p), voice, snr);
      const offG = await hear(lang, grammar, off, voice, snr);
      const top = inG.filter((r) => intentOf(lang, r.transcript) === want.get(r.text)).length;
      const rejected = offG.filter((r) => r.transcript === null || r.confidence < CONFIDENCE.confirm).length;
      const sIn = split(lang, inG, (t) => want.get(t) ?? null);
      const sOff = split(lang, offG, () => null);
      console.log(`${voice}${snr ? ` ${snr} dB` : ''}: in-grammar right intent (any confidence) ${pct(top, inG.length)} of ${inG.length}; off-grammar rejected ${pct(rejected, offG.length)} of ${offG.length}\n` +
        `  in-grammar:  ${show(sIn)}\n  off-grammar: ${show(sOff)}\n` +
        inG.filter((r) => intentOf(lang, r.transcript) !== want.get(r.text)).map((r) => `  miss "${r.text}" -> ${r.transcript ?? 'null'} (${r.confidence})`).join('\n'));
      expect(top / inG.length).toBeGreaterThan(FLOORS.top);
      expect((sIn.right + sIn.confirmedRight) / inG.length).toBeGreaterThan(FLOORS.ended);
      expect(rejected / offG.length).toBeGreaterThanOrEqual(FLOORS.offRejected);
      // acting on a wrong intent without asking: rare
      expect(sIn.wrong + sOff.wrong).toBeLessThanOrEqual(FLOORS.wrong);
    }, 60_000);
  }

  it('held out: elena, irina, yuriy (ru) with line noise (22 dB SNR) end in the right intent, directly or after one confirmation', async () => {
    const lines: string[] = [];
    let n = 0; let ended = 0; let wrong = 0; let offN = 0; let offRejected = 0; let offWrong = 0;
    const yesNo = [...GRAMMAR_PHRASES.ru.yes, ...GRAMMAR_PHRASES.ru.no];
    for (const [k, voice] of ['elena', 'irina', 'yuriy'].entries()) {
      const { grammar, answers, off } = sample('ru', 8, 1 + 2 * k, (k % 2) as 0 | 1);
      const want = new Map(answers);
      const heard = await hear('ru', grammar, answers.map(([p]) => p), voice, 22);
      const offG = await hear('ru', grammar, off, voice, 22);
      let e = 0; let w = 0; let confirmed = 0;
      for (const r of heard) {
        const got = intentOf('ru', r.transcript);
        const right = got === want.get(r.text);
        if (got === null || r.confidence < CONFIDENCE.confirm) continue;
        if (r.confidence >= CONFIDENCE.act) { if (right) e++; else w++; continue; }
        // "Вы сказали «…»?": the callee answers да or нет, heard by the same recogniser
        confirmed++;
        const [a] = await hear('ru', yesNo, [right ? 'да' : 'нет'], voice, 22);
        const yes = intentOf('ru', a!.transcript) === 'yes' && a!.confidence >= CONFIDENCE.confirm;
        if (yes && right) e++;
        if (yes && !right) w++;
      }
      const sOff = split('ru', offG, () => null);
      n += heard.length; ended += e; wrong += w; offN += offG.length; offRejected += sOff.rejected; offWrong += sOff.wrong;
      lines.push(`  ${voice}: right intent ${pct(e, heard.length)} of ${heard.length} (${confirmed} asked to confirm), acted WRONG ${w}; off-grammar: ${show(sOff)}`);
    }
    console.log(`held out, 22 dB SNR + G.711: right intent directly or after one confirmation ${pct(ended, n)} of ${n}, acted wrong ${wrong}; ` +
      `off-grammar rejected ${pct(offRejected, offN)}, acted on ${offWrong}\n${lines.join('\n')}`);
    expect(ended / n).toBeGreaterThan(FLOORS.heldOut);
    expect(wrong).toBeLessThanOrEqual(FLOORS.heldOutWrong);
  }, 120_000); // 15-30 s on two idle cores; a loaded machine stretches it
});

/**
 * Floors under the measured figures (this sample, 2026-12-02: right intent 60% anna, 90% aleksandr,
 * 100% slt, 75% anna at 20 dB; off-grammar rejected 50-100%; held out 52% end right, none acted on
 * wrongly), with margin: a sample of 20 moves by 5 points an answer.
 */
const FLOORS = { top: 0.45, ended: 0.45, offRejected: 0.3, wrong: 2, heldOut: 0.35, heldOutWrong: 2 };

describe.skipIf(!HAVE_PS)('pocketsphinx worker pool failures', () => {
  it('a worker killed mid-request fails that request with SPEECH_UNAVAILABLE; the next request is decoded by its replacement', async () => {
    const one = await startPocketsphinx({ workers: 1 });
    try {
      const workers = () => execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n').filter((l) => l.includes('worker.py')).map((l) => Number(l.trim().split(/\s+/)[0]));
      const [pid] = workers();
      expect(pid).toBeGreaterThan(0);
      // 8 s of noise: a decode long enough to be killed in the middle of
      const noise = Int16Array.from({ length: 64_000 }, (_, i) => Math.round(3000 * Math.sin(i * 0.37) * Math.sin(i * 0.0011) + ((i * 7919) % 401) - 200));
      const pending = one.recognize(noise, { language: 'ru-RU', grammar: ['да', 'нет'] });
      await new Promise((r) => setTimeout(r, 100));
      process.kill(pid!, 'SIGKILL');
      const err = await pending.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SpeechError);
      expect((err as SpeechError).code).toBe('SPEECH_UNAVAILABLE');
      const next = await one.recognize(new Int16Array(8000), { language: 'ru-RU', grammar: ['да', 'нет'] });
      expect(next.transcript).toBeNull();
      expect(workers()).not.toContain(pid);
    } finally {
      await one.close();
    }
  }, 30_000);

  it('a Python without the module fails to start with SPEECH_UNAVAILABLE naming python3-pocketsphinx', async () => {
    // the pyenv python3 on PATH (not Debian's /usr/bin/python3) has no pocketsphinx module
    const other = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
    const lacks = other && spawnSync(other, ['-c', 'import pocketsphinx']).status !== 0;
    if (!lacks) return; // no such Python here
    const err = await startPocketsphinx({ workers: 1, python: other }).then(async (r) => { await r.close(); return null; }, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpeechError);
    expect((err as SpeechError).code).toBe('SPEECH_UNAVAILABLE');
    expect(`${(err as SpeechError).message} ${(err as SpeechError).hint}`).toContain('python3-pocketsphinx');
  }, 30_000);
});
