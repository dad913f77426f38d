// Writes the tuning corpus (anna, aleksandr, slt: clean and with noise at 15-30 dB) and the held-out
// corpus (elena, irina, yuriy at 22 dB) as 16 kHz raw files the Python experiments decode.
import { mkdirSync, writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { GRAMMAR_PHRASES } from '../src/dialog/intents/grammar.js';
import { denoise8k } from './denoise.js';
import { upsample8to16 } from '../src/speech/server/pocketsphinx/upsample.js';
import { lineSpeech, OFF_GRAMMAR, YESNO_STEP } from '../tests/integration/asr-audio.js';

const OUT = '/tmp/zvonar-tune';
const DN = process.env.DN ? JSON.parse(process.env.DN) : null;
const SUF = process.env.SUF ?? '';
const SETS = (process.env.SETS ?? 'tuning,heldout').split(',');
it('corpus', () => {
  for (const [set, voices] of [['tuning', [['anna', 'ru'], ['aleksandr', 'ru'], ['slt', 'en']]], ['heldout', [['elena', 'ru'], ['irina', 'ru'], ['yuriy', 'ru']]]] as const) {
    if (!SETS.includes(set)) continue;
    const set0 = set; const setd = set + SUF;
    mkdirSync(`${OUT}/${setd}`, { recursive: true });
    const items: unknown[] = [];
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    for (const [voice, lang] of voices) {
      const grammar = YESNO_STEP.flatMap((i) => GRAMMAR_PHRASES[lang][i]);
      const rows: [string, string | null][] = [...YESNO_STEP.flatMap((i) => GRAMMAR_PHRASES[lang][i].map((p) => [p, i] as [string, string])), ...OFF_GRAMMAR[lang].map((t) => [t, null] as [string, null])];
      const snrs = set0 === 'tuning' ? [undefined, 'rnd'] : [22];
      for (const s of snrs) for (const [text, intent] of rows) {
        const snr = s === 'rnd' ? Math.round(15 + 15 * rnd()) : s;
        const line = lineSpeech(text, voice, snr);
        const pcm = upsample8to16(DN ? denoise8k(line, DN) : line);
        const file = `${OUT}/${setd}/${items.length}.raw`;
        writeFileSync(file, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
        items.push({ file, voice, lang, text, intent, snr: snr ?? null });
      }
      writeFileSync(`${OUT}/${setd}/grammar-${lang}.json`, JSON.stringify(grammar));
    }
    writeFileSync(`${OUT}/${setd}/manifest.json`, JSON.stringify(items));
    console.log(set, items.length);
  }
});
