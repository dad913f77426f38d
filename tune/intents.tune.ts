import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { GRAMMAR_PHRASES } from '../src/dialog/intents/grammar.js';
it('intents', () => {
  for (const lang of ['ru', 'en'] as const) {
    const m: Record<string, string> = {};
    for (const [i, ps] of Object.entries(GRAMMAR_PHRASES[lang])) for (const p of ps) m[p.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' ').replace(/\s+/g, ' ').trim()] ??= i;
    writeFileSync(`/tmp/zvonar-tune/intents-${lang}.json`, JSON.stringify(m));
  }
});
